// nfl-predictor dashboard: the "Playoff odds" page, 538-style: each conference's teams with
// their chance of the playoffs, the division, a bye, the top seed, the conference and the
// title, the change since a week earlier, each team's wins distribution as a small chart and
// what is proven (clinched, eliminated); every column sorts. Below: the coming week's games
// that matter and a rooting guide for any team. Uses the helpers of app.js (el, svg, api, page, params, failure, pct).
"use strict";

const ODDS_COLUMNS = [
  // [key, header, value of a team row, format]
  ["team", "Team", (t) => t.name, null],
  ["record", "W-L-T", (t) => t.record[0] + t.record[2] / 2 - t.record[1] / 100, null],
  ["mean_wins", "Wins", (t) => t.mean_wins, null],
  ["playoffs", "Playoffs", (t) => t.playoffs, null],
  ["change", "Δ week", (t) => (t.change === undefined ? -2 : t.change), null],
  ["division_title", "Division", (t) => t.division_title, null],
  ["bye", "Bye", (t) => t.bye, null],
  ["top_seed", "1st seed", (t) => t.top_seed, null],
  ["conference_title", "Conf.", (t) => t.conference_title, null],
  ["super_bowl", "Title", (t) => t.super_bowl, null],
];

// A probability as 538 printed it: "—" for none, "<1%" and ">99%" at the ends, else whole
// percents; "✓" only when nothing is left to play (a sample cannot prove a clinch).
function oddsPct(p, settled) {
  if (p === 0) return "—";
  if (p === 1) return settled ? "✓" : ">99%";
  if (p < 0.01) return "<1%";
  if (p > 0.99) return ">99%";
  return `${Math.round(100 * p)}%`;
}

// The wins distribution as bars, 0 wins on the left; the mean marked.
function winsChart(t) {
  const w = 4, h = 24, n = t.wins.length;
  const top = Math.max(...t.wins, 0.0001);
  const bars = t.wins.map((p, i) => svg("rect", {
    x: i * w, y: h - (h * p) / top, width: w - 0.5, height: (h * p) / top,
    class: i >= 10 ? "bar good" : "bar",
  }));
  const most = t.wins.indexOf(Math.max(...t.wins));
  return svg("svg", {
    class: "wins-chart", width: n * w, height: h, viewBox: `0 0 ${n * w} ${h}`, role: "img",
    "aria-label": `${t.name}: ${t.mean_wins.toFixed(1)} wins on average, ${most} most likely (${pct(t.wins[most])})`,
  }, svg("title", { text: t.wins.map((p, i) => `${i}: ${pct(p)}`).join(", ") }), ...bars);
}

// What is proven over every outcome of the remaining games (not sampled), as a badge.
function provenBadge(t) {
  const p = t.proven;
  if (!p) return null;
  const [text, title] =
    p.top_seed === "clinched" ? ["1st", "clinched the top seed"]
    : p.division === "clinched" ? ["div", "clinched the division"]
    : p.playoffs === "clinched" ? ["in", "clinched a playoff place"]
    : p.playoffs === "eliminated" ? ["out", "eliminated from the playoffs"]
    : [null, null];
  if (!text) return null;
  return el("span", { class: `badge ${text === "out" ? "out" : "in"}`, title: `${title}: proven over every possible outcome`, text });
}

function oddsCell(key, t, settled) {
  if (key === "team") return el("th", { scope: "row", title: t.proven && t.proven.why ? `Not decided: ${t.proven.why}` : null }, el("a", { href: `#/team/${t.team}`, text: t.name }), provenBadge(t));
  if (key === "record") return el("td", { text: `${t.record[0]}-${t.record[1]}${t.record[2] ? `-${t.record[2]}` : ""}` });
  if (key === "mean_wins") return el("td", { class: "chart" }, winsChart(t), el("span", { class: "mean", text: t.mean_wins.toFixed(1) }));
  if (key === "change") {
    if (t.change === undefined) return el("td", { class: "muted", text: "" });
    const c = Math.round(100 * t.change);
    return el("td", { class: c > 0 ? "up" : c < 0 ? "down" : "muted", text: c === 0 ? "·" : `${c > 0 ? "+" : "−"}${Math.abs(c)}` });
  }
  const p = t[key];
  return el("td", { class: p === 1 && settled ? "odds certain" : p === 0 ? "odds none" : "odds", "data-p": p.toFixed(3), text: oddsPct(p, settled) });
}

function oddsTable(conference, teams, sort, settled) {
  const [key, dir] = sort;
  const col = ODDS_COLUMNS.find((c) => c[0] === key) || ODDS_COLUMNS.find((c) => c[0] === "playoffs");
  const rows = [...teams].sort((a, b) => {
    const x = col[2](a), y = col[2](b);
    const by = typeof x === "string" ? x.localeCompare(y) : x - y;
    return (dir === "asc" ? by : -by) || b.playoffs - a.playoffs;
  });
  const header = ODDS_COLUMNS.map(([k, label]) => el("th", {
    scope: "col",
    "data-col": k,
    "aria-sort": k === key ? (dir === "asc" ? "ascending" : "descending") : null,
  }, el("button", {
    type: "button", class: "sort", "data-sort": k,
    onclick: () => oddsSort(k === key && dir === "desc" ? [k, "asc"] : [k, k === "team" ? "asc" : "desc"]),
    text: label + (k === key ? (dir === "asc" ? " ▲" : " ▼") : ""),
  })));
  return el("table", { class: "preds odds-table", id: `odds-${conference}`, "data-conference": conference },
    el("caption", { text: `${conference}` }),
    el("thead", {}, el("tr", {}, header)),
    el("tbody", {}, rows.map((t) => el("tr", { "data-team": t.team }, ODDS_COLUMNS.map(([k]) => {
      const cell = oddsCell(k, t, settled);
      cell.dataset.col = k;
      return cell;
    })))));
}

let oddsState = null; // { odds, sort, header } of the page on screen

function oddsSort(sort) {
  if (!oddsState) return;
  oddsState.sort = sort;
  renderOdds();
}

function renderOdds() {
  const { odds, sort, header, matter } = oddsState;
  const confs = [...new Set(odds.teams.map((t) => t.conference))];
  page("Playoff odds", ...header,
    el("div", { class: "odds-tables" }, confs.map((c) => el("div", { class: "scroll" },
      oddsTable(c, odds.teams.filter((t) => t.conference === c), sort, odds.run.games_remaining === 0)))),
    matter || "");
}

// The coming week's games that matter most, and a team's rooting guide.
async function gamesThatMatter(season, q, teams) {
  let lev;
  try { lev = await api(`/api/v1/seasons/${encodeURIComponent(season)}/odds/leverage?${q}`); } catch (_) { return null; }
  if (!lev.games.length) return null;
  const name = new Map(teams.map((t) => [t.team, t.name]));
  const rows = lev.games.slice(0, 8).map((g) => {
    const moved = g.teams.slice(0, 3).map((s) => `${s.team} ${s.swing > 0 ? "+" : "−"}${Math.round(100 * Math.abs(s.swing))}`).join(", ");
    return el("tr", { "data-game": g.game },
      el("th", { scope: "row" }, el("a", { href: `#/game/${encodeURIComponent(g.game)}`, text: `${g.away} at ${g.home}` })),
      el("td", { text: g.date }), el("td", { text: pct(g.home_wins) }),
      el("td", { text: g.importance.toFixed(2) }), el("td", { text: moved }));
  });
  const guide = el("div", { id: "rooting" });
  const pick = el("select", { id: "rooting-team", onchange: () => rooting(season, q, pick.value, guide) },
    el("option", { value: "", text: "a team…" }),
    [...teams].sort((a, b) => a.name.localeCompare(b.name)).map((t) => el("option", { value: t.team, text: t.name })));
  return el("section", { class: "matter", "aria-labelledby": "matter-title" },
    el("h3", { id: "matter-title", text: `Week ${lev.week}: the games that matter` }),
    el("p", { class: "muted", text: "Importance: playoff places that ride on the result, summed over the league (each team's change in playoff chance between the two results). Home win: the share of simulated seasons. Most moved: the change for the home side's win, in points." }),
    el("div", { class: "scroll" }, el("table", { class: "preds", id: "leverage" },
      el("thead", {}, el("tr", {}, ["Game", "Date", "Home win", "Importance", "Most moved"].map((h) => el("th", { scope: "col", text: h })))),
      el("tbody", {}, rows))),
    el("h3", { text: "Rooting guide" }),
    el("p", {}, el("label", { for: "rooting-team", text: "Whom should " }), pick, " root for this week?"),
    guide);
}


async function rooting(season, q, team, into) {
  if (!team) return into.replaceChildren();
  let r;
  const more = q ? `&${q}` : "";
  try { r = await api(`/api/v1/teams/${encodeURIComponent(team)}/rooting?season=${encodeURIComponent(season)}${more}`); } catch (e) { return into.replaceChildren(failure(e)); }
  if (!r.games.length) return into.replaceChildren(el("p", { class: "muted", text: "No game this week moves its odds." }));
  into.replaceChildren(el("ol", { class: "rooting", id: `rooting-${team}` }, r.games.map((g) => el("li", { "data-game": g.game },
    el("strong", { text: `Root for ${g.root_for}` }), ` (${g.away} at ${g.home}${g.own_game ? ", its own game" : ""}): `,
    `playoffs ${pct(g.playoffs[0])} if ${g.home} wins, ${pct(g.playoffs[1])} if ${g.away} wins`))));
}

// The day a week before `date` (YYYY-MM-DD).
function weekBefore(date) {
  const d = new Date(`${date}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() - 7);
  return d.toISOString().slice(0, 10);
}

async function oddsPage() {
  const p = params();
  const season = el("input", { id: "od-season", type: "number", min: 1970, max: 2100, value: p.get("season") || 2018, required: true });
  const through = el("input", { id: "od-through", type: "date", value: p.get("through") || "" });
  const sims = el("select", { id: "od-sims" }, [5000, 25000, 100000].map((n) =>
    el("option", { value: n, selected: String(n) === (p.get("sims") || "25000"), text: n.toLocaleString("en") })));
  const form = el("form", { class: "inline", onsubmit: (ev) => {
    ev.preventDefault();
    const q = new URLSearchParams({ season: season.value, sims: sims.value });
    if (through.value) q.set("through", through.value);
    location.hash = `#/odds?${q}`;
  } }, el("label", { for: "od-season" }, "Season "), season, el("label", { for: "od-through" }, " through "), through,
     el("label", { for: "od-sims" }, " simulations "), sims, el("button", { type: "submit", text: "Simulate" }));
  page("Playoff odds", form, el("p", { class: "muted", text: "Simulating the rest of the season…" }));
  const q = new URLSearchParams({ sims: sims.value });
  if (p.get("through")) q.set("through", p.get("through"));
  let odds;
  try { odds = await api(`/api/v1/seasons/${encodeURIComponent(season.value)}/odds?${q}`); } catch (e) { return page("Playoff odds", form, failure(e)); }
  const run = odds.run;
  // A week earlier, for the change column (none when that is before the season).
  const asOf = run.through || run.model_as_of;
  if (asOf && run.games_played > 0) {
    const before = new URLSearchParams({ sims: sims.value, through: weekBefore(asOf) });
    try {
      const earlier = await api(`/api/v1/seasons/${encodeURIComponent(season.value)}/odds?${before}`);
      const was = new Map(earlier.teams.map((t) => [t.team, t.playoffs]));
      for (const t of odds.teams) if (was.has(t.team)) t.change = t.playoffs - was.get(t.team);
    } catch (_) { /* the season had not started a week earlier: no change column */ }
  }
  const header = [form,
    el("p", { class: "muted", id: "odds-summary", text:
      `${run.season}: ${run.games_played} games played${run.through ? ` through ${run.through}` : ""}, ${run.games_remaining} to play, ` +
      `simulated ${run.sims.toLocaleString("en")} times (seed ${run.seed}) with model ${run.model_version}. ` +
      `Wins: the projected wins and their distribution (bars from 0 wins; dark from 10). Δ week: the change in playoff chance since a week earlier, in points. —: in none of the simulated seasons (a sample proves no elimination, nor a clinch). Click a column to sort; hover a chart for each number of wins.` }),
  ];
  oddsState = { odds, sort: ["playoffs", "desc"], header, matter: null };
  renderOdds();
  if (run.games_remaining > 0) {
    const matter = await gamesThatMatter(season.value, q, odds.teams);
    if (matter && oddsState && oddsState.odds === odds) { oddsState.matter = matter; renderOdds(); }
  }
}

// The team page's rooting guide for the coming week (shown when the team has games to come).
function teamRooting(team, season) {
  const into = el("div", { id: "team-rooting" }, el("p", { class: "muted", text: "Working out whom to root for…" }));
  rooting(season, "", team, into).then(() => {
    if (!into.querySelector("li") && !into.querySelector(".error")) into.replaceChildren();
  });
  return el("section", { "aria-labelledby": "team-rooting-title" },
    el("h3", { id: "team-rooting-title", text: "Whom to root for this week" }), into);
}
