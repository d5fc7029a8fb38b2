"""The seeds' Python stack, as a benchmark peer: FastAPI under uvicorn, asyncpg and redis-py
(asyncio), serving the same three operations as the Rust service against the same PostgreSQL
and Redis. It exists to be measured against; it uses connection pools and async drivers.

It has no forecasting models: its write stores the forecast in PEER_FORECAST (the Rust
service's answer to the same POST, captured by scripts/bench) with fresh ids and times, so
both services store, cache and serve the same representation (same fields, same size).

    PEER_DATABASE_URL=postgres://… PEER_REDIS_URL=redis://… PEER_FORECAST=forecast.json \
        uvicorn app:app --workers 4
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
FORECAST = json.load(open(os.environ["PEER_FORECAST"]))
TTL = 1800

app = FastAPI()
state = {}

COLUMNS = ("id, game_id, expert_id, category, winner, win_probability, home_win_probability, confidence, "
           "reasoning, predicted_home_score, predicted_away_score, model_version, created_at, categories")
SCHEMA = """
CREATE TABLE IF NOT EXISTS peer_predictions (
    id TEXT PRIMARY KEY, game_id TEXT NOT NULL, expert_id TEXT NOT NULL, category TEXT NOT NULL,
    winner TEXT NOT NULL, win_probability DOUBLE PRECISION NOT NULL,
    home_win_probability DOUBLE PRECISION NOT NULL, confidence DOUBLE PRECISION NOT NULL,
    reasoning TEXT NOT NULL, predicted_home_score DOUBLE PRECISION NOT NULL,
    predicted_away_score DOUBLE PRECISION NOT NULL, model_version TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL, categories JSONB NOT NULL);
CREATE INDEX IF NOT EXISTS peer_predictions_game ON peer_predictions (game_id);
CREATE TABLE IF NOT EXISTS peer_memory_links (
    prediction_id TEXT NOT NULL, memory_id TEXT NOT NULL,
    influence_weight DOUBLE PRECISION NOT NULL, retrieval_rank INT NOT NULL,
    PRIMARY KEY (prediction_id, memory_id));
"""


async def init_connection(c):
    await c.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


@app.on_event("startup")
async def startup():
    state["pg"] = await asyncpg.create_pool(DATABASE_URL, min_size=2, max_size=10, init=init_connection)
    state["redis"] = aioredis.from_url(REDIS_URL, max_connections=20)
    async with state["pg"].acquire() as c:
        try:
            await c.execute(SCHEMA)
        except (asyncpg.UniqueViolationError, asyncpg.DuplicateTableError, asyncpg.DuplicateObjectError):
            pass  # another worker created it first


@app.on_event("shutdown")
async def shutdown():
    await state["pg"].close()
    await state["redis"].aclose()


def key(game_id):
    return f"peer:v2:game:{game_id}:predictions"


@app.get("/api/v1/games/{game_id}/predictions")
async def read(game_id: str):
    if CACHE:
        hit = await state["redis"].get(key(game_id))
        if hit is not None:
            return Response(hit, media_type="application/json")
    async with state["pg"].acquire() as c:
        rows = await c.fetch(
            f"SELECT {COLUMNS} FROM peer_predictions WHERE game_id = $1 ORDER BY expert_id", game_id)
    if not rows:
        raise HTTPException(404, "no predictions")
    items = [dict(r) | {"created_at": r["created_at"].isoformat()} for r in rows]
    consensus = next((p for p in items if p["expert_id"] == "consensus"), None)
    items = [p for p in items if p["expert_id"] != "consensus"]
    body = json.dumps({"items": items, "total": len(items), "consensus": consensus}, separators=(",", ":")).encode()
    if CACHE:
        await state["redis"].set(key(game_id), body, ex=TTL)
    return Response(body, media_type="application/json")


def row(p, game_id, now):
    return (f"{game_id}.{p['expert_id']}", game_id, p["expert_id"], p["category"], p["winner"],
            p["win_probability"], p["home_win_probability"], p["confidence"], p["reasoning"],
            p["predicted_home_score"], p["predicted_away_score"], p["model_version"], now, p["categories"])


@app.post("/api/v1/games/{game_id}/predictions", status_code=201)
async def write(game_id: str):
    now = datetime.now(timezone.utc)
    experts = FORECAST["predictions"]
    preds = [row(p, game_id, now) for p in experts] + [row(FORECAST["consensus"], game_id, now)]
    links = [(f"{game_id}.{p['expert_id']}", m["memory_id"], m["influence_weight"], m["retrieval_rank"])
             for p in experts for m in p["memories"]]
    async with state["pg"].acquire() as c:
        async with c.transaction():
            await c.executemany(
                f"INSERT INTO peer_predictions ({COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14) "
                "ON CONFLICT (id) DO UPDATE SET home_win_probability = EXCLUDED.home_win_probability, "
                "categories = EXCLUDED.categories, created_at = EXCLUDED.created_at", preds)
            await c.execute("DELETE FROM peer_memory_links WHERE prediction_id LIKE $1", f"{game_id}.%")
            await c.executemany("INSERT INTO peer_memory_links VALUES ($1,$2,$3,$4)", links)
    if CACHE:
        await state["redis"].delete(key(game_id))
    return {"game_id": game_id, "predictions": len(preds)}


@app.get("/health")
async def health():
    return {"status": "ok"}
