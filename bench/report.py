"""Parses wrk outputs of one bench run and renders the side-by-side table."""
import json
import re
import sys


def parse(path):
    text = open(path).read()
    def lat(p):
        m = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
        if not m:
            return None
        v, unit = float(m.group(1)), m.group(2)
        return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v
    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    read = re.search(r"(\d+) requests in [\d.]+\w+, ([\d.]+)(B|KB|MB|GB) read", text)
    scale = {"B": 1, "KB": 1024, "MB": 1024 ** 2, "GB": 1024 ** 3}
    size = (float(read.group(2)) * scale[read.group(3)] / int(read.group(1))) if read and int(read.group(1)) else None
    total = re.search(r"(\d+) requests in", text)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    errors = (int(non2xx.group(1)) if non2xx else 0) + (sum(int(x) for x in sock.groups()) if sock else 0)
    return {"rps": float(rps.group(1)) if rps else 0.0, "requests": int(total.group(1)) if total else 0,
            "p50": lat(50), "p99": lat(99), "errors": errors, "bytes": size}


def rounds(dir_, name, ext, load):
    """Every round of one measurement (`name.r1.ext`, `name.r2.ext`, ...), in order."""
    out, k = [], 1
    while True:
        try:
            out.append(load(f"{dir_}/{name}.r{k}.{ext}"))
        except FileNotFoundError:
            return out
        k += 1


def median_index(values):
    """Index of the median value (the lower middle for an even count)."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    return order[(len(order) - 1) // 2]


def spread(values, fmt):
    return ", ".join(fmt(v) for v in values) if len(values) > 1 else "-"


def main(dir_, meta_path):
    meta = json.load(open(meta_path))
    ops = [("cached read (identity)", "ours_cached", "peer_cached"),
           ("cached read, `Accept-Encoding: gzip`", "ours_cached_gzip", "peer_cached_gzip"),
           ("cached read, headline only (`?category=winner`)", "ours_cached_winner", "peer_cached"),
           ("uncached read", "ours_uncached", "peer_uncached"),
           ("prediction write", "ours_write", "peer_write")]
    fmt = lambda v: "-" if v is None else f"{v:.2f}"
    kb = lambda r: "-" if r["bytes"] is None else f"{r['bytes'] / 1024:.1f}"
    lines = ["| operation | service | req/s | p50 ms | p99 ms | errors | KB/response | ratio ours/peer (req/s) | ratio in every round |",
             "|---|---|---|---|---|---|---|---|---|"]
    for name, o, p in ops:
        ours, peer = rounds(dir_, o, "txt", parse), rounds(dir_, p, "txt", parse)
        ratios = [a["rps"] / b["rps"] if b["rps"] else float("nan") for a, b in zip(ours, peer)]
        m = median_index(ratios)
        ro, rp, ratio = ours[m], peer[m], ratios[m]
        every = spread(ratios, lambda r: f"{r:.1f}×")
        lines.append(f"| {name} | ours | {ro['rps']:.0f} | {fmt(ro['p50'])} | {fmt(ro['p99'])} | {ro['errors']} | {kb(ro)} | **{ratio:.1f}×** | {every} |")
        lines.append(f"| {name} | peer | {rp['rps']:.0f} | {fmt(rp['p50'])} | {fmt(rp['p99'])} | {rp['errors']} | {kb(rp)} | | |")
    floor, gzpeer = rounds(dir_, "floor_gzip", "txt", parse), rounds(dir_, "peer_cached_gzip", "txt", parse)
    if floor:
        ratios = [a["rps"] / b["rps"] if b["rps"] else float("nan") for a, b in zip(floor, gzpeer)]
        m = median_index(ratios)
        fl = floor[m]
        every = spread(ratios, lambda r: f"{r:.1f}×")
        lines.append(f"| upstream floor: the gzip read's bytes as a fixed reply, no work (`ops floor-server`) | floor | {fl['rps']:.0f} | {fmt(fl['p50'])} | {fmt(fl['p99'])} | {fl['errors']} | {kb(fl)} | {ratios[m]:.1f}× (floor/peer gzip) | {every} |")
    statics = rounds(dir_, "static", "txt", parse)
    st = statics[median_index([r["rps"] for r in statics])]
    lines.append(f"| Nginx static reply (loopback ceiling) | nginx | {st['rps']:.0f} | {fmt(st['p50'])} | {fmt(st['p99'])} | {st['errors']} | {kb(st)} | | |")
    lines.append("")
    limiter = [("off (`RATE_LIMIT_PER_SECOND=0`)", "ours_cached"),
               ("in process (`governor`, `RATE_LIMIT_FLEET=false`)", "ours_cached_rl"),
               ("fleet-wide (one GCRA step in Redis per request)", "ours_cached_rlf")]
    base = rounds(dir_, "ours_cached", "txt", parse)
    if rounds(dir_, "ours_cached_rlf", "txt", parse):
        lines.append("Rate limiter cost on the cached read (identity), ours only, the three instances side by side in each round "
                     "(a limit no request reaches, so every request pays the check and none is refused):")
        lines.append("")
        lines.append("| rate limiter | req/s | p50 ms | p99 ms | errors | ratio to limiter off (req/s) | ratio in every round |")
        lines.append("|---|---|---|---|---|---|---|")
        for name, key in limiter:
            runs = rounds(dir_, key, "txt", parse)
            ratios = [a["rps"] / b["rps"] if b["rps"] else float("nan") for a, b in zip(runs, base)]
            m = median_index(ratios)
            r = runs[m]
            lines.append(f"| {name} | {r['rps']:.0f} | {fmt(r['p50'])} | {fmt(r['p99'])} | {r['errors']} | **{ratios[m]:.2f}×** | {spread(ratios, lambda v: f'{v:.2f}×')} |")
        lines.append("")
    fixed = [("cached read", "identity", "cached"), ("cached read, limiter in process", "identity", "cached_rl"),
             ("cached read, limiter fleet-wide", "identity", "cached_rlf"), ("cached read", "gzip", "cached_gzip"),
             ("uncached read", "identity", "uncached"), ("prediction write", "-", "write")]
    rows = []
    for name, enc, key in fixed:
        for who in ("ours", "peer"):
            runs = rounds(dir_, f"fixed_{key}_{who}", "json", lambda f: json.load(open(f)))
            if runs:
                rows.append((name, enc, who, runs))
    if rows:
        lines.append(f"At fixed rates, {rows[0][3][0]['seconds']:.0f} s each (open loop, `ops loadgen`, latency from each request's due time; the round with the median p99 shown):")
        lines.append("")
        lines.append("| operation | encoding | service | rate req/s | sent | errors | p50 ms | p99 ms | max ms | p99 ms in every round |")
        lines.append("|---|---|---|---|---|---|---|---|---|---|")
        for name, enc, who, runs in rows:
            p99s = [r["p99_ms"] for r in runs]
            f = runs[median_index(p99s)]
            every = spread(p99s, lambda v: f"{v:.2f}")
            lines.append(f"| {name} | {enc} | {who} | {f['rate']:.0f} | {f['sent']} | {f['errors']} | {f['p50_ms']:.2f} | {f['p99_ms']:.2f} | {f['max_ms']:.2f} | {every} |")
        lines.append("")
    lines.append(f"Resident memory after the runs: ours {meta['ours_rss_mb']:.0f} MB (cached instance) + "
                 f"{meta['ours_nc_rss_mb']:.0f} MB (uncached instance); peer {meta['peer_rss_mb']:.0f} MB (4 workers, cached) + "
                 f"{meta['peer_nc_rss_mb']:.0f} MB (4 workers, uncached). Ratio ours/peer: "
                 f"**{(meta['ours_rss_mb'] + meta['ours_nc_rss_mb']) / (meta['peer_rss_mb'] + meta['peer_nc_rss_mb']):.2f}**.")
    print("\n".join(lines))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
