//! "This week": the games of a window of days as a fan reads them — both teams by name, the
//! consensus (win probability, predicted score, spread and total), the market's line where
//! the feed has one and how far the consensus is from it, how much the experts disagree,
//! whether the forecast is current and how much it moved since the forecast before; and the
//! window's played games beside the forecast they had. Reads only (the forecasting is
//! `forecasts::record_forecast`, which the scheduler and `api forecast --upcoming` call).

use std::collections::HashMap;

use chrono::NaiveDate;
use graph::{Game, GameFilter, PageRequest, Prediction};
use serde::Serialize;
use utoipa::ToSchema;

use super::{Result, Services};

/// One side of a game.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Side {
    /// Team code.
    pub team: String,
    /// The team's name (the franchise's current name).
    pub name: String,
}

/// The consensus of a game, as a card shows it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CardForecast {
    pub home_win_probability: f64,
    pub predicted_home_score: f64,
    pub predicted_away_score: f64,
    /// Predicted home margin (home minus away points).
    pub spread: f64,
    /// Predicted total points.
    pub total: f64,
    /// Standard deviation of the experts' home win probabilities: how much they disagree.
    pub expert_spread: f64,
    /// The forecast was made before the game moved to another date.
    pub stale: bool,
    /// The change in the home win probability since the forecast before this one (none on
    /// a first forecast).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<f64>,
    pub model_version: String,
    #[schema(value_type = String, format = DateTime)]
    pub made_at: chrono::DateTime<chrono::Utc>,
}

/// The betting market's view, when the feed carries lines.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Market {
    /// The closing spread as the expected home margin (positive: home favoured).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spread: Option<f64>,
    /// The over/under.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<f64>,
    /// The consensus spread minus the market's (positive: the consensus likes the home team
    /// more than the market does).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub edge: Option<f64>,
}

/// One game of the week.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Card {
    pub game_id: String,
    #[schema(value_type = String, format = Date)]
    pub date: NaiveDate,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kickoff: Option<String>,
    pub week: u8,
    pub neutral: bool,
    pub playoff: bool,
    pub home: Side,
    pub away: Side,
    /// The consensus, once the game is forecast.
    pub forecast: Option<CardForecast>,
    pub market: Option<Market>,
    /// The final score, home–away, once played.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<[u16; 2]>,
    /// Once played: whether the consensus picked the winner (none for a tie).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub forecast_right: Option<bool>,
}

/// The week's games to come and its results.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Week {
    #[schema(value_type = String, format = Date)]
    pub from: NaiveDate,
    #[schema(value_type = String, format = Date)]
    pub to: NaiveDate,
    /// Unplayed games of the window, by date (cancelled games left out).
    pub upcoming: Vec<Card>,
    /// Played games of the window, by date, with the forecast each had.
    pub results: Vec<Card>,
    /// Upcoming games with no current forecast.
    pub unforecast: u64,
}

/// The week of `from` to `from + days - 1`.
#[tracing::instrument(name = "services.week", skip(svc))]
pub async fn this_week(svc: &Services, from: NaiveDate, days: u32) -> Result<Week> {
    let to = from + chrono::Days::new(u64::from(days.max(1)) - 1);
    let names: HashMap<String, String> = svc
        .graph
        .list_teams(true)
        .await?
        .into_iter()
        .map(|t| (t.id.to_string(), t.name))
        .collect();
    let games = svc
        .graph
        .list_games(
            &GameFilter {
                from: Some(from),
                to: Some(to),
                ..GameFilter::default()
            },
            PageRequest::parse(Some(1), Some(i64::from(PageRequest::MAX_PER_PAGE)))?,
        )
        .await?;
    let mut week = Week {
        from,
        to,
        upcoming: Vec::new(),
        results: Vec::new(),
        unforecast: 0,
    };
    for g in games.items.iter().filter(|g| !g.is_cancelled()) {
        let card = card(svc, g, &names).await?;
        if g.is_final() {
            week.results.push(card);
        } else {
            week.unforecast += u64::from(card.forecast.as_ref().is_none_or(|f| f.stale));
            week.upcoming.push(card);
        }
    }
    Ok(week)
}

async fn card(svc: &Services, g: &Game, names: &HashMap<String, String>) -> Result<Card> {
    let side = |t: &graph::TeamId| Side {
        team: t.to_string(),
        name: names
            .get(t.as_str())
            .cloned()
            .unwrap_or_else(|| t.to_string()),
    };
    let predictions = svc.graph.game_predictions(&g.id).await?;
    let forecast = match predictions
        .iter()
        .find(|p| p.expert_id == runtime::CONSENSUS)
    {
        Some(c) => Some(forecast(svc, c, &predictions).await?),
        None => None,
    };
    let details = g.details.as_ref();
    let market = details
        .filter(|d| d.spread_line.is_some() || d.total_line.is_some())
        .map(|d| Market {
            spread: d.spread_line,
            total: d.total_line,
            edge: d
                .spread_line
                .zip(forecast.as_ref())
                .map(|(line, f)| f.spread - line),
        });
    let result = g.result.map(|r| [r.home(), r.away()]);
    let forecast_right = g.result.zip(forecast.as_ref()).and_then(|(r, f)| {
        (r.home() != r.away()).then(|| (r.home() > r.away()) == (f.home_win_probability >= 0.5))
    });
    Ok(Card {
        game_id: g.id.to_string(),
        date: g.date,
        kickoff: details.and_then(|d| d.kickoff.clone()),
        week: g.week.get(),
        neutral: g.neutral,
        playoff: g.playoff,
        home: side(&g.home_team),
        away: side(&g.away_team),
        forecast,
        market,
        result,
        forecast_right,
    })
}

async fn forecast(svc: &Services, c: &Prediction, all: &[Prediction]) -> Result<CardForecast> {
    let experts: Vec<f64> = all
        .iter()
        .filter(|p| p.expert_id != runtime::CONSENSUS)
        .map(|p| p.home_win_probability.get())
        .collect();
    let n = experts.len().max(1) as f64;
    let mean = experts.iter().sum::<f64>() / n;
    let sd = (experts.iter().map(|p| (p - mean).powi(2)).sum::<f64>() / n).sqrt();
    // The consensus's earlier forecasts of this game, oldest first (the time series).
    let history = svc
        .series
        .prediction_history(c.game_id.as_str(), 1000)
        .await?;
    let earlier: Vec<f64> = history
        .iter()
        .filter(|p| p.expert_id == runtime::CONSENSUS && p.time < c.created_at)
        .map(|p| p.home_win_probability)
        .collect();
    Ok(CardForecast {
        home_win_probability: c.home_win_probability.get(),
        predicted_home_score: c.predicted_home_score,
        predicted_away_score: c.predicted_away_score,
        spread: c.predicted_home_score - c.predicted_away_score,
        total: c.predicted_home_score + c.predicted_away_score,
        expert_spread: sd,
        stale: c.stale,
        change: earlier
            .last()
            .map(|before| c.home_win_probability.get() - before),
        model_version: c.model_version.to_string(),
        made_at: c.created_at,
    })
}
