"""The seeds' import approach, as a peer for `scripts/bench-import`: the official neo4j Python
driver, one parameterised MERGE statement per CSV row, committed in transactions of 1,000
rows. Writes the same core shape as ours (Team and Game nodes, HOME/AWAY relations).

    python3 import_games.py bolt://127.0.0.1:57687 ../../data/nfl_games.csv [batch]
"""
import csv
import sys
import time

from neo4j import GraphDatabase

ROW = """
MERGE (h:Team {id: $home}) MERGE (a:Team {id: $away})
MERGE (g:Game {id: $id})
SET g.date = $date, g.season = $season, g.home_score = $hs, g.away_score = $as_,
    g.neutral = $neutral, g.playoff = $playoff
MERGE (h)-[:HOME]->(g) MERGE (a)-[:AWAY]->(g)
"""


def main(uri, path, batch=1000):
    rows = list(csv.DictReader(open(path, newline="")))
    driver = GraphDatabase.driver(uri, auth=("neo4j", "unused"))
    started = time.perf_counter()
    with driver.session() as s:
        s.run("CREATE CONSTRAINT peer_game IF NOT EXISTS FOR (g:Game) REQUIRE g.id IS UNIQUE").consume()
        s.run("CREATE CONSTRAINT peer_team IF NOT EXISTS FOR (t:Team) REQUIRE t.id IS UNIQUE").consume()
        for i in range(0, len(rows), batch):
            with s.begin_transaction() as tx:
                for n, r in enumerate(rows[i:i + batch], start=i):
                    tx.run(ROW, id=f"{r['team1']}_{r['team2']}_{r['date']}_{n}", home=r["team1"], away=r["team2"],
                           date=r["date"], season=int(r["season"]), hs=int(r["score1"] or 0),
                           as_=int(r["score2"] or 0), neutral=r["neutral"] == "1", playoff=r["playoff"] != "0")
                tx.commit()
    elapsed = time.perf_counter() - started
    driver.close()
    print(f"peer: {len(rows)} rows in {elapsed:.2f}s = {len(rows) / elapsed:.0f} rows/s (batch {batch})")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 1000)
