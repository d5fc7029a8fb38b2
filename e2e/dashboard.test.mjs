// End-to-end test of the dashboard as a person would use it: the service on the embedded
// default (seasons 2016-2018), Debian's Chromium driven by playwright-core. Clicks through
// leaderboard -> calibration -> game -> provenance, checks what is on screen against the API,
// checks that a prediction posted through the API appears on the open page through the live
// stream, that This week (the first page) follows a schedule feed through a week (a feed served
// here: the schedule, the forecasts on the cards, a result moving to the results strip), and a
// team page. Screenshots go to e2e/artifacts/.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import net from "node:net";
import http from "node:http";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
const artifacts = join(here, "artifacts");
mkdirSync(artifacts, { recursive: true });

const bin = process.env.API_BIN || join(root, "target/debug/api");
const freePort = () => new Promise((res) => {
  const s = net.createServer();
  s.listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => res(p)); });
});
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A schedule feed the service follows (hand-written rows, nflverse layout): three games of
// a 2019 week 1, none played yet.
const feedRows = [
  "season,game_type,week,gameday,gametime,away_team,away_score,home_team,home_score,location,spread_line",
  "2019,REG,1,2019-09-05,20:20,GB,,CHI,,Home,3.5",
  "2019,REG,1,2019-09-08,13:00,KC,,JAX,,Home,-3.5",
  "2019,REG,1,2019-09-08,16:25,PIT,,NE,,Home,5.5",
];
const feed = http.createServer((_, res) => { res.writeHead(200, { "Content-Type": "text/csv" }); res.end(feedRows.join("\n") + "\n"); });
await new Promise((r) => feed.listen(0, "127.0.0.1", r));

const port = await freePort();
const dataDir = mkdtempSync(join(tmpdir(), "nflp-e2e-"));
const base = `http://127.0.0.1:${port}`;
const server = spawn(bin, [], {
  env: {
    ...process.env,
    BIND_ADDR: `127.0.0.1:${port}`,
    DATA_DIR: dataDir,
    SEED_FILE: join(root, "api/tests/fixtures/games_2016_2018.csv"),
    RATE_LIMIT_PER_SECOND: "0",
    AUTH_RATE_LIMIT_PER_SECOND: "0",
    LOG_LEVEL: "warn",
    SCHEDULE_FEED_URL: `http://127.0.0.1:${feed.address().port}/games.csv`,
    SCHEDULE_CRON: "0 0 1 1 *",
    SCHEDULE_RUN_AT_START: "false",
    SCHEDULE_TODAY: "2019-09-04",
  },
  stdio: ["ignore", "inherit", "inherit"],
});
let browser;
const cleanup = async () => {
  if (browser) await browser.close().catch(() => {});
  server.kill("SIGTERM");
  feed.close();
  rmSync(dataDir, { recursive: true, force: true });
};
const steps = [];
const step = async (name, fn) => {
  const t = Date.now();
  await fn();
  steps.push(name);
  console.log(`ok - ${name} (${Date.now() - t} ms)`);
};

try {
  for (let i = 0; i < 120; i++) {
    try { if ((await fetch(`${base}/health`)).ok) break; } catch (_) { /* not up yet */ }
    await sleep(500);
  }
  const key = readFileSync(join(dataDir, "admin.key"), "utf8").trim();
  const api = async (path, opts = {}) => {
    const r = await fetch(`${base}${path}`, { ...opts, headers: { "X-API-Key": key } });
    assert.ok(r.ok, `${path}: HTTP ${r.status}`);
    return r.json();
  };

  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const consoleErrors = [];
  page.on("console", (m) => { if (m.type() === "error") consoleErrors.push(m.text()); });
  page.on("pageerror", (e) => consoleErrors.push(String(e)));

  await step("the page asks for an API key, keeps it for the tab, and goes live", async () => {
    await page.goto(`${base}/`);
    await page.getByLabel(/Your API key/).fill(key);
    await page.getByRole("button", { name: "Use this key" }).click();
    await page.waitForSelector("#live[data-state=connected]", { timeout: 10000 });
  });

  await step("the first page is This week: with nothing to come it says how to follow a season", async () => {
    await page.waitForSelector("#no-upcoming");
    assert.match(await page.locator("#no-upcoming").innerText(), /SCHEDULE_FEED_URL=https:\/\/github.com\/nflverse\/nfldata/);
    assert.equal(await page.locator("main[aria-live]").count(), 0, "only the events panel is a live region");
    assert.equal(await page.locator("#events[aria-live]").count(), 1);
    await page.screenshot({ path: join(artifacts, "0-this-week-empty.png"), fullPage: true });
  });

  await step("the leaderboard lists the 16 experts (no lines: no market), the consensus and the 538 anchor, sortable", async () => {
    await page.goto(`${base}/#/leaderboard`);
    await page.waitForSelector("table.board tbody tr");
    assert.equal(await page.locator("tr[data-kind=expert]").count(), 16);
    assert.equal(await page.locator("tr[data-kind=consensus]").count(), 1);
    assert.equal(await page.locator("tr[data-kind=anchor]").count(), 1);
    assert.equal(await page.locator("table.board svg.spark polyline").count(), 18);
    const board = await api("/api/v1/leaderboard");
    const best = [...board.rows].sort((a, b) => a.brier - b.brier)[0];
    // Sorted by Brier ascending by default: the best row is first.
    assert.equal(await page.locator("table.board tbody tr").first().getAttribute("data-id"), best.id);
    await page.getByRole("button", { name: /^Brier/ }).click();
    const worst = [...board.rows].sort((a, b) => b.brier - a.brier)[0];
    assert.equal(await page.locator("table.board tbody tr").first().getAttribute("data-id"), worst.id);
    await page.screenshot({ path: join(artifacts, "1-leaderboard.png"), fullPage: true });
  });

  await step("an expert's name opens its reliability diagram with one circle per non-empty bin", async () => {
    await page.locator("tr[data-id=elo] a").click();
    await page.waitForSelector("#reliability circle.bin");
    const cal = await api("/api/v1/calibration?expert=elo&from=2016&to=2018");
    const nonEmpty = cal.bins.filter((b) => b.count > 0).length;
    assert.equal(await page.locator("#reliability circle.bin").count(), nonEmpty);
    assert.match(await page.locator("table.bins caption").first().innerText(), new RegExp(`${cal.games} games`));
    // Every category scored, probabilities and points each with their own measures.
    const cats = await api("/api/v1/quality/categories?from=2016&to=2018");
    assert.equal(await page.locator("#categories tbody tr").count(), 27);
    assert.equal(await page.locator("#categories tr[data-kind=points]").count(), cats.categories.filter((c) => c.kind === "points").length);
    const margin = cats.categories.find((c) => c.category === "point_margin");
    assert.match(await page.locator("#categories tr[data-category=point_margin]").innerText(), new RegExp(margin.mae.toFixed(2)));
    await page.screenshot({ path: join(artifacts, "2-calibration.png"), fullPage: true });
  });

  const game = "NE_KC_2017_W1";
  await step("the game page finds a game by season, week and team and forecasts it on request", async () => {
    await page.getByRole("link", { name: "Game", exact: true }).click();
    await page.getByLabel("Season").fill("2017");
    await page.getByLabel("Week").fill("1");
    await page.getByLabel("Team").fill("kc");
    await page.getByRole("button", { name: "Show games" }).click();
    await page.locator(`a[data-game=${game}]`).click();
    await page.waitForSelector("#no-predictions");
    assert.match(await page.locator("#result").innerText(), /NE 27 – 42 KC/);
    await page.getByRole("button", { name: "Forecast this game" }).click();
    await page.waitForSelector("table.preds tbody tr");
    assert.equal(await page.locator("table.preds tbody tr").count(), 17);
    assert.equal(await page.locator("tr[data-expert=consensus]").count(), 1);
    await page.screenshot({ path: join(artifacts, "3-game.png"), fullPage: true });
  });

  await step("a prediction's provenance is drawn with one node per memory the API reports", async () => {
    await page.locator("tr[data-expert=elo] a.why").click();
    await page.waitForSelector("#provenance-graph circle.memory");
    const id = decodeURIComponent(page.url().split("#/provenance/")[1]);
    const prov = await api(`/api/v1/predictions/${encodeURIComponent(id)}/provenance`);
    const memories = prov.nodes.filter((n) => n.label === "Memory").length;
    assert.ok(memories > 0, "the prediction used memories");
    assert.equal(await page.locator("#provenance-graph circle.memory").count(), memories);
    assert.equal(await page.locator("#provenance-graph line.edge.used").count(), memories);
    assert.equal(await page.locator("#memory-list li").count(), memories);
    await page.screenshot({ path: join(artifacts, "4-provenance.png"), fullPage: true });
    // The W3C PROV downloads are the API's exports of the same prediction.
    for (const [button, accept] of [["#dl-prov-json", "application/prov+json"], ["#dl-prov-n", "text/provenance-notation"]]) {
      const [file] = await Promise.all([page.waitForEvent("download"), page.click(button)]);
      const saved = readFileSync(await file.path(), "utf8");
      const r = await fetch(`${base}/api/v1/predictions/${encodeURIComponent(id)}/provenance`, { headers: { "X-API-Key": key, Accept: accept } });
      assert.equal(r.status, 200);
      assert.equal(saved, await r.text(), `${button} saves the ${accept} export`);
    }
    // Each memory links to the past game it stands for.
    const link = page.locator("#memory-list a.past-game").first();
    const target = await link.getAttribute("href");
    await link.click();
    await page.waitForSelector("#result");
    assert.ok(page.url().endsWith(target));
  });

  await step("a prediction posted through the API appears on the open page by itself", async () => {
    const other = "NE_HOU_2017_W3";
    await page.goto(`${base}/#/game/${other}`);
    await page.waitForSelector("#no-predictions");
    await page.waitForSelector("#live[data-state=connected]", { timeout: 10000 });
    const r = await fetch(`${base}/api/v1/games/${other}/predictions`, { method: "POST", headers: { "X-API-Key": key } });
    assert.equal(r.status, 201);
    await page.waitForSelector("table.preds tbody tr", { timeout: 10000 });
    assert.equal(await page.locator("table.preds tbody tr").count(), 17);
    assert.ok(await page.locator(`#events li[data-type=prediction]`).filter({ hasText: other }).count() >= 1);
    await page.screenshot({ path: join(artifacts, "5-live-update.png"), fullPage: true });
  });

  await step("This week follows a feed through a week: the schedule, forecasts on the cards, a result to the results strip", async () => {
    await page.goto(`${base}/#/week`);
    await page.waitForSelector("#no-upcoming");
    assert.match(await page.locator("#last-ingest").innerText(), /No run yet/);
    // A run now: the feed's three games are added and forecast (all within the horizon).
    const r = await fetch(`${base}/admin/ingest/run`, { method: "POST", headers: { "X-API-Key": key } });
    const run = await r.json();
    assert.equal(r.status, 200, JSON.stringify(run));
    assert.equal(run.added, 3);
    assert.equal(run.forecasts, 3);
    // The page follows the run through the live stream: three cards, each forecast.
    await page.waitForSelector("#week article.card:nth-child(3) .prob-text", { timeout: 10000 });
    const week = await api("/api/v1/week?from=2019-09-04");
    assert.deepEqual(await page.locator("#week article.card").evaluateAll((cards) => cards.map((c) => c.dataset.game)),
      week.upcoming.map((c) => c.game_id));
    const first = week.upcoming[0];
    const text = await page.locator(`#week article[data-game=${first.game_id}]`).innerText();
    assert.match(text, new RegExp(`${first.away.name}\\s+at\\s+${first.home.name}`), text);
    assert.match(text, new RegExp(`${first.home.team} ${(100 * first.forecast.home_win_probability).toFixed(1)}%`), text);
    const fav = first.market.spread > 0 ? first.home.team : first.away.team;
    assert.match(text, new RegExp(`Market\\s+${fav} by ${Math.abs(first.market.spread).toFixed(1)}`), text);
    assert.match(text, /Experts\s+disagree by/, text);
    assert.equal(await page.locator("#last-ingest [data-outcome]").innerText(), "ok");
    assert.match(await page.locator("#last-ingest").innerText(), /3 added, 0 moved, 0 finals, 0 corrected, 0 refused, 3 forecast/);
    for (const c of week.upcoming) {
      assert.equal(await page.locator("#events li[data-type=game]").filter({ hasText: c.game_id }).count(), 1, `a game event for ${c.game_id}`);
    }
    await page.screenshot({ path: join(artifacts, "6-this-week.png"), fullPage: true });
    // The Thursday game is played: its card moves to the results strip with its forecast.
    const put = await fetch(`${base}/api/v1/games/${first.game_id}/result`, {
      method: "PUT", headers: { "X-API-Key": key, "Content-Type": "application/json" },
      body: JSON.stringify({ home_score: 10, away_score: 3 }),
    });
    assert.equal(put.status, 200);
    await page.waitForSelector(`#results article[data-game=${first.game_id}]`, { timeout: 10000 });
    assert.equal(await page.locator("#week article.card").count(), 2);
    assert.match(await page.locator(`#results article[data-game=${first.game_id}]`).innerText(),
      new RegExp(`Final: ${first.away.name} 3, ${first.home.name} 10`));
    await page.screenshot({ path: join(artifacts, "6b-this-week-result.png"), fullPage: true });
  });

  await step("a team page: the rating over the years, the season's results against the forecasts", async () => {
    await page.goto(`${base}/#/team/NE?season=2018`);
    await page.waitForSelector("#rating-chart polyline");
    assert.match(await page.locator("main h2").innerText(), /New England Patriots/);
    const ratings = await api("/api/v1/teams/NE/ratings?kind=elo");
    assert.match(await page.locator("#rating-chart").getAttribute("aria-label"), new RegExp(`from ${ratings.items[0].rating.toFixed(0)}`));
    const season = await api("/api/v1/teams/NE/season?season=2018");
    assert.equal(await page.locator("#team-results tbody tr").count(), season.games.filter((g) => g.score).length);
    assert.equal(season.regular_season.wins + season.regular_season.losses + season.regular_season.ties, 16);
    assert.ok(season.forecast_games >= 16, "walk-forward forecasts beside the results");
    assert.match(await page.locator("#season-title").innerText(), new RegExp(`consensus called ${season.called} of ${season.forecast_games}`));
    await page.screenshot({ path: join(artifacts, "8-team.png"), fullPage: true });
  });

  await step("a team with games to come has a rooting guide for the week", async () => {
    await page.goto(`${base}/#/team/NE?season=2019`);
    await page.waitForSelector("#team-rooting-title");
    const r = await api("/api/v1/teams/NE/rooting?season=2019");
    if (r.games.length) {
      await page.waitForSelector("#rooting-NE li");
      assert.equal(await page.locator("#rooting-NE li").count(), r.games.length);
      assert.match(await page.locator("#rooting-NE").innerText(), /Root for/);
    }
    assert.ok(r.games.some((g) => g.own_game), "its own game is in its guide");
  });

  await step("the standings of 2018: eight divisions, each conference's seeds as the API gives them", async () => {
    await page.goto(`${base}/#/standings?season=2018`);
    await page.waitForSelector("table.standings tbody tr");
    const t = await api("/api/v1/seasons/2018/standings");
    assert.equal(await page.locator("table.standings").count(), 8);
    for (const c of t.conferences) {
      assert.deepEqual(await page.locator(`#seeds-${c.conference} li`).evaluateAll((li) => li.map((x) => x.dataset.team)), c.seeds);
    }
    assert.match(await page.locator("table[data-division='AFC West'] tbody tr").first().innerText(), /Kansas City Chiefs\s+12-4/);
    await page.screenshot({ path: join(artifacts, "10-standings.png"), fullPage: true });
  });

  await step("playoff odds of 2018 at week 12: both conferences as the API gives them, the change since a week earlier, sortable", async () => {
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${base}/#/odds?season=2018&through=2018-11-25&sims=5000`);
    await page.waitForSelector("#odds-AFC tbody tr");
    const o = await api("/api/v1/seasons/2018/odds?through=2018-11-25&sims=5000");
    for (const c of ["AFC", "NFC"]) {
      const want = o.teams.filter((t) => t.conference === c).map((t) => t.team);
      assert.deepEqual(await page.locator(`#odds-${c} tbody tr`).evaluateAll((tr) => tr.map((x) => x.dataset.team)), want, `${c} by playoff chance`);
    }
    const kc = o.teams.find((t) => t.team === "KC");
    const row = page.locator("#odds-AFC tr[data-team='KC']");
    assert.match(await row.innerText(), /9-2/);
    assert.equal(await row.locator("td.odds").first().getAttribute("data-p"), kc.playoffs.toFixed(3));
    assert.match(await row.locator("td.chart").innerText(), new RegExp(kc.mean_wins.toFixed(1)));
    assert.match(await row.locator("svg.wins-chart").getAttribute("aria-label"), new RegExp(`${kc.mean_wins.toFixed(1)} wins on average`));
    // A week earlier (through 2018-11-18) the change column has a value for every team.
    assert.equal(await page.locator("#odds-NFC td.up, #odds-NFC td.down, #odds-NFC td.muted").count(), 16);
    // Sorted by projected wins, ascending on a second click.
    await page.click("#odds-NFC button[data-sort='mean_wins']");
    await page.click("#odds-NFC button[data-sort='mean_wins']");
    const nfcWins = o.teams.filter((t) => t.conference === "NFC").sort((a, b) => a.mean_wins - b.mean_wins || b.playoffs - a.playoffs);
    assert.equal(await page.locator("#odds-NFC tbody tr").first().getAttribute("data-team"), nfcWins[0].team);
    assert.equal(await page.locator("#odds-NFC th[aria-sort]").getAttribute("aria-sort"), "ascending");
    await page.screenshot({ path: join(artifacts, "11-playoff-odds.png"), fullPage: true });
  });

  await step("week 17 of 2018: proven clinches marked, the games that matter ranked, a rooting guide on request", async () => {
    await page.goto(`${base}/#/odds?season=2018&through=2018-12-24&sims=5000`);
    await page.waitForSelector("#leverage tbody tr");
    const q = "through=2018-12-24&sims=5000";
    const o = await api(`/api/v1/seasons/2018/odds?${q}`);
    for (const t of o.teams.filter((t) => t.proven && t.proven.playoffs === "eliminated")) {
      assert.equal(await page.locator(`tr[data-team='${t.team}'] .badge`).innerText(), "out", t.team);
    }
    const lev = await api(`/api/v1/seasons/2018/odds/leverage?${q}`);
    assert.deepEqual(await page.locator("#leverage tbody tr").evaluateAll((tr) => tr.map((x) => x.dataset.game)), lev.games.slice(0, 8).map((g) => g.game));
    await page.selectOption("#rooting-team", "PIT");
    await page.waitForSelector("#rooting-PIT li");
    const r = await api(`/api/v1/teams/PIT/rooting?season=2018&${q}`);
    assert.equal(await page.locator("#rooting-PIT li").count(), r.games.length);
    assert.match(await page.locator("#rooting-PIT li[data-game='BAL_CLE_2018_W17']").innerText(), /Root for CLE/);
    await page.screenshot({ path: join(artifacts, "12-games-that-matter.png"), fullPage: true });
  });

  await step("the layout holds at a phone's width (the leaderboard, the playoff odds)", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${base}/#/leaderboard`);
    await page.waitForSelector("table.board tbody tr");
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `page scrolls sideways by ${overflow}px`);
    await page.screenshot({ path: join(artifacts, "7-phone.png"), fullPage: true });
    // The odds page too: its wide tables scroll inside their box, the page does not.
    await page.goto(`${base}/#/odds?season=2018&through=2018-12-24&sims=5000`);
    await page.waitForSelector("#leverage tbody tr");
    const oddsOverflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(oddsOverflow <= 1, `the odds page scrolls sideways by ${oddsOverflow}px`);
    await page.screenshot({ path: join(artifacts, "7b-phone-odds.png"), fullPage: true });
  });

  assert.deepEqual(consoleErrors, [], "no errors in the browser console");
  console.log(`dashboard e2e: ${steps.length} steps passed; screenshots in ${artifacts}`);
  await cleanup();
} catch (e) {
  console.error(e);
  await cleanup();
  process.exit(1);
}
