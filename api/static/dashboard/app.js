// nfl-predictor dashboard: this week (the first page), team, standings, leaderboard, calibration, game and
// provenance pages (playoff odds: odds.js) over the public API, with live updates from /api/v1/stream. No dependencies; charts are SVG drawn here.
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const main = document.getElementById("main");
const keyPanel = document.getElementById("key-panel");
const keyForm = document.getElementById("key-form");
const keyInput = document.getElementById("key-input");
const keyError = document.getElementById("key-error");
const liveEl = document.getElementById("live");
const eventsEl = document.getElementById("events");

let key = sessionStorage.getItem("nflp-key") || "";
let currentGame = null; // the game whose predictions are on screen
let socket = null;
let backoff = 1000;

// ---------- helpers ----------

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

function svg(tag, attrs = {}, ...children) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") e.textContent = v;
    else e.setAttribute(k, v);
  }
  for (const c of children.flat()) if (c) e.append(c);
  return e;
}

const pct = (p) => `${(100 * p).toFixed(1)}%`;
const num = (x, d = 4) => (x === null || x === undefined ? "–" : Number(x).toFixed(d));

class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

async function api(path, opts = {}) {
  const res = await fetch(path, {
    ...opts,
    headers: { "X-API-Key": key, Accept: "application/json", ...(opts.headers || {}) },
  });
  let body = null;
  try { body = await res.json(); } catch (_) { body = null; }
  if (res.status === 401 || res.status === 403) {
    askForKey(body && (body.detail || body.title));
    throw new ApiError(res.status, body);
  }
  if (!res.ok) throw new ApiError(res.status, body);
  return body;
}

function askForKey(message) {
  keyPanel.hidden = false;
  keyError.textContent = message || "";
  keyInput.focus();
}

function page(title, ...content) {
  main.replaceChildren(el("h2", { text: title }), ...content);
  document.title = `${title} · nfl-predictor`;
  for (const a of document.querySelectorAll("nav a")) {
    const here = ["", "#", "#/"].includes(location.hash) || location.hash.startsWith("#/upcoming") ? "#/week" : location.hash;
    const on = here.startsWith(a.getAttribute("href"));
    if (on) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
  }
}

function failure(e) {
  return el("p", { class: "error", role: "alert", text: `Could not load: ${e.message}` });
}

function params() {
  const q = location.hash.split("?")[1] || "";
  return new URLSearchParams(q);
}

// ---------- leaderboard ----------

function sparkline(values) {
  const w = 120, h = 28;
  if (!values.length) return svg("svg", { width: w, height: h, role: "img", "aria-label": "no data" });
  const lo = Math.min(...values), hi = Math.max(...values);
  const span = hi - lo || 1;
  const pts = values.map((v, i) => {
    const x = values.length === 1 ? w / 2 : (i * (w - 4)) / (values.length - 1) + 2;
    const y = h - 3 - ((v - lo) / span) * (h - 6);
    return `${x.toFixed(1)},${y.toFixed(1)}`;
  });
  return svg("svg", {
    class: "spark", width: w, height: h, viewBox: `0 0 ${w} ${h}`, role: "img",
    "aria-label": `rolling Brier from ${num(values[0], 3)} to ${num(values[values.length - 1], 3)}`,
  }, svg("polyline", { points: pts.join(" "), fill: "none", "stroke-width": 1.5 }));
}

const COLUMNS = [
  ["name", "Forecaster"], ["brier", "Brier"], ["log_loss", "Log-loss"],
  ["accuracy", "Accuracy"], ["ece", "ECE"], ["games", "Games"],
];

async function leaderboard() {
  const p = params();
  const q = new URLSearchParams();
  if (p.get("from")) q.set("from", p.get("from"));
  if (p.get("to")) q.set("to", p.get("to"));
  page("Leaderboard", el("p", { class: "muted", text: "Loading…" }));
  let data;
  try { data = await api(`/api/v1/leaderboard?${q}`); } catch (e) { return page("Leaderboard", failure(e)); }
  let sortKey = p.get("sort") || "brier";
  let asc = p.get("dir") !== "desc";
  const from = el("input", { id: "lb-from", type: "number", min: 1920, max: 2100, value: data.from, required: true });
  const to = el("input", { id: "lb-to", type: "number", min: 1920, max: 2100, value: data.to, required: true });
  const form = el("form", {
    class: "filters",
    onsubmit: (ev) => { ev.preventDefault(); location.hash = `#/leaderboard?from=${from.value}&to=${to.value}`; },
  }, el("label", { for: "lb-from", text: "From season" }), from,
     el("label", { for: "lb-to", text: "to" }), to,
     el("button", { type: "submit", text: "Score" }));
  const table = el("table", { class: "board", "aria-describedby": "lb-caption" });
  const render = () => {
    const rows = [...data.rows].sort((a, b) => {
      const x = a[sortKey], y = b[sortKey];
      const c = typeof x === "string" ? x.localeCompare(y) : x - y;
      return asc ? c : -c;
    });
    const head = el("tr", {}, el("th", { scope: "col", text: "#" }), COLUMNS.map(([k, label]) => {
      const sorted = k === sortKey ? (asc ? "ascending" : "descending") : "none";
      return el("th", { scope: "col", "aria-sort": sorted },
        el("button", {
          type: "button", class: "sort", "data-sort": k,
          onclick: () => { if (sortKey === k) asc = !asc; else { sortKey = k; asc = k !== "accuracy" && k !== "games"; } render(); },
        }, label, sorted === "none" ? "" : sorted === "ascending" ? " ▲" : " ▼"));
    }), el("th", { scope: "col", text: "Rolling Brier" }));
    table.replaceChildren(
      el("caption", { id: "lb-caption", text: `Walk-forward scores, seasons ${data.from}–${data.to} (${data.games} games, model ${data.model_version}). Lower Brier, log-loss and ECE are better.` }),
      el("thead", {}, head),
      el("tbody", {}, rows.map((r, i) => el("tr", { class: `row-${r.kind}`, "data-kind": r.kind, "data-id": r.id },
        el("td", { text: i + 1 }),
        el("th", { scope: "row" }, r.kind === "anchor"
          ? r.name
          : el("a", { href: `#/calibration?expert=${encodeURIComponent(r.id)}&from=${data.from}&to=${data.to}`, text: r.name })),
        el("td", { "data-col": "brier", text: num(r.brier) }),
        el("td", { text: num(r.log_loss) }),
        el("td", { text: pct(r.accuracy) }),
        el("td", { text: num(r.ece) }),
        el("td", { text: r.games }),
        el("td", {}, sparkline(r.rolling_brier)),
      ))),
    );
  };
  render();
  page("Leaderboard", form, el("div", { class: "scroll" }, table));
}

// ---------- calibration ----------

function reliability(bins) {
  const S = 320, m = 40, inner = S - 2 * m;
  const x = (p) => m + p * inner, y = (p) => S - m - p * inner;
  const maxCount = Math.max(1, ...bins.map((b) => b.count));
  const g = svg("svg", { id: "reliability", width: S, height: S, viewBox: `0 0 ${S} ${S}`, role: "img", "aria-label": "Reliability diagram: predicted against observed home win rate" });
  g.append(svg("rect", { x: m, y: m, width: inner, height: inner, class: "plot" }));
  for (const t of [0, 0.25, 0.5, 0.75, 1]) {
    g.append(svg("line", { x1: x(t), y1: y(0), x2: x(t), y2: y(0) + 4, class: "axis" }));
    g.append(svg("text", { x: x(t), y: y(0) + 16, "text-anchor": "middle", text: t }));
    g.append(svg("text", { x: m - 6, y: y(t) + 4, "text-anchor": "end", text: t }));
  }
  g.append(svg("line", { x1: x(0), y1: y(0), x2: x(1), y2: y(1), class: "diagonal" }));
  g.append(svg("text", { x: S / 2, y: S - 6, "text-anchor": "middle", text: "predicted home win probability" }));
  g.append(svg("text", { x: 12, y: S / 2, "text-anchor": "middle", transform: `rotate(-90 12 ${S / 2})`, text: "observed home win rate" }));
  const pts = bins.filter((b) => b.count > 0);
  g.append(svg("polyline", { class: "curve", fill: "none", points: pts.map((b) => `${x(b.mean_forecast)},${y(b.observed)}`).join(" ") }));
  for (const b of pts) {
    g.append(svg("circle", { class: "bin", cx: x(b.mean_forecast), cy: y(b.observed), r: 3 + 9 * Math.sqrt(b.count / maxCount) },
      svg("title", { text: `${num(b.lower, 1)}–${num(b.upper, 1)}: predicted ${pct(b.mean_forecast)}, observed ${pct(b.observed)} (${b.count} games)` })));
  }
  return g;
}

async function calibration() {
  const p = params();
  page("Calibration", el("p", { class: "muted", text: "Loading…" }));
  let board, cal, cats;
  try {
    board = await api(`/api/v1/leaderboard?${new URLSearchParams([...p].filter(([k]) => k === "from" || k === "to"))}`);
    const q = new URLSearchParams({ expert: p.get("expert") || "consensus", from: p.get("from") || board.from, to: p.get("to") || board.to });
    cal = await api(`/api/v1/calibration?${q}`);
    cats = await api(`/api/v1/quality/categories?${new URLSearchParams({ from: cal.from, to: cal.to })}`);
  } catch (e) { return page("Calibration", failure(e)); }
  const select = el("select", { id: "cal-expert" }, board.rows.map((r) => el("option", { value: r.id, selected: r.id === cal.expert, text: r.name })));
  const from = el("input", { id: "cal-from", type: "number", min: 1920, max: 2100, value: cal.from });
  const to = el("input", { id: "cal-to", type: "number", min: 1920, max: 2100, value: cal.to });
  const form = el("form", {
    class: "filters",
    onsubmit: (ev) => { ev.preventDefault(); location.hash = `#/calibration?expert=${encodeURIComponent(select.value)}&from=${from.value}&to=${to.value}`; },
  }, el("label", { for: "cal-expert", text: "Forecaster" }), select,
     el("label", { for: "cal-from", text: "From" }), from, el("label", { for: "cal-to", text: "to" }), to,
     el("button", { type: "submit", text: "Show" }));
  const table = el("table", { class: "bins" },
    el("caption", { text: `${cal.games} games, expected calibration error ${num(cal.ece)}` }),
    el("thead", {}, el("tr", {}, ["Bin", "Predicted", "Observed", "Games"].map((h) => el("th", { scope: "col", text: h })))),
    el("tbody", {}, cal.bins.map((b) => el("tr", {},
      el("th", { scope: "row", text: `${num(b.lower, 1)}–${num(b.upper, 1)}` }),
      el("td", { text: b.count ? pct(b.mean_forecast) : "–" }),
      el("td", { text: b.count ? pct(b.observed) : "–" }),
      el("td", { text: b.count }))))
  );
  const opt = (v, f) => (v === undefined || v === null ? "–" : f(v));
  const categories = el("table", { class: "bins", id: "categories" },
    el("caption", { text: `The consensus in every category, ${cats.from}–${cats.to} (${cats.games} games). Probabilities: Brier against the base rate's; points: mean absolute error and how often the result fell inside the predicted 50 % and 80 % intervals.` }),
    el("thead", {}, el("tr", {}, ["Category", "Brier", "Brier (base rate)", "ECE", "Base rate", "MAE", "In 50 %", "In 80 %"].map((h) => el("th", { scope: "col", text: h })))),
    el("tbody", {}, cats.categories.map((c) => el("tr", { "data-category": c.category, "data-kind": c.kind },
      el("th", { scope: "row", text: c.category }),
      el("td", { text: opt(c.brier, num) }),
      el("td", { text: opt(c.brier_base_rate, num) }),
      el("td", { text: opt(c.ece, num) }),
      el("td", { text: opt(c.base_rate, pct) }),
      el("td", { text: opt(c.mae, (x) => num(x, 2)) }),
      el("td", { text: opt(c.coverage_50, pct) }),
      el("td", { text: opt(c.coverage_80, pct) }),
    ))));
  page("Calibration", form, el("div", { class: "chart-row" }, reliability(cal.bins), el("div", { class: "scroll" }, table)),
    el("h3", { text: "Every category" }), el("div", { class: "scroll" }, categories));
}

// ---------- upcoming week ----------

function lastIngest(status) {
  const box = el("section", { class: "panel ingest", id: "last-ingest", "aria-labelledby": "ingest-title" },
    el("h3", { id: "ingest-title", text: "Last ingest" }));
  if (!status.feed) {
    box.append(el("p", { class: "muted", text: "No schedule feed is configured (SCHEDULE_FEED_URL): games come from imports and the API." }));
    return box;
  }
  const run = status.runs[0];
  box.append(el("p", { class: "muted", text: `Feed ${status.feed}, schedule ${status.schedule} (UTC).` }));
  if (!run) { box.append(el("p", { text: "No run yet." })); return box; }
  const when = run.finished_at || run.started_at;
  box.append(el("dl", { class: "facts" },
    el("dt", { text: "Outcome" }), el("dd", { "data-outcome": run.outcome, class: `outcome-${run.outcome}`, text: run.outcome }),
    el("dt", { text: "Finished" }), el("dd", {}, el("time", { datetime: when, text: new Date(when).toLocaleString() })),
    el("dt", { text: "Changes" }), el("dd", { text: `${run.added} added, ${run.moved} moved, ${run.finalised} finals, ${run.corrected} corrected, ${run.refused} refused, ${run.forecasts} forecast` }),
    ...(run.error ? [el("dt", { text: "Error" }), el("dd", { class: "error", text: run.error })] : []),
  ));
  return box;
}

// ---------- this week ----------

const QUICK_START = "SCHEDULE_FEED_URL=https://github.com/nflverse/nfldata/raw/master/data/games.csv cargo run -p api";
const signed = (x, d = 1) => (x === null || x === undefined ? "–" : `${x > 0 ? "+" : ""}${Number(x).toFixed(d)}`);
// A home margin as a fan reads a line: the favourite "by" the points.
const by = (margin, home, away) => (Math.abs(margin) < 0.05 ? "even" : `${margin > 0 ? home : away} by ${Math.abs(margin).toFixed(1)}`);

// A probability bar with its text beside it (the bar alone says nothing to a screen reader).
function probBar(pHome, home, away) {
  const w = 120;
  return el("span", { class: "prob" },
    svg("svg", { width: w, height: 12, "aria-hidden": "true", class: "probbar" },
      svg("rect", { width: w * (1 - pHome), height: 12, class: "away" }),
      svg("rect", { x: w * (1 - pHome), width: w * pHome, height: 12, class: "home" })),
    el("span", { class: "prob-text", text: `${away} ${pct(1 - pHome)} · ${home} ${pct(pHome)}` }));
}

function teamLink(side) {
  return el("a", { href: `#/team/${encodeURIComponent(side.team)}`, class: "team", title: side.team, text: side.name });
}

function card(c) {
  const f = c.forecast;
  const m = c.market;
  const head = el("header", {},
    el("span", { class: "when" }, el("time", { datetime: c.date, text: new Date(`${c.date}T12:00:00Z`).toLocaleDateString(undefined, { weekday: "short", month: "short", day: "numeric" }) }),
      c.kickoff ? ` ${c.kickoff}` : "", c.neutral ? " · neutral site" : "", c.playoff ? " · playoff" : ""),
    el("a", { href: `#/game/${encodeURIComponent(c.game_id)}`, class: "detail", text: "details" }));
  const teams = el("p", { class: "teams" }, teamLink(c.away), el("span", { class: "at", text: " at " }), teamLink(c.home));
  const body = [];
  if (c.result) {
    const [h, a] = c.result;
    body.push(el("p", { class: "final", "data-final": `${h}-${a}` }, `Final: ${c.away.name} ${a}, ${c.home.name} ${h}`));
    if (f) body.push(el("p", { class: c.forecast_right === false ? "missed" : "called" },
      `Forecast: ${c.home.team} ${pct(f.home_win_probability)} to win, ${f.predicted_away_score.toFixed(0)}–${f.predicted_home_score.toFixed(0)}`,
      c.forecast_right === true ? " · called it" : c.forecast_right === false ? " · missed" : ""));
  } else if (!f) {
    body.push(el("p", { class: "muted", text: "Not forecast yet." }));
  } else {
    body.push(probBar(f.home_win_probability, c.home.team, c.away.team));
    body.push(el("dl", { class: "facts card-facts" },
      el("dt", { text: "Score" }), el("dd", { text: `${c.away.team} ${f.predicted_away_score.toFixed(0)} – ${f.predicted_home_score.toFixed(0)} ${c.home.team}` }),
      el("dt", { text: "Spread" }), el("dd", { text: by(f.spread, c.home.team, c.away.team) }),
      el("dt", { text: "Total" }), el("dd", { text: f.total.toFixed(1) }),
      ...(m && m.spread !== undefined ? [el("dt", { text: "Market" }), el("dd", { class: "market" },
        by(m.spread, c.home.team, c.away.team),
        m.edge !== undefined ? el("span", { class: "edge", text: Math.abs(m.edge) < 0.05 ? " (the consensus agrees)"
          : ` (consensus ${Math.abs(m.edge).toFixed(1)} more for ${m.edge > 0 ? c.home.team : c.away.team})` }) : "")] : []),
      el("dt", { text: "Experts" }), el("dd", { text: `disagree by ±${(100 * f.expert_spread).toFixed(1)} pts` }),
    ));
    const notes = [];
    if (f.stale) notes.push(el("span", { class: "stale", text: "stale: the game moved since it was forecast" }));
    if (f.change !== undefined && f.change !== null && Math.abs(f.change) >= 0.0005) notes.push(el("span", { class: "changed", text: `moved ${signed(100 * f.change)} pts for ${c.home.team} since the last forecast` }));
    if (notes.length) body.push(el("p", { class: "notes" }, ...notes));
  }
  return el("article", { class: `card${c.result ? " played" : ""}`, "data-game": c.game_id, "aria-label": `${c.away.name} at ${c.home.name}` }, head, teams, ...body);
}

async function thisWeek() {
  page("This week", el("p", { class: "muted", text: "Loading…" }));
  const p = params();
  const q = new URLSearchParams({ days: p.get("days") || 7 });
  if (p.get("from")) q.set("from", p.get("from"));
  let week, status;
  try {
    [week, status] = await Promise.all([api(`/api/v1/week?${q}`), api("/api/v1/ingest/status")]);
  } catch (e) { return page("This week", failure(e)); }
  const parts = [el("p", { class: "muted", id: "window", text: `${week.from} to ${week.to}: ${week.upcoming.length} games to come, ${week.unforecast} without a current forecast, ${week.results.length} played` })];
  if (week.upcoming.length) {
    parts.push(el("div", { class: "cards", id: "week" }, week.upcoming.map(card)));
  } else {
    parts.push(el("section", { class: "panel empty", id: "no-upcoming" },
      el("p", { text: `No games to come between ${week.from} and ${week.to}.` }),
      el("p", {}, "To follow this season, start the service on the published nflverse schedule:"),
      el("pre", {}, el("code", { text: QUICK_START })),
      el("p", { class: "muted", text: "It runs the feed at once, then every 30 minutes, and forecasts the games of the next 8 days." })));
  }
  if (week.results.length) {
    parts.push(el("h3", { id: "results-title", text: "Results" }),
      el("div", { class: "cards results", id: "results", "aria-labelledby": "results-title" }, week.results.map(card)));
  }
  parts.push(lastIngest(status));
  parts.push(el("p", { class: "muted" }, "Back-tested quality: ", el("a", { href: "#/leaderboard", text: "leaderboard" }), " · ", el("a", { href: "#/calibration", text: "calibration" })));
  page("This week", ...parts);
}

// ---------- team ----------

function ratingChart(points, kind) {
  const w = 640, h = 180, pad = 32;
  if (!points.length) return el("p", { class: "muted", text: "No rating history." });
  const ys = points.map((p) => p.rating);
  const lo = Math.min(...ys), hi = Math.max(...ys), span = hi - lo || 1;
  const x = (i) => pad + (i * (w - 2 * pad)) / Math.max(points.length - 1, 1);
  const y = (v) => h - pad / 2 - ((v - lo) / span) * (h - pad);
  const first = points[0], last = points[points.length - 1];
  // A season ends in its following winter: the season is the year before a date before August.
  const seasonOf = (t) => { const d = new Date(t); return d.getUTCMonth() < 7 ? d.getUTCFullYear() - 1 : d.getUTCFullYear(); };
  const label = `${kind} rating at each season's end, ${seasonOf(first.time)} to ${seasonOf(last.time)}: from ${first.rating.toFixed(0)} to ${last.rating.toFixed(0)} (low ${lo.toFixed(0)}, high ${hi.toFixed(0)})`;
  return svg("svg", { id: "rating-chart", viewBox: `0 0 ${w} ${h}`, width: "100%", role: "img", "aria-label": label },
    svg("polyline", { class: "rating", fill: "none", points: points.map((p, i) => `${x(i).toFixed(1)},${y(p.rating).toFixed(1)}`).join(" ") }),
    svg("text", { x: 2, y: y(hi) + 4, text: hi.toFixed(0) }), svg("text", { x: 2, y: y(lo) + 4, text: lo.toFixed(0) }),
    svg("text", { x: pad, y: h - 2, text: String(seasonOf(first.time)) }), svg("text", { x: w - pad - 28, y: h - 2, text: String(seasonOf(last.time)) }));
}

const recordText = (r) => `${r.wins}–${r.losses}${r.ties ? `–${r.ties}` : ""}`;

async function teamPage(id) {
  page(id || "Team", el("p", { class: "muted", text: "Loading…" }));
  const p = params();
  let team, ratings, season;
  try {
    team = await api(`/api/v1/teams/${encodeURIComponent(id)}`);
    const q = p.get("season") ? `?season=${encodeURIComponent(p.get("season"))}` : "";
    [ratings, season] = await Promise.all([
      api(`/api/v1/teams/${encodeURIComponent(team.id)}/ratings?kind=elo`),
      api(`/api/v1/teams/${encodeURIComponent(team.id)}/season${q}`),
    ]);
  } catch (e) { return page(id || "Team", failure(e)); }
  const played = season.games.filter((g) => g.score);
  const coming = season.games.filter((g) => !g.score && !g.cancelled);
  const rows = played.map((g) => el("tr", { "data-game": g.game_id },
    el("td", { text: g.date }),
    el("th", { scope: "row" }, el("a", { href: `#/game/${encodeURIComponent(g.game_id)}`, text: `${g.home ? "vs" : "at"} ${g.opponent}${g.playoff ? " (playoff)" : ""}` })),
    el("td", { class: `res-${g.outcome}`, text: `${g.outcome} ${g.score[0]}–${g.score[1]}` }),
    el("td", {}, g.win_probability === undefined ? "–" : `${pct(g.win_probability)} to win`,
      g.win_probability !== undefined && g.outcome !== "T"
        ? el("span", { class: (g.win_probability >= 0.5) === (g.outcome === "W") ? "called" : "missed", text: (g.win_probability >= 0.5) === (g.outcome === "W") ? " · called" : " · missed" }) : "")));
  const playoffs = season.playoffs.wins + season.playoffs.losses + season.playoffs.ties;
  const summary = `${season.season}: ${recordText(season.regular_season)} in the regular season${playoffs ? `, ${recordText(season.playoffs)} in the playoffs` : ""}${season.forecast_games ? `; the consensus called ${season.called} of ${season.forecast_games}` : ""}`;
  page(`${team.name}`,
    el("p", { class: "muted", text: `${team.id}${team.division ? ` · ${team.division}` : ""}${team.aliases && team.aliases.length ? ` · also ${team.aliases.join(", ")}` : ""}` }),
    el("h3", { text: "Rating over the years" }), ratingChart(ratings.items, "Elo"),
    el("h3", { id: "season-title", text: summary }),
    played.length ? el("div", { class: "scroll" }, el("table", { class: "preds", id: "team-results" },
      el("caption", { text: `Results with the consensus's pre-game chance for ${team.id} (walk-forward: from the games before each)` }),
      el("thead", {}, el("tr", {}, ["Date", "Game", "Result", "Forecast"].map((h) => el("th", { scope: "col", text: h })))),
      el("tbody", {}, rows))) : el("p", { class: "muted", text: "No games played this season." }),
    coming.length ? teamRooting(team.id, season.season) : "", // odds.js
    el("h3", { text: "Coming games" }),
    coming.length ? el("ul", { class: "games", id: "team-coming" }, coming.map((g) => el("li", {},
      el("a", { href: `#/game/${encodeURIComponent(g.game_id)}`, text: `${g.date}: ${g.home ? "vs" : "at"} ${g.opponent}` }),
      g.win_probability !== undefined ? ` · ${pct(g.win_probability)} to win` : " · not forecast yet")))
      : el("p", { class: "muted", text: "None scheduled." }),
    el("p", {}, el("a", { href: `#/team/${team.id}?season=${season.season - 1}`, text: `← ${season.season - 1}` }), " · ",
      el("a", { href: `#/team/${team.id}?season=${season.season + 1}`, text: `${season.season + 1} →` })));
}

// ---------- standings ----------

async function standingsPage() {
  const p = params();
  const season = el("input", { id: "st-season", type: "number", min: 1970, max: 2100, value: p.get("season") || 2018, required: true });
  const through = el("input", { id: "st-through", type: "date", value: p.get("through") || "" });
  const form = el("form", { class: "inline", onsubmit: (ev) => {
    ev.preventDefault();
    const q = new URLSearchParams({ season: season.value });
    if (through.value) q.set("through", through.value);
    location.hash = `#/standings?${q}`;
  } }, el("label", { for: "st-season" }, "Season "), season, el("label", { for: "st-through" }, " through "), through, el("button", { type: "submit", text: "Show" }));
  page("Standings", form, el("p", { class: "muted", text: "Loading…" }));
  let t;
  const q = p.get("through") ? `?through=${encodeURIComponent(p.get("through"))}` : "";
  try { t = await api(`/api/v1/seasons/${encodeURIComponent(season.value)}/standings${q}`); } catch (e) { return page("Standings", form, failure(e)); }
  const tieNote = new Map();
  for (const c of t.conferences) for (const tie of c.ties) {
    const others = tie.tied.filter((x) => x !== tie.first).join(", ");
    tieNote.set(tie.first, `${tie.first} over ${others} by ${tie.step}`);
  }
  const rec = (r) => `${r[0]}-${r[1]}${r[2] ? `-${r[2]}` : ""}`;
  const divTable = (d) => el("table", { class: "preds standings", "data-division": d.name },
    el("caption", { text: d.name }),
    el("thead", {}, el("tr", {}, ["Team", "W-L-T", "Pct", "Div", "Conf", "PF", "PA", "Strk", "Seed"].map((h) => el("th", { scope: "col", text: h })))),
    el("tbody", {}, d.teams.map((l) => el("tr", { "data-team": l.team, title: tieNote.get(l.team) || null },
      el("th", { scope: "row" }, el("a", { href: `#/team/${l.team}?season=${t.season}`, text: l.name })),
      el("td", { text: rec(l.record) }), el("td", { text: l.pct.toFixed(3).replace(/^0/, "") }),
      el("td", { text: rec(l.division_record) }), el("td", { text: rec(l.conference_record) }),
      el("td", { text: l.points_for }), el("td", { text: l.points_against }), el("td", { text: l.streak }),
      el("td", { class: "seed", text: l.seed ? String(l.seed) : "" })))));
  const confs = t.conferences.map((c) => el("section", { class: "conference", "aria-labelledby": `conf-${c.conference}` },
    el("h3", { id: `conf-${c.conference}`, text: c.conference }),
    el("ol", { class: "seeds", id: `seeds-${c.conference}` }, c.seeds.map((s) => el("li", { "data-team": s },
      el("a", { href: `#/team/${s}?season=${t.season}`, text: s }), c.byes.includes(s) ? " (bye)" : ""))),
    c.ties.length ? el("ul", { class: "ties" }, c.ties.map((tie) => el("li", { text: `${tie.first} over ${tie.tied.filter((x) => x !== tie.first).join(", ")}: ${tie.step}` }))) : "",
    ...t.divisions.filter((d) => d.conference === c.conference).map((d) => el("div", { class: "scroll" }, divTable(d)))));
  page("Standings", form,
    el("p", { class: "muted", text: `${t.season}, ${t.through ? `games through ${t.through}` : "every game played"}: ${t.games} games. Seeds by the league's tie-breaking procedures; hover a team for the tie it won.` }),
    el("div", { class: "conferences" }, ...confs));
}

// ---------- game ----------

async function gamePage(id) {
  if (id) return gameDetail(id);
  const p = params();
  const season = el("input", { id: "g-season", type: "number", min: 1920, max: 2100, value: p.get("season") || 2018, required: true });
  const week = el("input", { id: "g-week", type: "number", min: 1, max: 25, value: p.get("week") || 1 });
  const team = el("input", { id: "g-team", type: "text", maxlength: 3, value: p.get("team") || "", placeholder: "e.g. KC", autocomplete: "off" });
  const list = el("ul", { class: "games", id: "game-list" });
  const form = el("form", {
    class: "filters",
    onsubmit: (ev) => {
      ev.preventDefault();
      const q = new URLSearchParams({ season: season.value, week: week.value });
      if (team.value.trim()) q.set("team", team.value.trim().toUpperCase());
      location.hash = `#/game?${q}`;
    },
  }, el("label", { for: "g-season", text: "Season" }), season, el("label", { for: "g-week", text: "Week" }), week,
     el("label", { for: "g-team", text: "Team" }), team, el("button", { type: "submit", text: "Show games" }));
  page("Game", form, list);
  if (!p.get("season")) return;
  const q = new URLSearchParams({ season: p.get("season"), per_page: 50 });
  if (p.get("week")) q.set("week", p.get("week"));
  if (p.get("team")) q.set("team", p.get("team"));
  try {
    const games = await api(`/api/v1/games?${q}`);
    if (!games.items.length) list.append(el("li", { text: "No games match." }));
    for (const g of games.items) {
      list.append(el("li", {}, el("a", { href: `#/game/${g.id}`, "data-game": g.id },
        `${g.date} · ${g.away_team} at ${g.home_team}`, g.home_score !== null ? ` · ${g.away_score}–${g.home_score}` : "")));
    }
  } catch (e) { list.append(el("li", {}, failure(e))); }
}

async function gameDetail(id) {
  currentGame = id;
  page(`Game ${id}`, el("p", { class: "muted", text: "Loading…" }));
  let game, preds;
  try {
    [game, preds] = await Promise.all([
      api(`/api/v1/games/${encodeURIComponent(id)}`),
      api(`/api/v1/games/${encodeURIComponent(id)}/predictions`),
    ]);
  } catch (e) { return page(`Game ${id}`, failure(e)); }
  if (currentGame !== id) return;
  const final = game.home_score !== null && game.away_score !== null;
  const facts = el("dl", { class: "facts" },
    el("dt", { text: "Matchup" }), el("dd", {},
      el("a", { href: `#/team/${game.away_team}?season=${game.season}`, text: game.away_team }), " at ",
      el("a", { href: `#/team/${game.home_team}?season=${game.season}`, text: game.home_team }),
      game.neutral ? " (neutral site)" : ""),
    el("dt", { text: "Date" }), el("dd", { text: `${game.date} · season ${game.season}, week ${game.week}${game.playoff ? " (playoffs)" : ""}` }),
    el("dt", { text: "Result" }), el("dd", { id: "result", text: final ? `${game.home_team} ${game.home_score} – ${game.away_score} ${game.away_team}` : "not played yet" }),
  );
  const body = el("div", { id: "predictions" });
  if (!preds.items.length) {
    body.append(
      el("p", { id: "no-predictions", text: "No predictions for this game yet." }),
      el("button", {
        type: "button", id: "forecast",
        onclick: async (ev) => {
          ev.target.disabled = true;
          try { await api(`/api/v1/games/${encodeURIComponent(id)}/predictions`, { method: "POST" }); gameDetail(id); }
          catch (e) { ev.target.disabled = false; body.append(failure(e)); }
        },
      }, "Forecast this game"),
      el("p", { class: "hint", text: "A prediction posted by anyone appears here by itself (live stream)." }),
    );
  } else {
    const rows = [...preds.items];
    if (preds.consensus) rows.unshift(preds.consensus);
    if (rows[0].stale) body.append(el("p", { class: "warning", role: "status", id: "stale", text: "These forecasts are stale: the game moved to another date after they were made. Forecast it again (the scheduler does within its horizon)." }));
    body.append(el("div", { class: "scroll" }, el("table", { class: "preds" },
      el("caption", { text: `${preds.items.length} experts and the consensus, model ${rows[0].model_version}` }),
      el("thead", {}, el("tr", {}, ["Expert", "Winner", "Probability", `${game.home_team} win`, "Confidence", "Provenance"].map((h) => el("th", { scope: "col", text: h })))),
      el("tbody", {}, rows.map((p) => {
        const right = final && ((p.winner === game.home_team) === (game.home_score > game.away_score));
        return el("tr", { class: p.expert_id === "consensus" ? "row-consensus" : "", "data-expert": p.expert_id },
          el("th", { scope: "row", text: p.expert_id }),
          el("td", { text: p.winner + (final ? (right ? " ✓" : " ✗") : "") }),
          el("td", { text: pct(p.win_probability) }),
          el("td", {}, el("span", { class: "bar", "aria-hidden": "true" }, svg("svg", { width: 80, height: 10 }, svg("rect", { width: 80 * p.home_win_probability, height: 10, class: "barfill" }))), ` ${pct(p.home_win_probability)}`),
          el("td", { text: pct(p.confidence) }),
          el("td", {}, p.expert_id === "consensus" ? "–" : el("a", { href: `#/provenance/${encodeURIComponent(p.id)}`, class: "why", text: "why?" })),
        );
      })))));
  }
  page(`Game ${id}`, facts, body);
}

// ---------- provenance ----------

// Fetches `path` as `accept` with the key and saves it as `filename`.
async function download(path, accept, filename) {
  const res = await fetch(path, { headers: { "X-API-Key": key, Accept: accept } });
  if (!res.ok) { alert(`Download failed (${res.status})`); return; }
  const a = el("a", { href: URL.createObjectURL(await res.blob()), download: filename });
  document.body.append(a);
  a.click();
  a.remove();
}

function provDownloads(path, name) {
  return el("p", { class: "downloads" }, "Download as W3C PROV: ",
    el("button", { type: "button", id: "dl-prov-json", onclick: () => download(path, "application/prov+json", `${name}.prov.json`), text: "PROV-JSON" }), " ",
    el("button", { type: "button", id: "dl-prov-n", onclick: () => download(path, "text/provenance-notation", `${name}.provn`), text: "PROV-N" }));
}

async function provenance(id) {
  if (!id) {
    const input = el("input", { id: "p-id", type: "text", required: true, size: 40, placeholder: "NE_KC_2017_W1.elo.wf-2026.11.1" });
    return page("Provenance", el("form", {
      class: "filters",
      onsubmit: (ev) => { ev.preventDefault(); location.hash = `#/provenance/${encodeURIComponent(input.value.trim())}`; },
    }, el("label", { for: "p-id", text: "Prediction id" }), input, el("button", { type: "submit", text: "Explain" })),
    el("p", { class: "hint", text: "Or open a game and follow a prediction's “why?” link." }));
  }
  page("Provenance", el("p", { class: "muted", text: "Loading…" }));
  let g;
  try { g = await api(`/api/v1/predictions/${encodeURIComponent(id)}/provenance`); } catch (e) { return page("Provenance", failure(e)); }
  const byId = Object.fromEntries(g.nodes.map((n) => [n.id, n]));
  const pred = byId[g.prediction_id];
  const expert = g.nodes.find((n) => n.label === "Expert");
  const used = g.edges.filter((e) => e.relation === "USED_IN")
    .map((e) => ({ memory: byId[e.source], weight: e.properties.influence_weight, rank: e.properties.retrieval_rank }))
    .sort((a, b) => a.rank - b.rank);
  const game = byId[pred.properties.game_id];
  const W = 760, rowH = 46, H = Math.max(260, used.length * rowH + 60);
  const maxW = Math.max(1e-9, ...used.map((u) => Math.abs(u.weight)));
  const chart = svg("svg", { id: "provenance-graph", width: "100%", viewBox: `0 0 ${W} ${H}`, role: "img",
    "aria-label": `${used.length} memories used by ${pred.properties.expert_id} for ${pred.properties.game_id}` });
  const px = 430, py = H / 2, ex = 660, ey = H * 0.25, gx = 660, gy = H * 0.75;
  used.forEach((u, i) => {
    const y = 30 + i * rowH + rowH / 2;
    chart.append(svg("line", { class: `edge used ${u.weight >= 0 ? "pos" : "neg"}`, x1: 150, y1: y, x2: px - 28, y2: py,
      "stroke-width": (1 + 9 * Math.abs(u.weight) / maxW).toFixed(2) }, svg("title", { text: `rank ${u.rank}, influence ${num(u.weight)}` })));
  });
  chart.append(svg("line", { class: "edge", x1: ex, y1: ey, x2: px + 28, y2: py }));
  chart.append(svg("line", { class: "edge", x1: px + 28, y1: py, x2: gx, y2: gy }));
  chart.append(svg("line", { class: "edge", x1: ex, y1: ey, x2: gx, y2: gy }));
  used.forEach((u, i) => {
    const y = 30 + i * rowH + rowH / 2;
    chart.append(svg("circle", { class: "node memory", cx: 130, cy: y, r: 14, "data-id": u.memory.id }, svg("title", { text: u.memory.properties.content || u.memory.id })));
    chart.append(svg("text", { x: 130, y: y + 4, "text-anchor": "middle", class: "node-label", text: u.rank }));
    chart.append(svg("text", { x: 108, y: y + 4, "text-anchor": "end", class: "small", text: (u.memory.properties.kind || "memory") }));
  });
  chart.append(svg("circle", { class: "node prediction", cx: px, cy: py, r: 28 }));
  chart.append(svg("text", { x: px, y: py + 46, "text-anchor": "middle", text: `prediction: ${pred.properties.winner} ${pct(pred.properties.win_probability)}` }));
  chart.append(svg("circle", { class: "node expert", cx: ex, cy: ey, r: 22 }));
  chart.append(svg("text", { x: ex, y: ey - 30, "text-anchor": "middle", text: `expert: ${expert ? expert.properties.name || expert.id : pred.properties.expert_id}` }));
  chart.append(svg("circle", { class: "node game", cx: gx, cy: gy, r: 22 }));
  chart.append(svg("text", { x: gx, y: gy + 38, "text-anchor": "middle", text: `game: ${pred.properties.game_id}` }));
  const list = el("ol", { class: "memories", id: "memory-list" }, used.map((u) => el("li", { "data-rank": u.rank },
    el("strong", { text: `influence ${num(u.weight)}` }), " ", u.memory.properties.content || u.memory.id, " ",
    (u.memory.properties.games || []).map((gid) => el("a", { href: `#/game/${gid}`, class: "past-game", text: gid })),
  )));
  page("Provenance",
    el("p", {}, "Why ", el("strong", { text: pred.properties.expert_id }), ` picked ${pred.properties.winner} (${pct(pred.properties.win_probability)}) for `,
      el("a", { href: `#/game/${pred.properties.game_id}`, text: pred.properties.game_id }), game && game.properties.home_score !== null ? ` (final ${game.properties.home_score}–${game.properties.away_score})` : "", "."),
    el("p", { class: "hint", text: pred.properties.reasoning || "" }),
    provDownloads(`/api/v1/predictions/${encodeURIComponent(id)}/provenance`, id),
    el("div", { class: "chart-row" }, el("div", { class: "graph" }, chart), el("section", { "aria-labelledby": "mem-title" }, el("h3", { id: "mem-title", text: `Memories by rank (${used.length})` }), list)));
}

// ---------- live stream ----------

function logEvent(e) {
  const text = e.type === "prediction" ? `prediction: ${e.game_id} → ${e.consensus.winner} ${pct(e.consensus.win_probability)}`
    : e.type === "health" ? `health: ${Object.entries(e.components).map(([k, v]) => `${k} ${v}`).join(", ")}`
    : e.type === "game" ? `new game: ${e.away_team} at ${e.home_team} (${e.game_id})`
    : e.type === "result" ? `final: ${e.away_team} ${e.away_score} at ${e.home_team} ${e.home_score} (${e.game_id})`
    : e.type === "ingest" ? `ingest: ${e.outcome} (${e.added} added, ${e.moved} moved, ${e.finalised} finals, ${e.forecasts} forecast)`
    : e.type === "lagged" ? `missed ${e.missed} events (slow connection)`
    : e.type === "hello" ? `connected (model ${e.model_version})` : e.type;
  eventsEl.prepend(el("li", { "data-type": e.type }, el("time", { text: new Date().toLocaleTimeString() }), " ", text));
  while (eventsEl.children.length > 50) eventsEl.lastChild.remove();
}

function connect() {
  if (!key || socket) return;
  const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/api/v1/stream`;
  let ws;
  try { ws = new WebSocket(url, ["nflp-stream", key]); } catch (_) { return retry(); }
  socket = ws;
  liveEl.textContent = "live: connecting…";
  ws.onopen = () => { backoff = 1000; liveEl.textContent = "live: connected"; liveEl.dataset.state = "connected"; };
  ws.onmessage = (m) => {
    let e; try { e = JSON.parse(m.data); } catch (_) { return; }
    logEvent(e);
    if ((e.type === "prediction" || e.type === "result") && currentGame === e.game_id && location.hash === `#/game/${e.game_id}`) gameDetail(e.game_id);
    const onWeek = location.hash === "" || location.hash === "#/" || location.hash.startsWith("#/week") || location.hash.startsWith("#/upcoming");
    if (["ingest", "prediction", "game", "result"].includes(e.type) && onWeek) scheduleRefresh(thisWeek);
  };
  ws.onclose = () => { socket = null; liveEl.dataset.state = "offline"; retry(); };
  ws.onerror = () => ws.close();
}

// Re-renders a page once after a burst of events (a run forecasts many games at once).
let refreshTimer = null;
function scheduleRefresh(render) {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(render, 300);
}

function retry() {
  const wait = backoff;
  backoff = Math.min(backoff * 2, 30000);
  liveEl.textContent = `live: reconnecting in ${Math.round(wait / 1000)} s`;
  setTimeout(connect, wait);
}

// ---------- routing ----------

async function route() {
  const [path] = location.hash.replace(/^#\/?/, "").split("?");
  const [name, ...rest] = path.split("/");
  const arg = rest.length ? decodeURIComponent(rest.join("/")) : null;
  currentGame = null;
  if (!key) { askForKey(); main.replaceChildren(el("p", { text: "Enter an API key to start." })); return; }
  switch (name) {
    case "leaderboard": return leaderboard();
    case "standings": return standingsPage();
    case "odds": return oddsPage(); // odds.js
    case "calibration": return calibration();
    case "game": return gamePage(arg);
    case "team": return teamPage(arg);
    case "provenance": return provenance(arg);
    default: return thisWeek(); // "", "week", and the old "upcoming"
  }
}

keyForm.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  key = keyInput.value.trim();
  keyInput.value = "";
  sessionStorage.setItem("nflp-key", key);
  keyPanel.hidden = true;
  keyError.textContent = "";
  connect();
  await route();
  main.focus();
});

window.addEventListener("hashchange", route);
if (key) connect();
route();
