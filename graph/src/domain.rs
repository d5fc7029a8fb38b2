//! Nodes and relations of the prediction graph, and the validated identifiers that name them.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{Error, Result};
pub use crate::ids::*;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Expert {
    #[schema(value_type = String, example = "elo")]
    pub id: ExpertId,
    pub name: String,
    pub personality: String,
    pub decision_style: String,
    /// What the expert looks at and how it turns that into a probability.
    pub method: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Team {
    #[schema(value_type = String, example = "KC")]
    pub id: TeamId,
    pub name: String,
    pub conference: Option<String>,
    pub division: Option<String>,
    /// One of the 32 current franchises.
    pub active: bool,
    /// Other codes data sources use for this team (e.g. OAK for LV).
    #[serde(default)]
    pub aliases: Vec<String>,
}

/// A game, played or not. Written as a `GameRecord` (`home_score` and `away_score`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(into = "GameRecord", try_from = "GameRecord")]
pub struct Game {
    pub id: GameId,
    pub home_team: TeamId,
    pub away_team: TeamId,
    pub season: Season,
    pub week: Week,
    pub date: NaiveDate,
    pub neutral: bool,
    pub playoff: bool,
    /// The final score once the game is played.
    pub result: Option<FinalScore>,
    /// FiveThirtyEight's pre-game home win probability from the source file: a reference
    /// anchor for evaluation, never a model input.
    pub anchor_home_win_probability: Option<f64>,
    /// What a schedule feed says about the game beyond the teams, date and score (rest days,
    /// betting lines, venue, weather), when it says it: available to models, never required.
    pub details: Option<GameDetails>,
    /// When a schedule feed last moved the game to another date: predictions made before
    /// then are `stale` (the scheduler forecasts the game again).
    pub rescheduled_at: Option<DateTime<Utc>>,
    /// Other ids schedule feeds give this game (nflverse `game_id`, `old_game_id`, `gsis`,
    /// `espn`, `pfr`): any of them names the game wherever a game id is taken.
    pub aliases: Vec<String>,
    /// When the game was found cancelled: a feed stopped listing it while it was unplayed and
    /// past its date. It is kept, never listed as upcoming and never counted as played; an
    /// administrator can reinstate it.
    pub cancelled_at: Option<DateTime<Utc>>,
}

// A game as it is written, on the wire and in the stores: the score as two fields, both set
// or neither. Its OpenAPI schema is `Game` (no doc comment: it would become the schema's
// description).
#[derive(Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = Game)]
struct GameRecord {
    #[schema(value_type = String, example = "KC_BUF_2024_W10")]
    id: GameId,
    #[schema(value_type = String)]
    home_team: TeamId,
    #[schema(value_type = String)]
    away_team: TeamId,
    #[schema(value_type = i32)]
    season: Season,
    #[schema(value_type = u8)]
    week: Week,
    #[schema(value_type = String, format = Date)]
    date: NaiveDate,
    neutral: bool,
    playoff: bool,
    home_score: Option<u16>,
    away_score: Option<u16>,
    /// FiveThirtyEight's pre-game home win probability from the source file: a reference
    /// anchor for evaluation, never a model input.
    anchor_home_win_probability: Option<f64>,
    /// What a schedule feed says about the game beyond the teams, date and score (rest days,
    /// betting lines, venue, weather), when it says it: available to models, never required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    details: Option<GameDetails>,
    /// When a schedule feed last moved the game to another date: predictions made before
    /// then are `stale` (the scheduler forecasts the game again).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime)]
    rescheduled_at: Option<DateTime<Utc>>,
    /// Other ids schedule feeds give this game (nflverse `game_id`, `old_game_id`, `gsis`,
    /// `espn`, `pfr`): any of them names the game wherever a game id is taken.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    aliases: Vec<String>,
    /// When the game was found cancelled (a feed stopped listing it while it was unplayed and
    /// past its date): kept, never upcoming, never counted as played.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime)]
    cancelled_at: Option<DateTime<Utc>>,
}

impl From<Game> for GameRecord {
    fn from(g: Game) -> Self {
        GameRecord {
            id: g.id,
            home_team: g.home_team,
            away_team: g.away_team,
            season: g.season,
            week: g.week,
            date: g.date,
            neutral: g.neutral,
            playoff: g.playoff,
            home_score: g.result.map(FinalScore::home),
            away_score: g.result.map(FinalScore::away),
            anchor_home_win_probability: g.anchor_home_win_probability,
            details: g.details,
            rescheduled_at: g.rescheduled_at,
            aliases: g.aliases,
            cancelled_at: g.cancelled_at,
        }
    }
}

impl TryFrom<GameRecord> for Game {
    type Error = Error;
    fn try_from(r: GameRecord) -> Result<Self> {
        Ok(Game {
            result: FinalScore::from_parts(r.home_score, r.away_score)?,
            id: r.id,
            home_team: r.home_team,
            away_team: r.away_team,
            season: r.season,
            week: r.week,
            date: r.date,
            neutral: r.neutral,
            playoff: r.playoff,
            anchor_home_win_probability: r.anchor_home_win_probability,
            details: r.details,
            rescheduled_at: r.rescheduled_at,
            aliases: r.aliases,
            cancelled_at: r.cancelled_at,
        })
    }
}

/// The OpenAPI schema of a game is its written form, [`GameRecord`].
impl utoipa::PartialSchema for Game {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        GameRecord::schema()
    }
}

impl ToSchema for Game {
    fn name() -> std::borrow::Cow<'static, str> {
        GameRecord::name()
    }
    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        GameRecord::schemas(schemas)
    }
}

/// Optional facts about a game from a schedule feed (nflverse or spreadspoke layout). Lines are the
/// feed's: `spread_line` positive when the home team is favoured.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct GameDetails {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kickoff: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub home_rest_days: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub away_rest_days: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub home_moneyline: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub away_moneyline: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spread_line: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_line: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roof: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub surface: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature_f: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wind_mph: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stadium: Option<String>,
    /// The starting quarterbacks (feed player ids and names), when the feed names them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub home_qb_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub home_qb_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub away_qb_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub away_qb_name: Option<String>,
    /// The head coaches, when the feed names them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub home_coach: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub away_coach: Option<String>,
}

impl GameDetails {
    /// The same facts seen from the other side: every home value is the away one and the
    /// spread (positive when the home team is favoured) changes sign. A feed that designates
    /// the other team as home at a neutral site is read through this.
    pub fn flipped(&self) -> Self {
        Self {
            home_rest_days: self.away_rest_days,
            away_rest_days: self.home_rest_days,
            home_moneyline: self.away_moneyline,
            away_moneyline: self.home_moneyline,
            spread_line: self.spread_line.map(|s| -s),
            home_qb_id: self.away_qb_id.clone(),
            home_qb_name: self.away_qb_name.clone(),
            away_qb_id: self.home_qb_id.clone(),
            away_qb_name: self.home_qb_name.clone(),
            home_coach: self.away_coach.clone(),
            away_coach: self.home_coach.clone(),
            ..self.clone()
        }
    }
}

impl Game {
    pub fn is_final(&self) -> bool {
        self.result.is_some()
    }

    /// Whether the game was found cancelled (see [`Game::cancelled_at`]).
    pub fn is_cancelled(&self) -> bool {
        self.cancelled_at.is_some()
    }

    /// Whether `id` names this game: its id or one of its aliases.
    pub fn answers_to(&self, id: &str) -> bool {
        self.id == id || self.aliases.iter().any(|a| a == id)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Memory {
    pub id: String,
    /// `game`, `feature`, `home_edge`, `division_record`, …
    pub kind: String,
    pub content: String,
    /// Games the memory stands for.
    pub games: Vec<String>,
}

impl Memory {
    /// The memory of a played game, as experts retrieve it.
    pub fn of_game(g: &Game) -> Option<Memory> {
        let score = g.result?;
        let (hs, as_) = (score.home(), score.away());
        let venue = if g.neutral { "vs" } else { "at" };
        Some(Memory {
            id: format!("mem:game:{}", g.id),
            kind: "game".into(),
            content: format!(
                "{} {}: {} {} {} {} {}{}",
                g.date,
                if g.playoff {
                    "playoff"
                } else {
                    "regular season"
                },
                g.away_team,
                as_,
                venue,
                g.home_team,
                hs,
                if hs == as_ { " (tie)" } else { "" }
            ),
            games: vec![g.id.to_string()],
        })
    }
}

/// One category's prediction, derived from the expert's score distribution.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CategoryPrediction {
    #[schema(example = "total_points")]
    pub category: String,
    /// A probability for yes/no categories, points for numeric ones.
    pub value: f64,
    pub label: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Prediction {
    #[schema(value_type = String)]
    pub id: PredictionId,
    /// An expert id, or `consensus`.
    #[schema(value_type = String)]
    pub expert_id: ExpertId,
    #[schema(value_type = String)]
    pub game_id: GameId,
    /// The headline category (`winner`); every category is under `categories`.
    pub category: String,
    pub winner: String,
    /// Probability that `winner` wins.
    #[schema(value_type = f64)]
    pub win_probability: Probability,
    #[schema(value_type = f64)]
    pub home_win_probability: Probability,
    pub confidence: f64,
    pub reasoning: String,
    pub predicted_home_score: f64,
    pub predicted_away_score: f64,
    #[schema(value_type = String)]
    pub model_version: ModelVersion,
    /// The history generation the forecast was made from (see `Graph::history_generation`):
    /// a stored prediction is never replaced by one made from an older history.
    #[serde(default)]
    pub generation: u64,
    pub created_at: DateTime<Utc>,
    pub categories: Vec<CategoryPrediction>,
    /// The consensus only: the weight each expert's prediction had in it (they sum to 1).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub weights: Vec<ExpertWeight>,
    /// The game was moved to another date after this forecast was made (set when read, from
    /// the game's `rescheduled_at`): a newer forecast replaces it.
    #[serde(default)]
    pub stale: bool,
}

impl Prediction {
    /// Sets `stale` from the game's `rescheduled_at`: stale when the game moved after the
    /// prediction was made.
    pub fn mark_stale(&mut self, rescheduled_at: Option<DateTime<Utc>>) {
        self.stale = rescheduled_at.is_some_and(|t| t > self.created_at);
    }
}

/// One expert's weight in a consensus.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ExpertWeight {
    #[schema(value_type = String)]
    pub expert_id: ExpertId,
    pub weight: f64,
}

/// The fleet's model pointer: the version every instance forecasts with (none = the built-in
/// parameters), and the versions it replaced, oldest first, that rollback walks back.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelPointer {
    pub current: Option<String>,
    #[serde(default)]
    pub history: Vec<String>,
}

/// (Memory)-[:USED_IN]->(Prediction)
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MemoryUsage {
    pub memory_id: String,
    pub prediction_id: String,
    /// Change in the home win probability this memory caused (forecast with it minus without).
    pub influence_weight: f64,
    /// 1 = most influential.
    pub retrieval_rank: u32,
}

/// (Team)-[:TEAM_MATCHUP]-(Team): the head-to-head record, `team_a` < `team_b`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Matchup {
    pub team_a: String,
    pub team_b: String,
    pub games: u32,
    pub team_a_wins: u32,
    pub team_b_wins: u32,
    pub ties: u32,
}

/// Head-to-head records of every pair that met, from final games.
pub fn compute_matchups<'a>(games: impl IntoIterator<Item = &'a Game>) -> Vec<Matchup> {
    let mut map: std::collections::BTreeMap<(String, String), Matchup> = Default::default();
    for g in games {
        let Some(score) = g.result else {
            continue;
        };
        let (hs, as_) = (score.home(), score.away());
        let (a, b, a_pts, b_pts) = if g.home_team <= g.away_team {
            (&g.home_team, &g.away_team, hs, as_)
        } else {
            (&g.away_team, &g.home_team, as_, hs)
        };
        let m = map
            .entry((a.to_string(), b.to_string()))
            .or_insert_with(|| Matchup {
                team_a: a.to_string(),
                team_b: b.to_string(),
                games: 0,
                team_a_wins: 0,
                team_b_wins: 0,
                ties: 0,
            });
        m.games += 1;
        match a_pts.cmp(&b_pts) {
            std::cmp::Ordering::Greater => m.team_a_wins += 1,
            std::cmp::Ordering::Less => m.team_b_wins += 1,
            std::cmp::Ordering::Equal => m.ties += 1,
        }
    }
    map.into_values().collect()
}

/// A prediction together with the memories it used, written atomically.
#[derive(Clone, Debug)]
pub struct PredictionRecord {
    pub prediction: Prediction,
    pub memories: Vec<(Memory, MemoryUsage)>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GameFilter {
    pub season: Option<Season>,
    pub week: Option<Week>,
    pub team: Option<TeamId>,
    /// Games on or after this date.
    pub from: Option<NaiveDate>,
    /// Games on or before this date.
    pub to: Option<NaiveDate>,
    /// Only games with (true) or without (false) a final score.
    pub played: Option<bool>,
}

impl GameFilter {
    pub fn matches(&self, g: &Game) -> bool {
        self.season.is_none_or(|s| s == g.season)
            && self.week.is_none_or(|w| w == g.week)
            && self.from.is_none_or(|d| g.date >= d)
            && self.to.is_none_or(|d| g.date <= d)
            && self.played.is_none_or(|p| p == g.is_final())
            && self
                .team
                .as_ref()
                .is_none_or(|t| *t == g.home_team || *t == g.away_team)
    }
}

/// A page request: 1-based page number and page size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageRequest {
    pub page: u32,
    pub per_page: u32,
}

impl PageRequest {
    pub const MAX_PER_PAGE: u32 = 500;

    pub fn parse(page: Option<i64>, per_page: Option<i64>) -> Result<Self> {
        let page = page.unwrap_or(1);
        let per_page = per_page.unwrap_or(50);
        if !(1..=1_000_000).contains(&page) {
            return Err(Error::invalid("page", "must be between 1 and 1000000"));
        }
        if !(1..=i64::from(Self::MAX_PER_PAGE)).contains(&per_page) {
            return Err(Error::invalid(
                "per_page",
                format!("must be between 1 and {}", Self::MAX_PER_PAGE),
            ));
        }
        Ok(Self {
            page: page as u32,
            per_page: per_page as u32,
        })
    }

    pub fn offset(&self) -> usize {
        (self.page as usize - 1) * self.per_page as usize
    }

    /// Wraps one page of items with the collection's total.
    pub fn page<T>(&self, items: Vec<T>, total: u64) -> Page<T> {
        Page {
            items,
            total,
            page: self.page,
            per_page: self.per_page,
            next: None,
        }
    }

    /// Cuts one page out of `items`.
    pub fn slice<T: Clone>(&self, items: &[T]) -> Page<T> {
        let start = self.offset().min(items.len());
        let end = (start + self.per_page as usize).min(items.len());
        Page {
            items: items[start..end].to_vec(),
            total: items.len() as u64,
            page: self.page,
            per_page: self.per_page,
            next: None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
    /// The page number asked for; 0 for a page asked by cursor.
    pub page: u32,
    pub per_page: u32,
    /// Where the next page starts, when there is one (pages that support cursors).
    pub next: Option<Cursor>,
}

/// Where a page asked by cursor starts: just after the item created at `created_at` with id
/// `id`, in (creation time, id) order. Reading on from a cursor costs the same at any depth,
/// where a page number costs what skipping the items before it costs. Clients treat its text
/// (`<nanoseconds since 1970>.<id>`) as opaque.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor {
    created_at: DateTime<Utc>,
    id: String,
}

impl Cursor {
    /// The cursor just after an item.
    pub fn after(created_at: DateTime<Utc>, id: &str) -> Self {
        Self {
            created_at,
            id: id.to_string(),
        }
    }

    /// Reads a cursor this service gave out; anything else is `Invalid` (field `after`).
    pub fn parse(v: &str) -> Result<Self> {
        let bad = || Error::invalid("after", "is not a cursor this service gave out");
        let (nanos, id) = v.split_once('.').ok_or_else(bad)?;
        let ok_id = !id.is_empty()
            && id.len() <= 200
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
        if nanos.is_empty()
            || nanos.len() > 19
            || !nanos.bytes().all(|b| b.is_ascii_digit())
            || !ok_id
        {
            return Err(bad());
        }
        let nanos: i64 = nanos.parse().map_err(|_| bad())?;
        Ok(Self::after(DateTime::from_timestamp_nanos(nanos), id))
    }

    pub fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }

    pub fn id(&self) -> &str {
        &self.id
    }
}

impl std::fmt::Display for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let nanos = self.created_at.timestamp_nanos_opt().unwrap_or(i64::MAX);
        write!(f, "{nanos}.{}", self.id)
    }
}

impl Serialize for Cursor {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ProvenanceNode {
    pub id: String,
    /// `Prediction`, `Expert`, `Game`, `Memory`.
    pub label: String,
    pub properties: serde_json::Value,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ProvenanceEdge {
    pub source: String,
    pub target: String,
    /// `PREDICTED`, `USED_IN`, `MADE`, `FOR_GAME`, `REFERS_TO`.
    pub relation: String,
    pub properties: serde_json::Value,
}

/// Why a prediction came out as it did: the subgraph around it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Provenance {
    pub prediction_id: String,
    pub nodes: Vec<ProvenanceNode>,
    pub edges: Vec<ProvenanceEdge>,
}

/// Builds the provenance subgraph of prediction `p` from what a backend looked up: its expert,
/// the memories it used with their USED_IN properties (in rank order), and the games involved.
pub fn assemble_provenance(
    p: &Prediction,
    expert: Option<&Expert>,
    used: &[(Memory, MemoryUsage)],
    games: &std::collections::HashMap<GameId, Game>,
) -> Result<Provenance> {
    use serde_json::json;
    let mut marked = p.clone();
    marked.mark_stale(games.get(&p.game_id).and_then(|g| g.rescheduled_at));
    let mut nodes = vec![ProvenanceNode {
        id: p.id.to_string(),
        label: "Prediction".into(),
        properties: props(&marked)?,
    }];
    let mut edges = Vec::new();
    if let Some(e) = expert {
        nodes.push(ProvenanceNode {
            id: e.id.to_string(),
            label: "Expert".into(),
            properties: props(e)?,
        });
        edges.push(ProvenanceEdge {
            source: e.id.to_string(),
            target: p.game_id.to_string(),
            relation: "PREDICTED".into(),
            properties: json!({"prediction_id": p.id}),
        });
        edges.push(ProvenanceEdge {
            source: e.id.to_string(),
            target: p.id.to_string(),
            relation: "MADE".into(),
            properties: json!({}),
        });
    }
    edges.push(ProvenanceEdge {
        source: p.id.to_string(),
        target: p.game_id.to_string(),
        relation: "FOR_GAME".into(),
        properties: json!({}),
    });
    let mut game_ids: Vec<&str> = vec![p.game_id.as_str()];
    for (m, u) in used {
        nodes.push(ProvenanceNode {
            id: m.id.clone(),
            label: "Memory".into(),
            properties: props(m)?,
        });
        edges.push(ProvenanceEdge {
            source: m.id.clone(),
            target: p.id.to_string(),
            relation: "USED_IN".into(),
            properties: json!({"influence_weight": u.influence_weight, "retrieval_rank": u.retrieval_rank}),
        });
        for g in &m.games {
            edges.push(ProvenanceEdge {
                source: m.id.clone(),
                target: g.clone(),
                relation: "REFERS_TO".into(),
                properties: json!({}),
            });
            if !game_ids.contains(&g.as_str()) {
                game_ids.push(g);
            }
        }
    }
    for g in game_ids {
        if let Some(game) = games.get(g) {
            nodes.push(ProvenanceNode {
                id: game.id.to_string(),
                label: "Game".into(),
                properties: props(game)?,
            });
        }
    }
    Ok(Provenance {
        prediction_id: p.id.to_string(),
        nodes,
        edges,
    })
}

fn props<T: Serialize>(v: &T) -> Result<serde_json::Value> {
    Ok(serde_json::to_value(v)?)
}

/// Counts reported by an import.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct ImportStats {
    pub rows: u64,
    pub games_created: u64,
    pub games_updated: u64,
    pub games_unchanged: u64,
    pub teams_created: u64,
    pub memories_created: u64,
    pub matchups_written: u64,
    /// Rows that named a team code no table knows (kept as inactive teams, not dropped).
    pub rows_with_unrecognised_teams: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The definition of a canonical id: it parses part by part and writes back unchanged.
    fn canonical_by_rebuilding(s: &str) -> bool {
        let parts: Vec<&str> = s.split('_').collect();
        if s.len() > 32 || !(4..=5).contains(&parts.len()) {
            return false;
        }
        let (Ok(home), Ok(away)) = (TeamId::parse(parts[0]), TeamId::parse(parts[1])) else {
            return false;
        };
        let season = parts[2]
            .parse::<i64>()
            .ok()
            .and_then(|v| Season::parse(v).ok());
        let week = parts[3]
            .strip_prefix('W')
            .and_then(|w| w.parse::<i64>().ok())
            .and_then(|v| Week::parse(v).ok());
        let meeting = match parts.get(4) {
            None => Some(1),
            Some(g) => g
                .strip_prefix('G')
                .and_then(|n| n.parse::<u8>().ok())
                .filter(|n| (2..=9).contains(n)),
        };
        match (season, week, meeting) {
            (Some(season), Some(week), Some(meeting)) => {
                GameId::new(&home, &away, season, week, meeting).as_str() == s
            }
            _ => false,
        }
    }

    #[test]
    fn a_cursor_reads_back_what_it_wrote_and_nothing_else() {
        let at = DateTime::parse_from_rfc3339("2026-12-02T06:00:00.123456789Z")
            .unwrap()
            .with_timezone(&Utc);
        let c = Cursor::after(at, "KC_BUF_2024_W10.elo.wf-2026.12.2");
        let text = c.to_string();
        assert_eq!(text, "1796191200123456789.KC_BUF_2024_W10.elo.wf-2026.12.2");
        assert_eq!(Cursor::parse(&text).unwrap(), c);
        for bad in [
            "",
            "123",
            ".KC_BUF_2024_W10.elo.x",
            "12a.KC_BUF_2024_W10.elo.x",
            "-5.KC_BUF_2024_W10.elo.x",
            "99999999999999999999.id",
            "123.",
            "123.id with space",
            "123.id'; DROP",
        ] {
            assert!(
                matches!(
                    Cursor::parse(bad),
                    Err(Error::Invalid { field: "after", .. })
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn game_id_parsing_accepts_exactly_the_ids_that_write_back_unchanged() {
        let teams = ["KC", "kc", "BUF", "NG1", "1KC", "K", "ABCDE", " KC", "Kc"];
        let seasons = ["2024", "02024", "+2024", "1800", "1920", "", "20x4"];
        let weeks = ["W10", "W1", "W01", "W0", "W+1", "10", "W", "W22", "W99"];
        let tails = [
            "", "_G2", "_G1", "_G9", "_G10", "_G02", "_X2", "_G2_G3", "_",
        ];
        let mut checked = 0;
        for home in teams {
            for away in ["BUF", "chi", "NE"] {
                for season in seasons {
                    for week in weeks {
                        for tail in tails {
                            let s = format!("{home}_{away}_{season}_{week}{tail}");
                            assert_eq!(
                                GameId::parse(&s).is_ok(),
                                canonical_by_rebuilding(&s),
                                "{s:?}"
                            );
                            checked += 1;
                        }
                    }
                }
            }
        }
        assert!(checked > 10_000);
    }

    #[test]
    fn game_ids_parse_only_in_canonical_form() {
        let good = ["KC_BUF_2024_W10", "NG1_CHI_1921_W3", "CHI_FYJ_1927_W12_G2"];
        for s in good {
            assert_eq!(GameId::parse(s).unwrap().as_str(), s);
        }
        let bad = [
            "",
            "KC_BUF_2024",
            "kc_BUF_2024_W10",
            "KC_BUF_2024_W0",
            "KC_BUF_1800_W1",
            "KC_BUF_2024_W01",
            "KC_BUF_2024_W10_G1",
            "KC_BUF_2024_W10' OR 1=1",
            "KC_BUF_2024_10",
            "K_BUF_2024_W1",
        ];
        for s in bad {
            assert!(GameId::parse(s).is_err(), "{s} should be rejected");
        }
    }

    #[test]
    fn prediction_ids_are_built_and_taken_apart_by_their_parts() {
        let game = GameId::parse("KC_BUF_2024_W10").unwrap();
        // (expert, version): versions may hold dots, experts hold none.
        for (expert, version) in [
            ("elo", "wf-2026.11.1"),
            ("consensus", "v0"),
            ("point_differential", "wf-20261201-101010123"),
        ] {
            let id = PredictionId::new(
                &game,
                &ExpertId::parse(expert).unwrap(),
                &ModelVersion::parse(version).unwrap(),
            );
            assert_eq!(id.as_str(), format!("KC_BUF_2024_W10.{expert}.{version}"));
            let back = PredictionId::parse(id.as_str()).unwrap();
            assert_eq!(back, id);
            assert_eq!(back.game(), game);
            assert_eq!(back.expert(), expert);
            assert_eq!(back.version(), version);
        }
    }

    #[test]
    fn a_prediction_id_without_its_parts_is_not_found_and_bad_characters_are_invalid() {
        // (id, expected: None = parses, Some(true) = not found, Some(false) = invalid)
        let cases = [
            ("KC_BUF_2024_W10.elo.v1", None),
            ("KC_BUF_2024_W10.elo.wf-2026.11.1", None),
            ("KC_BUF_2024_W10.elo", Some(true)),
            ("KC_BUF_2024_W10", Some(true)),
            ("KC_BUF_2024_W10..v1", Some(true)),
            ("KC_BUF_2024_W10.elo.", Some(true)),
            ("nope.elo.v1", Some(true)),
            ("KC_BUF_2024_W10.elo.v1' OR 1=1", Some(false)),
            ("", Some(false)),
        ];
        for (s, expected) in cases {
            match (PredictionId::parse(s), expected) {
                (Ok(id), None) => assert_eq!(id.as_str(), s),
                (Err(Error::NotFound { .. }), Some(true)) => {}
                (Err(Error::Invalid { .. }), Some(false)) => {}
                (other, _) => panic!("{s:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn probabilities_outside_the_unit_interval_are_rejected() {
        for (v, ok) in [
            (0.0, true),
            (1.0, true),
            (0.4, true),
            (-0.1, false),
            (1.01, false),
            (f64::NAN, false),
        ] {
            assert_eq!(Probability::parse(v).is_ok(), ok, "{v}");
        }
    }

    #[test]
    fn matchups_count_wins_from_both_sides() {
        let team = |t: &str| TeamId::parse(t).unwrap();
        let (season, week) = (Season::parse(2018).unwrap(), Week::parse(1).unwrap());
        let g = |h: &str, a: &str, hs, as_| Game {
            id: GameId::new(&team(h), &team(a), season, week, 1),
            home_team: team(h),
            away_team: team(a),
            season,
            week,
            date: NaiveDate::from_ymd_opt(2018, 9, 9).unwrap(),
            neutral: false,
            playoff: false,
            result: Some(FinalScore::parse(hs, as_).unwrap()),
            anchor_home_win_probability: None,
            details: None,
            rescheduled_at: None,
            aliases: Vec::new(),
            cancelled_at: None,
        };
        let m = compute_matchups(&[
            g("KC", "BUF", 30, 20),
            g("BUF", "KC", 10, 3),
            g("KC", "BUF", 7, 7),
        ]);
        assert_eq!(
            m,
            vec![Matchup {
                team_a: "BUF".into(),
                team_b: "KC".into(),
                games: 3,
                team_a_wins: 1,
                team_b_wins: 1,
                ties: 1
            }]
        );
    }
}
