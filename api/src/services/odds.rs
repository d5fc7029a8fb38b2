//! Playoff odds: the rest of a season simulated many times from the model (`season::simulate`
//! on `runtime::odds` inputs), each team's chance of each seed, the playoffs, the division,
//! the bye, the conference and the Super Bowl, and its wins' distribution.
//!
//! One run per question for the whole fleet: a run is named by everything that decides it
//! (season, date, simulations, seed, model version, history generation) and its answer is the
//! same on every instance (one random stream per simulated season); the first instance to
//! claim the run's key in the shared cache computes it, the others wait for the value
//! ([`cached_run`]). The run's record travels with its odds ([`Run`]), so a run can be
//! reproduced from it. May call the model runtime, the graph and the cache.

use std::time::Duration;

use chrono::NaiveDate;
use graph::Season;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Error, Result, Services};

/// The fewest and the most simulated seasons a request may ask for.
pub const SIMS_RANGE: (u32, u32) = (100, 200_000);
/// Simulated seasons when the request does not say (nflseedR advises at least 25,000).
pub const DEFAULT_SIMS: u32 = 25_000;

/// How many seasons to simulate: within [`SIMS_RANGE`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sims(u32);

impl Sims {
    pub fn parse(n: i64) -> Result<Self> {
        let (lo, hi) = SIMS_RANGE;
        if n < i64::from(lo) || n > i64::from(hi) {
            return Err(Error::invalid(
                "sims",
                format!("{n} is outside {lo}..={hi} simulated seasons"),
            ));
        }
        Ok(Sims(n as u32))
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

impl Default for Sims {
    fn default() -> Self {
        Sims(DEFAULT_SIMS)
    }
}

/// What a run is asked.
#[derive(Clone, Debug)]
pub struct OddsRequest {
    pub season: Season,
    /// Games played on or before this day count as played (none: every game with a result).
    pub through: Option<NaiveDate>,
    pub sims: Sims,
    /// The random seed (none: the season's number, so the default run is the same everywhere).
    pub seed: Option<u64>,
    /// Results fixed in advance (what-if), at most one per game.
    pub fixed: Vec<FixedResult>,
}

impl OddsRequest {
    /// The default run of `season`: every game with a result counted, the default
    /// simulations and seed, nothing fixed.
    pub fn new(season: Season) -> Self {
        Self {
            season,
            through: None,
            sims: Sims::default(),
            seed: None,
            fixed: Vec::new(),
        }
    }
}

/// A result fixed in advance for a what-if run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FixedResult {
    pub game: graph::GameId,
    pub result: Fixing,
}

/// How a fixed game ends: a winner given by its team code (the margin is drawn on that side),
/// or a final score.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fixing {
    Winner(graph::TeamId),
    Home,
    Away,
    Score(graph::FinalScore),
}

impl FixedResult {
    /// `GAME=TEAM`, `GAME=home`, `GAME=away` or `GAME=H-A` (the home score first), as the CLI
    /// takes it.
    pub fn parse(text: &str) -> Result<Self> {
        let bad = |m: &str| Error::invalid("fix", format!("'{text}': {m}"));
        let (game, what) = text
            .split_once('=')
            .ok_or_else(|| bad("give GAME=TEAM, GAME=home, GAME=away or GAME=H-A"))?;
        let game = graph::GameId::parse(game.trim()).map_err(|e| bad(&e.to_string()))?;
        let what = what.trim();
        let result = match what.split_once('-') {
            Some((h, a)) if h.chars().all(|c| c.is_ascii_digit()) && !h.is_empty() => {
                let num = |x: &str| {
                    x.trim()
                        .parse::<i64>()
                        .map_err(|_| bad("scores are whole numbers"))
                };
                Fixing::Score(
                    graph::FinalScore::parse(num(h)?, num(a)?).map_err(|e| bad(&e.to_string()))?,
                )
            }
            _ => match what.to_ascii_lowercase().as_str() {
                "home" => Fixing::Home,
                "away" => Fixing::Away,
                _ => Fixing::Winner(graph::TeamId::parse(what).map_err(|e| bad(&e.to_string()))?),
            },
        };
        Ok(FixedResult { game, result })
    }

    /// `GAME=TEAM` or `GAME=H-A`: how a run's record names it.
    pub fn label(&self) -> String {
        match &self.result {
            Fixing::Winner(t) => format!("{}={t}", self.game),
            Fixing::Home => format!("{}=home", self.game),
            Fixing::Away => format!("{}=away", self.game),
            Fixing::Score(s) => format!("{}={}-{}", self.game, s.home(), s.away()),
        }
    }
}

/// The record of a run: everything that decides its odds. The same record gives the same
/// odds on any instance.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct Run {
    /// `odds-…`: a digest of the fields below.
    pub id: String,
    pub season: i32,
    #[schema(value_type = Option<String>, format = Date)]
    pub through: Option<NaiveDate>,
    pub sims: u32,
    pub seed: u64,
    pub model_version: String,
    pub history_generation: u64,
    /// The date of the last final game the model had learned from.
    #[schema(value_type = Option<String>, format = Date)]
    pub model_as_of: Option<NaiveDate>,
    /// Regular-season games taken as played, and simulated.
    pub games_played: usize,
    pub games_remaining: usize,
    pub playoff_games_played: usize,
    /// The ids of the games taken as played, oldest first.
    pub played_games: Vec<String>,
    /// The simulator's parameters.
    pub margin_sd: f64,
    pub strength_scale: f64,
    pub hot_k: f64,
    pub tie_rate: f64,
    /// The simulator's version (`season::simulate::VERSION`): its draws and rules.
    #[serde(default)]
    pub simulator: String,
    /// Results fixed in advance (what-if): `GAME=TEAM` or `GAME=H-A`; empty for a plain run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fixed: Vec<String>,
    /// Wall-clock seconds the simulation took on the instance that ran it.
    pub seconds: f64,
}

/// One team's odds.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct TeamOdds {
    pub team: String,
    pub name: String,
    pub conference: String,
    pub division: String,
    /// `[won, lost, tied]` in the games played.
    pub record: [u16; 3],
    /// Mean wins over the simulated seasons (a tie as half).
    pub mean_wins: f64,
    /// `wins[w]`: the probability of exactly `w` wins.
    pub wins: Vec<f64>,
    /// `seeds[k]`: the probability of seed `k + 1`.
    pub seeds: Vec<f64>,
    pub playoffs: f64,
    pub division_title: f64,
    /// A first-round bye (none from 1970 to 1977; the top two seeds 1978–2019 (three
    /// 1978–1989); the top seed from 2020).
    pub bye: f64,
    pub top_seed: f64,
    pub conference_title: f64,
    pub super_bowl: f64,
    /// What is proven over every possible outcome of the remaining games (not sampled); none
    /// in a what-if that fixes a winner without a score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proven: Option<Proven>,
}

/// Clinched, eliminated or undecided — proven from won-lost-tied bounds over every possible
/// outcome of the remaining games (`season::clinch`), each `clinched`, `eliminated` or
/// `undecided`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct Proven {
    pub playoffs: String,
    pub division: String,
    pub bye: String,
    pub top_seed: String,
    /// Why the playoff place is undecided, when it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
}

/// A season's odds: each conference's teams, best chance of the playoffs first.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct Odds {
    pub run: Run,
    pub teams: Vec<TeamOdds>,
}

/// Checks a request against the stored season: a season with an alignment and with games (a
/// date before its first game is the preseason: the whole season simulated).
fn check(season: i32, first: Option<NaiveDate>) -> Result<()> {
    if season::alignment::divisions(season).is_none() {
        return Err(Error::invalid(
            "season",
            format!(
                "{season} has no alignment this service knows (odds start in {})",
                season::alignment::FIRST_SEASON
            ),
        ));
    }
    if first.is_none() {
        return Err(Error::invalid(
            "season",
            format!("no games are stored for season {season}"),
        ));
    }
    Ok(())
}

/// Runs the simulation of `req` on this instance (no cache): the view of the model as of
/// `through` (a replay to that day when the model has learned games after it), the inputs,
/// then the simulation on the blocking pool. `progress` hears the seasons done.
pub async fn simulate(
    svc: &Services,
    req: OddsRequest,
    progress: impl Fn(u64) + Send + Sync + 'static,
) -> Result<Odds> {
    Ok(execute(svc, req, false, progress).await?.0)
}

/// [`simulate`], and with `track_week` the coming week's games followed outcome by outcome
/// ([`super::impact`]), from the same simulated seasons.
pub(super) async fn execute(
    svc: &Services,
    req: OddsRequest,
    track_week: bool,
    progress: impl Fn(u64) + Send + Sync + 'static,
) -> Result<(Odds, Option<super::impact::WeekImpact>)> {
    let s = req.season.get();
    let mut games = super::catalog::season_games(svc, req.season).await?;
    games.retain(|g| !g.is_cancelled());
    check(s, games.iter().map(|g| g.date).min())?;
    let fixed = fixings(&games, &req)?;
    let labels: Vec<String> = req.fixed.iter().map(FixedResult::label).collect();
    let (snapshot, params) = svc.predictor.current().await?;
    let generation = snapshot.generation;
    let seed = req.seed.unwrap_or(u64::from(s.unsigned_abs()));
    let sims = req.sims.get();
    let through = req.through;
    tokio::task::spawn_blocking(
        move || -> Result<(Odds, Option<super::impact::WeekImpact>)> {
            // The model must not know the games the run draws: as of the day after `through`.
            let snapshot = match (through, snapshot.last_date()) {
                (Some(d), Some(last)) if last > d => {
                    let next = d.succ_opt().unwrap_or(d);
                    std::sync::Arc::new(snapshot.before(next, None, &params)?)
                }
                _ => snapshot,
            };
            let view = runtime::View::new(snapshot);
            let (inputs, basis) = runtime::odds::season_inputs(&view, &games, s, through, &fixed)?;
            let shipped = season::simulate::Params::SHIPPED;
            let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
            let tracked = if track_week {
                super::impact::coming_week(&basis)
            } else {
                Vec::new()
            };
            let started = std::time::Instant::now();
            let counts = season::simulate::run_tracking(
                &inputs,
                shipped,
                (u64::from(sims), seed),
                threads,
                &tracked,
                &progress,
            );
            let seconds = started.elapsed().as_secs_f64();
            let mut run = Run {
                id: String::new(),
                season: s,
                through,
                sims,
                seed,
                model_version: view.version().to_string(),
                history_generation: generation,
                model_as_of: view.as_of(),
                games_played: basis.played,
                games_remaining: basis.remaining,
                playoff_games_played: basis.playoffs_played,
                played_games: basis.played_games.clone(),
                margin_sd: shipped.margin_sd,
                strength_scale: shipped.strength_scale,
                hot_k: shipped.hot_k,
                tie_rate: shipped.tie_rate,
                fixed: labels,
                simulator: season::simulate::VERSION.to_string(),
                seconds,
            };
            run.id = run_id(&run);
            let week = track_week.then(|| {
                let lev = season::leverage::leverage(&counts.games, &inputs, &tracked);
                super::impact::shape_week(&lev, &inputs, &basis)
            });
            let proven = season::clinch::statuses_of(&inputs);
            let odds = Odds {
                run,
                teams: shape(&counts.odds(&inputs), proven.as_deref()),
            };
            Ok((odds, week))
        },
    )
    .await
    .map_err(|e| Error::Internal(e.into()))?
}

/// The fixed results of `req` checked against the season's stored `games`: each a
/// regular-season game of the season, not played as of the run's date, fixed once, a winner
/// that plays in it. As (game id, fixing) for the simulator.
fn fixings(
    games: &[graph::Game],
    req: &OddsRequest,
) -> Result<Vec<(String, season::simulate::Fixed)>> {
    use season::simulate::Fixed;
    let mut out: Vec<(String, Fixed)> = Vec::new();
    for f in &req.fixed {
        let bad = |m: String| Error::invalid("fix", format!("{}: {m}", f.game));
        let g = games
            .iter()
            .find(|g| g.id == f.game || g.aliases.iter().any(|a| a == f.game.as_str()))
            .ok_or_else(|| bad(format!("no such game in season {}", req.season.get())))?;
        if g.playoff {
            return Err(bad(
                "a playoff game cannot be fixed (its teams come from the seeds)".into(),
            ));
        }
        if g.result.is_some() && req.through.is_none_or(|d| g.date <= d) {
            return Err(bad("it has been played".into()));
        }
        if out.iter().any(|(id, _)| id == g.id.as_str()) {
            return Err(bad("fixed twice".into()));
        }
        let fixed = match &f.result {
            Fixing::Score(sc) => Fixed::Score {
                home: sc.home(),
                away: sc.away(),
            },
            Fixing::Home => Fixed::HomeWins,
            Fixing::Away => Fixed::AwayWins,
            Fixing::Winner(t) if *t == g.home_team => Fixed::HomeWins,
            Fixing::Winner(t) if *t == g.away_team => Fixed::AwayWins,
            Fixing::Winner(t) => return Err(bad(format!("{t} does not play in it"))),
        };
        out.push((g.id.to_string(), fixed));
    }
    Ok(out)
}

/// The odds in the response's shape: AFC then NFC, each by playoff chance, then mean wins.
fn shape(
    odds: &[season::simulate::TeamOdds],
    proven: Option<&[season::clinch::Status]>,
) -> Vec<TeamOdds> {
    let name = |t: &str| {
        graph::teams::FRANCHISES
            .iter()
            .find(|f| f.0 == t)
            .map_or(t.to_string(), |f| f.1.to_string())
    };
    let mut out: Vec<TeamOdds> = odds
        .iter()
        .enumerate()
        .map(|(i, o)| TeamOdds {
            team: o.team.to_string(),
            name: name(o.team),
            conference: o.conference.name().to_string(),
            division: o.division.to_string(),
            record: [o.record.wins, o.record.losses, o.record.ties],
            mean_wins: o.mean_wins,
            wins: o.wins.clone(),
            seeds: o.seeds.clone(),
            playoffs: o.playoffs,
            division_title: o.division_title,
            bye: o.bye,
            top_seed: o.top_seed,
            conference_title: o.conference_title,
            super_bowl: o.super_bowl,
            proven: proven.and_then(|p| p.get(i)).map(|s| Proven {
                playoffs: s.playoffs.label().into(),
                division: s.division.label().into(),
                bye: s.bye.label().into(),
                top_seed: s.top_seed.label().into(),
                why: s.why.clone(),
            }),
        })
        .collect();
    out.sort_by(|a, b| {
        a.conference
            .cmp(&b.conference)
            .then(b.playoffs.total_cmp(&a.playoffs))
            .then(b.mean_wins.total_cmp(&a.mean_wins))
            .then(a.team.cmp(&b.team))
    });
    out
}

/// A run's id: FNV-1a of what decides its odds.
fn run_id(r: &Run) -> String {
    let text = format!(
        "{}|{:?}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}",
        r.season,
        r.through,
        r.sims,
        r.seed,
        r.model_version,
        r.history_generation,
        r.margin_sd,
        r.strength_scale,
        r.hot_k,
        r.tie_rate,
        r.fixed.join(","),
        r.simulator
    );
    format!("odds-{}", fnv(&text))
}

/// How long a claimer has to compute a run before another instance tries.
const CLAIM: Duration = Duration::from_secs(60);

/// The response cache key of a run: under the history generation and the model version, so
/// a new result or a model switch anywhere in the fleet makes a new key.
pub async fn cache_key(svc: &Services, req: &OddsRequest) -> Result<String> {
    keyed(svc, req, "odds").await
}

/// A run's cache key for `kind` (`odds`, `leverage`): the request, every fixed result, the
/// model version and the history generation.
pub(super) async fn keyed(svc: &Services, req: &OddsRequest, kind: &str) -> Result<String> {
    let generation = svc.graph.history_generation().await?;
    let fixed: Vec<String> = req.fixed.iter().map(FixedResult::label).collect();
    Ok(format!(
        "{}{kind}:{}:{}:{}:{}:{}:{}:{generation}:sim{}",
        super::cache_keys::CACHE_KEY_VERSION,
        fixed.join(","),
        req.season.get(),
        req.through.map_or("all".to_string(), |d| d.to_string()),
        req.sims.get(),
        req.seed.map_or("default".to_string(), |s| s.to_string()),
        svc.model_version(),
        season::simulate::VERSION,
    ))
}

/// The odds of `req` for the fleet: [`shared`] under `key`, computed by [`run_and_record`].
pub async fn cached_run(svc: &Services, req: OddsRequest, key: &str) -> Result<Odds> {
    shared(svc, key, || run_and_record(svc, req, |_| {})).await
}

/// One computation per `key` for the fleet: the value from the shared cache when it is there;
/// else this instance claims the key and computes it, or, while another instance holds the
/// claim, waits for its value (claiming it in turn if the holder gives it up: a computation
/// that failed releases its claim, so nobody waits on a failure).
pub(super) async fn shared<T, F, Fut>(svc: &Services, key: &str, compute: F) -> Result<T>
where
    T: Serialize + serde::de::DeserializeOwned,
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<T>>,
{
    let read = |bytes: store::cache::Bytes| serde_json::from_slice::<T>(&bytes).ok();
    if let Some(v) = svc.cache.get(key).await.and_then(read) {
        return Ok(v);
    }
    let deadline = tokio::time::Instant::now() + CLAIM;
    while !svc.cache.claim(key, CLAIM).await {
        if tokio::time::Instant::now() >= deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        if let Some(v) = svc.cache.get(key).await.and_then(read) {
            return Ok(v);
        }
    }
    let value = match compute().await {
        Ok(v) => v,
        Err(e) => {
            svc.cache.release(key).await;
            return Err(e);
        }
    };
    let bytes = serde_json::to_vec(&value).map_err(|e| Error::Internal(e.into()))?;
    svc.cache.put(key, bytes.into()).await;
    Ok(value)
}

/// After a regular-season result of `season`: its default run (every game with a result
/// counted, the default simulations and seed) computed in the background, once for the fleet
/// (the claim), then announced as an `odds` event; from then on every instance serves it from
/// the shared cache.
pub fn refresh_in_background(svc: &Services, season: Season) {
    if season::alignment::divisions(season.get()).is_none() {
        return;
    }
    let svc = svc.clone();
    tokio::spawn(async move {
        let req = OddsRequest::new(season);
        let run = async {
            let key = cache_key(&svc, &req).await?;
            cached_run(&svc, req, &format!("{key}|run")).await
        };
        match run.await {
            Ok(odds) => svc.events.publish(&super::Event::Odds {
                season,
                generation: odds.run.history_generation,
                run: odds.run.id,
            }),
            Err(e) => tracing::warn!(season = season.get(), error = %e, "odds not refreshed"),
        }
    });
}

/// FNV-1a of `text`, as 16 hex digits: the digest of run ids and of their odds.
fn fnv(text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// A digest of a run's odds (FNV-1a of their JSON): what a reproduction must give again.
pub fn odds_digest(teams: &[TeamOdds]) -> String {
    let text = serde_json::to_string(teams).unwrap_or_default();
    fnv(&text)
}

/// [`simulate`], then the run recorded in the shared store (once per id; a store that cannot
/// take it is logged, and the odds are served all the same: the record can be made again).
pub async fn run_and_record(
    svc: &Services,
    req: OddsRequest,
    progress: impl Fn(u64) + Send + Sync + 'static,
) -> Result<Odds> {
    let odds = simulate(svc, req, progress).await?;
    let record = store::OddsRunRecord {
        id: odds.run.id.clone(),
        season: odds.run.season,
        history_generation: odds.run.history_generation as i64,
        model_version: odds.run.model_version.clone(),
        created_at: chrono::Utc::now(),
        odds_digest: odds_digest(&odds.teams),
        record: serde_json::to_value(&odds.run).map_err(|e| Error::Internal(e.into()))?,
    };
    if let Err(e) = svc.series.record_odds_run(&record).await {
        tracing::warn!(run = %record.id, error = %e, "odds run not recorded");
    }
    Ok(odds)
}

/// A recorded run: its record and the digest of the odds it gave.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RecordedRun {
    pub run: Run,
    #[schema(value_type = String, format = DateTime)]
    pub recorded_at: chrono::DateTime<chrono::Utc>,
    /// FNV-1a of the odds' JSON: a reproduction gives the same.
    pub odds_digest: String,
}

/// The run recorded under `id`.
pub async fn recorded_run(svc: &Services, id: &str) -> Result<RecordedRun> {
    let not_found = || {
        Error::Graph(graph::Error::NotFound {
            kind: "odds run",
            id: id.chars().take(64).collect(),
        })
    };
    if !id.starts_with("odds-") || id.len() > 64 {
        return Err(not_found());
    }
    let r = svc.series.odds_run(id).await?.ok_or_else(not_found)?;
    let run: Run = serde_json::from_value(r.record).map_err(|e| Error::Internal(e.into()))?;
    Ok(RecordedRun {
        run,
        recorded_at: r.created_at,
        odds_digest: r.odds_digest,
    })
}

/// What reproducing a recorded run found.
#[derive(Clone, Debug, Serialize)]
pub struct Reproduction {
    pub recorded: RecordedRun,
    /// The run made again from the record.
    pub again: Run,
    pub odds_digest: String,
    /// Each way the new run differs from the record (none: reproduced).
    pub differences: Vec<String>,
}

/// Runs recorded run `id` again from its record: the same season, date (the model's date when
/// the record counted every game), simulations, seed and model; then compares the games taken
/// as played, the model version and the odds' digest.
pub async fn reproduce(svc: &Services, id: &str) -> Result<Reproduction> {
    let recorded = recorded_run(svc, id).await?;
    let r = &recorded.run;
    let req = OddsRequest {
        season: Season::parse(i64::from(r.season))?,
        through: r.through.or(r.model_as_of),
        sims: Sims::parse(i64::from(r.sims))?,
        seed: Some(r.seed),
        fixed: r
            .fixed
            .iter()
            .map(|f| FixedResult::parse(f))
            .collect::<Result<_>>()?,
    };
    let odds = simulate(svc, req, |_| {}).await?;
    let digest = odds_digest(&odds.teams);
    let again = odds.run;
    let mut differences = Vec::new();
    if again.simulator != r.simulator {
        differences.push(format!(
            "simulator version {} (recorded {})",
            again.simulator, r.simulator
        ));
    }
    if again.model_version != r.model_version {
        differences.push(format!(
            "model version {} (recorded {})",
            again.model_version, r.model_version
        ));
    }
    if again.played_games != r.played_games {
        differences.push(format!(
            "{} games taken as played (recorded {})",
            again.played_games.len(),
            r.played_games.len()
        ));
    }
    if digest != recorded.odds_digest {
        differences.push(format!(
            "odds digest {digest} (recorded {})",
            recorded.odds_digest
        ));
    }
    Ok(Reproduction {
        recorded,
        again,
        odds_digest: digest,
        differences,
    })
}
