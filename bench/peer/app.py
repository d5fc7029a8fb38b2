"""The seeds' Python stack, as a benchmark peer: FastAPI under uvicorn, asyncpg and redis-py
(asyncio), serving the same three operations as the Rust service against the same PostgreSQL
and Redis. It exists to be measured against; it uses connection pools and async drivers.

    PEER_DATABASE_URL=postgres://… PEER_REDIS_URL=redis://… uvicorn app:app --workers 4
Set PEER_CACHE=off to measure the uncached read.
"""
import json
import os
from datetime import datetime, timezone

import asyncpg
import redis.asyncio as aioredis
from fastapi import FastAPI, HTTPException, Response

DATABASE_URL = os.environ["PEER_DATABASE_URL"]
REDIS_URL = os.environ["PEER_REDIS_URL"]
CACHE = os.environ.get("PEER_CACHE", "on") != "off"
TTL = 1800

app = FastAPI()
state = {}

SCHEMA = """
CREATE TABLE IF NOT EXISTS peer_predictions (
    id TEXT PRIMARY KEY, game_id TEXT NOT NULL, expert_id TEXT NOT NULL,
    home_win_probability DOUBLE PRECISION NOT NULL, confidence DOUBLE PRECISION NOT NULL,
    reasoning TEXT NOT NULL, model_version TEXT NOT NULL, created_at TIMESTAMPTZ NOT NULL);
CREATE INDEX IF NOT EXISTS peer_predictions_game ON peer_predictions (game_id);
CREATE TABLE IF NOT EXISTS peer_memory_links (
    prediction_id TEXT NOT NULL, memory_id TEXT NOT NULL,
    influence_weight DOUBLE PRECISION NOT NULL, retrieval_rank INT NOT NULL,
    PRIMARY KEY (prediction_id, memory_id));
"""


@app.on_event("startup")
async def startup():
    state["pg"] = await asyncpg.create_pool(DATABASE_URL, min_size=2, max_size=10)
    state["redis"] = aioredis.from_url(REDIS_URL, max_connections=20)
    async with state["pg"].acquire() as c:
        try:
            await c.execute(SCHEMA)
        except asyncpg.UniqueViolationError:
            pass  # another worker created it first


@app.on_event("shutdown")
async def shutdown():
    await state["pg"].close()
    await state["redis"].aclose()


def key(game_id):
    return f"peer:v1:game:{game_id}:predictions"


@app.get("/api/v1/games/{game_id}/predictions")
async def read(game_id: str):
    if CACHE:
        hit = await state["redis"].get(key(game_id))
        if hit is not None:
            return Response(hit, media_type="application/json")
    async with state["pg"].acquire() as c:
        rows = await c.fetch(
            "SELECT id, game_id, expert_id, home_win_probability, confidence, reasoning, model_version, created_at "
            "FROM peer_predictions WHERE game_id = $1 ORDER BY created_at, id", game_id)
    if not rows:
        raise HTTPException(404, "no predictions")
    items = [dict(r) | {"created_at": r["created_at"].isoformat()} for r in rows]
    body = json.dumps({"items": items, "total": len(items)}).encode()
    if CACHE:
        await state["redis"].set(key(game_id), body, ex=TTL)
    return Response(body, media_type="application/json")


@app.post("/api/v1/games/{game_id}/predictions", status_code=201)
async def write(game_id: str):
    now = datetime.now(timezone.utc)
    preds = [(f"{game_id}.e{i}", game_id, f"e{i}", 0.5 + i / 100, 0.6, "peer", "peer-1", now) for i in range(15)]
    links = [(p[0], f"mem:game:{j}", 0.01 * j, j + 1) for p in preds for j in range(10)]
    async with state["pg"].acquire() as c:
        async with c.transaction():
            await c.executemany(
                "INSERT INTO peer_predictions VALUES ($1,$2,$3,$4,$5,$6,$7,$8) ON CONFLICT (id) DO UPDATE SET "
                "home_win_probability = EXCLUDED.home_win_probability, created_at = EXCLUDED.created_at", preds)
            await c.execute("DELETE FROM peer_memory_links WHERE prediction_id LIKE $1", f"{game_id}.%")
            await c.executemany("INSERT INTO peer_memory_links VALUES ($1,$2,$3,$4)", links)
    if CACHE:
        await state["redis"].delete(key(game_id))
    return {"game_id": game_id, "predictions": len(preds)}


@app.get("/health")
async def health():
    return {"status": "ok"}
