"""The seeds' Python stack, as a benchmark peer: FastAPI under uvicorn, asyncpg and redis-py
(asyncio), serving the same three operations as the Rust service against the same PostgreSQL
and Redis. It exists to be measured against; it uses connection pools and async drivers.

It has no forecasting models: its write stores the forecast in PEER_FORECAST (the Rust
service's answer to the same POST, captured by scripts/bench) with fresh ids and times, so
both services store, cache and serve the same representation (same fields, same size).

    PEER_DATABASE_URL=postgres://… PEER_REDIS_URL=redis://… PEER_FORECAST=forecast.json \
        uvicorn app:app --workers 4
Set PEER_CACHE=off to measure the uncached read.

PEER_GRAPH=neo4j (with PEER_NEO4J_URI, PEER_NEO4J_USER, PEER_NEO4J_PASSWORD) stores the forecast
in Neo4j instead, through the official async Python driver, as the seeds did: prediction nodes
holding their document, memory nodes, USED_IN links with influence weight and rank, and
PREDICTED from the expert to the game, one managed write transaction per forecast (retried on
transient errors such as deadlocks). It also serves the provenance read. Its labels are its own
(PeerPrediction, PeerMemory, PEER_*), next to the Game and Expert nodes the Rust service imported.
"""
import json
import os
from datetime import datetime, timezone

import asyncpg
import redis.asyncio as aioredis
from fastapi import FastAPI, HTTPException, Response

GRAPH = os.environ.get("PEER_GRAPH", "postgres")
if GRAPH == "neo4j":
    from neo4j import AsyncGraphDatabase

DATABASE_URL = os.environ.get("PEER_DATABASE_URL", "")
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


NEO4J_SCHEMA = [
    "CREATE CONSTRAINT peer_prediction_id IF NOT EXISTS FOR (n:PeerPrediction) REQUIRE n.id IS UNIQUE",
    "CREATE CONSTRAINT peer_memory_id IF NOT EXISTS FOR (n:PeerMemory) REQUIRE n.id IS UNIQUE",
    "CREATE INDEX peer_prediction_game IF NOT EXISTS FOR (n:PeerPrediction) ON (n.game_id)",
]


@app.on_event("startup")
async def startup():
    state["redis"] = aioredis.from_url(REDIS_URL, max_connections=20)
    if GRAPH == "neo4j":
        state["neo4j"] = AsyncGraphDatabase.driver(
            os.environ["PEER_NEO4J_URI"],
            auth=(os.environ.get("PEER_NEO4J_USER", "neo4j"), os.environ.get("PEER_NEO4J_PASSWORD", "")),
            max_connection_pool_size=20)
        for q in NEO4J_SCHEMA:
            try:
                await state["neo4j"].execute_query(q)
            except Exception:  # another worker created it first
                pass
        return
    state["pg"] = await asyncpg.create_pool(DATABASE_URL, min_size=2, max_size=10, init=init_connection)
    async with state["pg"].acquire() as c:
        try:
            await c.execute(SCHEMA)
        except (asyncpg.UniqueViolationError, asyncpg.DuplicateTableError, asyncpg.DuplicateObjectError):
            pass  # another worker created it first


@app.on_event("shutdown")
async def shutdown():
    if GRAPH == "neo4j":
        await state["neo4j"].close()
    else:
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
    if GRAPH == "neo4j":
        records, _, _ = await state["neo4j"].execute_query(
            "MATCH (p:PeerPrediction {game_id: $game}) RETURN p.json AS json ORDER BY p.expert_id",
            game=game_id, routing_="r")
        items = [json.loads(r["json"]) for r in records]
    else:
        async with state["pg"].acquire() as c:
            rows = await c.fetch(
                f"SELECT {COLUMNS} FROM peer_predictions WHERE game_id = $1 ORDER BY expert_id", game_id)
        items = [dict(r) | {"created_at": r["created_at"].isoformat()} for r in rows]
    if not items:
        raise HTTPException(404, "no predictions")
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
    if GRAPH == "neo4j":
        async with state["neo4j"].session() as s:
            await s.execute_write(neo4j_write, game_id, experts, now)
        if CACHE:
            await state["redis"].delete(key(game_id))
        return {"game_id": game_id, "predictions": len(preds)}
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


def doc(p, game_id, now):
    d = {k: v for k, v in p.items() if k != "memories"}
    return d | {"id": f"{game_id}.{p['expert_id']}", "game_id": game_id, "created_at": now.isoformat()}


async def neo4j_write(tx, game_id, experts, now):
    preds = [doc(p, game_id, now) for p in experts + [FORECAST["consensus"]]]
    rows = [{"id": d["id"], "expert_id": d["expert_id"], "json": json.dumps(d)} for d in preds]
    mems = {m["memory_id"]: json.dumps({"id": m["memory_id"], "kind": m["kind"], "content": m["content"],
                                         "games": m["games"]})
            for p in experts for m in p["memories"]}
    links = [{"m": m["memory_id"], "p": f"{game_id}.{p['expert_id']}", "w": m["influence_weight"],
              "rank": m["retrieval_rank"]} for p in experts for m in p["memories"]]
    await tx.run(
        "MATCH (g:Game {id: $game}) UNWIND $rows AS r "
        "MERGE (p:PeerPrediction {id: r.id}) SET p.game_id = $game, p.expert_id = r.expert_id, p.json = r.json "
        "WITH g, r OPTIONAL MATCH (e:Expert {id: r.expert_id}) "
        "FOREACH (_ IN CASE WHEN e IS NULL THEN [] ELSE [1] END | MERGE (e)-[:PEER_PREDICTED {prediction_id: r.id}]->(g))",
        game=game_id, rows=rows)
    await tx.run("MATCH (:PeerMemory)-[u:PEER_USED_IN]->(:PeerPrediction {game_id: $game}) DELETE u", game=game_id)
    await tx.run("UNWIND $rows AS r MERGE (m:PeerMemory {id: r.id}) SET m.json = r.json",
                 rows=[{"id": k, "json": v} for k, v in mems.items()])
    await tx.run(
        "UNWIND $rows AS r MATCH (m:PeerMemory {id: r.m}), (p:PeerPrediction {id: r.p}) "
        "CREATE (m)-[:PEER_USED_IN {influence_weight: r.w, retrieval_rank: r.rank}]->(p)", rows=links)


async def provenance_parts(tx, pid):
    r = await (await tx.run("MATCH (p:PeerPrediction {id: $id}) RETURN p.json AS json", id=pid)).single()
    if r is None:
        return None
    p = json.loads(r["json"])
    e = await (await tx.run("MATCH (e:Expert {id: $id}) RETURN e.json AS json", id=p["expert_id"])).single()
    used = [(json.loads(x["json"]), x["w"], x["rank"]) async for x in await tx.run(
        "MATCH (m:PeerMemory)-[u:PEER_USED_IN]->(:PeerPrediction {id: $id}) "
        "RETURN m.json AS json, u.influence_weight AS w, u.retrieval_rank AS rank ORDER BY rank", id=pid)]
    ids = [p["game_id"]] + [g for m, _, _ in used for g in m["games"]]
    games = {}
    async for x in await tx.run("MATCH (g:Game) WHERE g.id IN $ids RETURN g.json AS json", ids=ids):
        g = json.loads(x["json"])
        games[g["id"]] = g
    return p, (json.loads(e["json"]) if e else None), used, games


@app.get("/api/v1/predictions/{pid}/provenance")
async def provenance(pid: str):
    """The same subgraph as the Rust service's provenance read (nodes and edges)."""
    if GRAPH != "neo4j":
        raise HTTPException(404, "provenance needs PEER_GRAPH=neo4j")
    async with state["neo4j"].session(default_access_mode="READ") as s:
        parts = await s.execute_read(provenance_parts, pid)
    if parts is None:
        raise HTTPException(404, "no such prediction")
    p, e, used, games = parts
    nodes = [{"id": pid, "label": "Prediction", "properties": p}]
    edges = []
    if e:
        nodes.append({"id": e["id"], "label": "Expert", "properties": e})
        edges += [{"source": e["id"], "target": p["game_id"], "relation": "PREDICTED", "properties": {"prediction_id": pid}},
                  {"source": e["id"], "target": pid, "relation": "MADE", "properties": {}}]
    edges.append({"source": pid, "target": p["game_id"], "relation": "FOR_GAME", "properties": {}})
    seen = [p["game_id"]]
    for m, w, rank in used:
        nodes.append({"id": m["id"], "label": "Memory", "properties": m})
        edges.append({"source": m["id"], "target": pid, "relation": "USED_IN",
                      "properties": {"influence_weight": w, "retrieval_rank": rank}})
        for g in m["games"]:
            edges.append({"source": m["id"], "target": g, "relation": "REFERS_TO", "properties": {}})
            if g not in seen:
                seen.append(g)
    nodes += [{"id": g, "label": "Game", "properties": games[g]} for g in seen if g in games]
    body = json.dumps({"prediction_id": pid, "nodes": nodes, "edges": edges}, separators=(",", ":")).encode()
    return Response(body, media_type="application/json")


@app.get("/health")
async def health():
    return {"status": "ok"}
