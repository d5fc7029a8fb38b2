"""Renders scripts/bench-neo4j's results: ours and the seeds' stack on Neo4j, side by side, with
the targets of the Neo4j performance issue met or missed."""
import json
import sys

from report import median_index, parse, rounds, spread


def main(dir_, meta_path):
    meta = json.load(open(meta_path))
    fmt = lambda v: "-" if v is None else f"{v:.2f}"
    ops = [("cached read (Redis)", "cached"), ("uncached read", "uncached"),
           ("provenance read (uncached)", "provenance"), ("prediction write, 16 connections", "write")]
    lines = [f"Graph: Neo4j 5.26 (scripts/services), {meta['games']:,} games of the bundled history, imported by "
             f"the service in {meta['import_seconds']} s at its first start.", "",
             "| operation | service | req/s | p50 ms | p99 ms | errors | ratio ours/peer (req/s) | ratio in every round |",
             "|---|---|---|---|---|---|---|---|"]
    ratio_of = {}
    rps_of = {}
    for name, key in ops:
        ours, peer = rounds(dir_, f"ours_{key}", "txt", parse), rounds(dir_, f"peer_{key}", "txt", parse)
        ratios = [a["rps"] / b["rps"] if b["rps"] else float("nan") for a, b in zip(ours, peer)]
        m = median_index(ratios)
        ro, rp = ours[m], peer[m]
        ratio_of[key], rps_of[key] = ratios[m], ro["rps"]
        lines.append(f"| {name} | ours | {ro['rps']:.0f} | {fmt(ro['p50'])} | {fmt(ro['p99'])} | {ro['errors']} | "
                     f"**{ratios[m]:.1f}×** | {spread(ratios, lambda r: f'{r:.1f}×')} |")
        lines.append(f"| {name} | peer | {rp['rps']:.0f} | {fmt(rp['p50'])} | {fmt(rp['p99'])} | {rp['errors']} | | |")
    lines += ["", "At fixed rates, open loop (`ops loadgen`, latency from each request's due time; the round with the "
              "median p99 shown):", "",
              "| operation | service | rate req/s | sent | errors | p50 ms | p99 ms | max ms | p99 ms in every round |",
              "|---|---|---|---|---|---|---|---|---|"]
    write_p50 = None
    for name, key in [("cached read", "cached"), ("uncached read", "uncached"), ("provenance read", "provenance"),
                      ("prediction write", "write")]:
        for who in ("ours", "peer"):
            runs = rounds(dir_, f"fixed_{key}_{who}", "json", lambda f: json.load(open(f)))
            if not runs:
                continue
            p99s = [r["p99_ms"] for r in runs]
            f = runs[median_index(p99s)]
            if key == "write" and who == "ours":
                write_p50 = f["p50_ms"]
            lines.append(f"| {name} | {who} | {f['rate']:.0f} | {f['sent']} | {f['errors']} | {f['p50_ms']:.2f} | "
                         f"{f['p99_ms']:.2f} | {f['max_ms']:.2f} | {spread(p99s, lambda v: f'{v:.2f}')} |")
    past = {b: json.load(open(f"{dir_}/past_{b}.json")) for b in ("neo4j", "embedded")}
    lines += ["", "100 past games (the first of the 2018 regular season), each forecast from the games before its date "
              "and stored, 8 requests at a time, on a freshly started instance:", "",
              "| graph | games | seconds | p50 ms | max ms |", "|---|---|---|---|---|"]
    for b, r in past.items():
        lines.append(f"| {b} | {r['games']} | {r['seconds']:.2f} | {r['p50_ms']:.1f} | {r['max_ms']:.1f} |")
    yes = lambda ok: "yes" if ok else "**no**"
    slowest_past = max(r["seconds"] for r in past.values())
    past_text = ", ".join(f"{b} {r['seconds']:.2f} s" for b, r in past.items())
    lines += ["", "| target (issue 20) | measured | met? |", "|---|---|---|",
              f"| writes ≥ 3× the seeds' stack on Neo4j | {ratio_of['write']:.1f}× | {yes(ratio_of['write'] >= 3)} |",
              f"| writes ≥ 100 req/s at 16 connections | {rps_of['write']:.0f} req/s | {yes(rps_of['write'] >= 100)} |",
              f"| one write ≤ 25 ms (p50 at {runs[0]['rate']:.0f} req/s, open loop) | "
              f"{'-' if write_p50 is None else f'{write_p50:.1f} ms'} | {yes(write_p50 is not None and write_p50 <= 25)} |",
              f"| uncached reads ≥ 3× the peer | {ratio_of['uncached']:.1f}× | {yes(ratio_of['uncached'] >= 3)} |",
              f"| provenance reads ≥ 3× the peer | {ratio_of['provenance']:.1f}× | {yes(ratio_of['provenance'] >= 3)} |",
              f"| 100 past games in under 3 s on either backend | {past_text} "
              f"| {yes(slowest_past < 3)} |"]
    print("\n".join(lines))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
