//! The validated identifiers and values that name and measure the graph's nodes: each is
//! parsed once from text (a request, a file, a stored record) and carried typed from there.
//! May call `crate::error` only.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A team code: 2–4 upper-case letters or digits (e.g. `KC`, `NG1`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct TeamId(String);

impl TeamId {
    pub fn parse(s: &str) -> Result<Self> {
        let up = s.trim().to_ascii_uppercase();
        let ok = (2..=4).contains(&up.len())
            && up
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
            && up.as_bytes()[0].is_ascii_uppercase();
        if ok {
            Ok(Self(up))
        } else {
            Err(Error::invalid(
                "team",
                format!(
                    "'{}' is not a team code (2-4 letters, e.g. KC)",
                    truncate(s)
                ),
            ))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Equality with text, serialisation as the text itself and deserialisation through `parse`
/// (a stored id that is not canonical is an error, not a silently different id).
macro_rules! text_id {
    ($t:ty) => {
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl AsRef<str> for $t {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }

        impl PartialEq<str> for $t {
            fn eq(&self, other: &str) -> bool {
                self.as_str() == other
            }
        }

        impl PartialEq<&str> for $t {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }

        /// Maps keyed by the id are looked up by its text.
        impl std::borrow::Borrow<str> for $t {
            fn borrow(&self) -> &str {
                self.as_str()
            }
        }

        impl From<$t> for String {
            fn from(id: $t) -> String {
                id.as_str().to_string()
            }
        }

        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(
                d: D,
            ) -> std::result::Result<Self, D::Error> {
                let s = std::borrow::Cow::<'de, str>::deserialize(d)?;
                Self::parse(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}

text_id!(TeamId);
text_id!(GameId);
text_id!(PredictionId);

/// A season year (a January playoff game belongs to the previous year's season).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Season(i32);

impl Season {
    pub const FIRST: i32 = 1920;
    pub const LAST: i32 = 2100;

    pub fn parse(v: i64) -> Result<Self> {
        if (i64::from(Self::FIRST)..=i64::from(Self::LAST)).contains(&v) {
            Ok(Self(v as i32))
        } else {
            Err(Error::invalid(
                "season",
                format!("{v} is outside {}..={}", Self::FIRST, Self::LAST),
            ))
        }
    }
    pub fn get(self) -> i32 {
        self.0
    }
}

impl std::fmt::Display for Season {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// A week of a season: 1 is the first regular-season week, playoff weeks continue after the last.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Week(u8);

impl Week {
    pub fn parse(v: i64) -> Result<Self> {
        if (1..=30).contains(&v) {
            Ok(Self(v as u8))
        } else {
            Err(Error::invalid("week", format!("{v} is outside 1..=30")))
        }
    }
    pub fn get(self) -> u8 {
        self.0
    }
}

impl std::fmt::Display for Week {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// Formats like the `f64` it holds (so `{:.3}` works).
impl std::fmt::Display for Probability {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// A probability in [0, 1].
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd, Serialize, Deserialize)]
#[serde(try_from = "f64")]
pub struct Probability(f64);

impl TryFrom<f64> for Probability {
    type Error = Error;

    fn try_from(v: f64) -> Result<Self> {
        Self::parse(v)
    }
}

impl Probability {
    pub fn parse(v: f64) -> Result<Self> {
        if v.is_finite() && (0.0..=1.0).contains(&v) {
            Ok(Self(v))
        } else {
            Err(Error::invalid(
                "probability",
                format!("{v} is outside [0, 1]"),
            ))
        }
    }
    pub fn get(self) -> f64 {
        self.0
    }

    /// The probability of the other outcome.
    pub fn complement(self) -> Self {
        Self(1.0 - self.0)
    }
}

/// A game id: `HOME_AWAY_SEASON_W<week>`, with `_G2` for a rare second meeting in one week.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct GameId(String);

/// A team code exactly as [`TeamId::parse`] would write it (2-4 upper-case letters or digits,
/// a letter first).
fn canonical_team(t: &str) -> bool {
    (2..=4).contains(&t.len())
        && t.as_bytes()[0].is_ascii_uppercase()
        && t.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// A non-negative decimal number written without sign or leading zeros.
fn canonical_number(t: &str) -> Option<i64> {
    let ok = !t.is_empty()
        && t.len() <= 10
        && t.bytes().all(|b| b.is_ascii_digit())
        && (t == "0" || !t.starts_with('0'));
    ok.then(|| t.parse().ok()).flatten()
}

impl GameId {
    pub fn new(home: &TeamId, away: &TeamId, season: Season, week: Week, meeting: u8) -> Self {
        let mut s = format!("{}_{}_{}_W{}", home.0, away.0, season.0, week.0);
        if meeting > 1 {
            s.push_str(&format!("_G{meeting}"));
        }
        Self(s)
    }

    /// Parses a game id in its canonical form only (the form [`GameId::new`] writes): any
    /// other spelling of the same game (lower case, `W01`, `_G1`) is an error. Handlers call
    /// this on every request, so it checks the text in place and allocates only the result.
    pub fn parse(s: &str) -> Result<Self> {
        let bad = || {
            Error::invalid(
                "game_id",
                format!("'{}' is not a game id like KC_BUF_2024_W10", truncate(s)),
            )
        };
        if s.len() > 32 {
            return Err(bad());
        }
        let mut parts = s.split('_');
        let (Some(home), Some(away), Some(season), Some(week)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        let meeting = parts.next();
        if parts.next().is_some() || !canonical_team(home) || !canonical_team(away) {
            return Err(bad());
        }
        canonical_number(season)
            .and_then(|v| Season::parse(v).ok())
            .ok_or_else(bad)?;
        week.strip_prefix('W')
            .and_then(canonical_number)
            .and_then(|v| Week::parse(v).ok())
            .ok_or_else(bad)?;
        if let Some(g) = meeting {
            g.strip_prefix('G')
                .and_then(canonical_number)
                .filter(|n| (2..=9).contains(n))
                .ok_or_else(bad)?;
        }
        Ok(Self(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A prediction id: `{game}.{expert}.{model version}` (the version may hold dots). Built by
/// [`PredictionId::new`] and taken apart by its methods, never by formatting and splitting
/// strings at call sites.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PredictionId {
    text: String,
    /// Byte offsets of the two separating dots.
    game_end: usize,
    expert_end: usize,
}

impl PredictionId {
    pub fn new(game: &GameId, expert: &ExpertId, version: &ModelVersion) -> Self {
        let (expert, version) = (expert.as_str(), version.as_str());
        let mut text = String::with_capacity(game.0.len() + expert.len() + version.len() + 2);
        text.push_str(&game.0);
        text.push('.');
        text.push_str(expert);
        text.push('.');
        text.push_str(version);
        Self {
            game_end: game.0.len(),
            expert_end: game.0.len() + 1 + expert.len(),
            text,
        }
    }

    /// Parses an id taken from a request. Characters no id may hold are `invalid_parameter`;
    /// a well-formed node id that cannot name a prediction (no game, expert and version) is
    /// `not_found`, as it was before ids were typed.
    pub fn parse(s: &str) -> Result<Self> {
        parse_node_id("id", s)?;
        let missing = || Error::not_found("prediction", s);
        let game_end = s.find('.').ok_or_else(missing)?;
        let expert_end = s[game_end + 1..]
            .find('.')
            .map(|i| game_end + 1 + i)
            .ok_or_else(missing)?;
        let game = GameId::parse(&s[..game_end]).map_err(|_| missing())?;
        if expert_end == game_end + 1 || expert_end + 1 == s.len() {
            return Err(missing());
        }
        Ok(Self {
            text: s.to_string(),
            game_end: game.0.len(),
            expert_end,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The game the prediction is about.
    pub fn game(&self) -> GameId {
        GameId(self.text[..self.game_end].to_string())
    }

    /// The expert's id (or `consensus`).
    pub fn expert(&self) -> &str {
        &self.text[self.game_end + 1..self.expert_end]
    }

    /// The model version that made it.
    pub fn version(&self) -> &str {
        &self.text[self.expert_end + 1..]
    }
}

/// Hashes as its text (so that `Borrow<str>` lookups find it).
impl std::hash::Hash for PredictionId {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.text.hash(state)
    }
}

impl PartialOrd for PredictionId {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for PredictionId {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.text.cmp(&other.text)
    }
}

impl Serialize for PredictionId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

/// Any other node id taken from a request (experts, predictions, memories).
pub fn parse_node_id(field: &'static str, s: &str) -> Result<String> {
    let ok = !s.is_empty()
        && s.len() <= 128
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.:-".contains(&b));
    if ok {
        Ok(s.to_string())
    } else {
        Err(Error::invalid(
            field,
            format!("'{}' is not a valid id", truncate(s)),
        ))
    }
}

fn truncate(s: &str) -> String {
    s.chars().take(40).collect()
}

/// An expert's id: the roster's ids (`elo`, `market`, …) and `consensus`; letters, digits,
/// `_` and `-`, at most 64 characters (never a dot: a prediction id joins its parts with dots).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct ExpertId(String);

impl ExpertId {
    pub fn parse(s: &str) -> Result<Self> {
        let ok = !s.is_empty()
            && s.len() <= 64
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_-".contains(&b));
        if ok {
            Ok(Self(s.to_string()))
        } else {
            Err(Error::invalid(
                "expert",
                format!("'{}' is not an expert id (e.g. elo)", truncate(s)),
            ))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

text_id!(ExpertId);

/// A model version id (`wf-2026.12.2`): letters, digits and `-_.`, at most 64 characters.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct ModelVersion(String);

impl ModelVersion {
    pub fn parse(s: &str) -> Result<Self> {
        let ok = !s.is_empty()
            && s.len() <= 64
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
        if ok {
            Ok(Self(s.to_string()))
        } else {
            Err(Error::invalid(
                "model_version",
                format!("'{}' is not a valid model version id", truncate(s)),
            ))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

text_id!(ModelVersion);

/// A played game's final score: each side 0 to 200 points.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FinalScore {
    home: u16,
    away: u16,
}

impl FinalScore {
    pub const MAX: u16 = 200;

    /// Each side checked; the error names `home_score` or `away_score`.
    pub fn parse(home: i64, away: i64) -> Result<Self> {
        let score = |field: &'static str, v: i64| -> Result<u16> {
            u16::try_from(v)
                .ok()
                .filter(|s| *s <= Self::MAX)
                .ok_or_else(|| Error::invalid(field, "must be a score from 0 to 200"))
        };
        Ok(Self {
            home: score("home_score", home)?,
            away: score("away_score", away)?,
        })
    }

    /// A score the caller has already checked against [`FinalScore::MAX`] (the importers'
    /// row checks); a larger side is clamped to the maximum.
    pub(crate) fn new(home: u16, away: u16) -> Self {
        Self {
            home: home.min(Self::MAX),
            away: away.min(Self::MAX),
        }
    }

    /// Both sides or neither, as stored (`None` for an unplayed game).
    pub fn from_parts(home: Option<u16>, away: Option<u16>) -> Result<Option<Self>> {
        match (home, away) {
            (Some(h), Some(a)) => Self::parse(i64::from(h), i64::from(a)).map(Some),
            (None, None) => Ok(None),
            _ => Err(Error::invalid("score", "a game has both scores or neither")),
        }
    }

    pub fn home(self) -> u16 {
        self.home
    }

    pub fn away(self) -> u16 {
        self.away
    }

    /// The same score seen from the other side.
    pub fn swapped(self) -> Self {
        Self {
            home: self.away,
            away: self.home,
        }
    }

    /// Home points minus away points.
    pub fn margin(self) -> i32 {
        i32::from(self.home) - i32::from(self.away)
    }
}
