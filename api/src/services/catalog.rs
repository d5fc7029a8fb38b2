//! Reads of the catalogue: the experts, the teams, and a team's rating history.

use graph::{
    Cursor, Expert, ExpertId, Game, GameFilter, Page, PageRequest, Prediction, Season, Team, TeamId,
};
use store::RatingPoint;

use super::{Result, Services};

pub async fn list_experts(svc: &Services) -> Result<Vec<Expert>> {
    Ok(svc.graph.list_experts().await?)
}

pub async fn get_expert(svc: &Services, id: &ExpertId) -> Result<Expert> {
    Ok(svc.graph.get_expert(id).await?)
}

/// The current franchises, and the defunct clubs too when `include_inactive`.
pub async fn list_teams(svc: &Services, include_inactive: bool) -> Result<Vec<Team>> {
    Ok(svc.graph.list_teams(include_inactive).await?)
}

/// A team by code (historical codes resolve to their franchise).
pub async fn get_team(svc: &Services, id: &TeamId) -> Result<Team> {
    Ok(svc.graph.get_team(id).await?)
}

/// Which rating a team's history is read in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RatingKind {
    Elo,
    Points,
}

impl RatingKind {
    /// `elo` (the default) or `points`.
    pub fn parse(s: Option<&str>) -> Result<Self> {
        match s {
            None | Some("elo") => Ok(RatingKind::Elo),
            Some("points") => Ok(RatingKind::Points),
            Some(_) => Err(super::Error::invalid("kind", "must be elo or points")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RatingKind::Elo => "elo",
            RatingKind::Points => "points",
        }
    }
}

/// The team (resolved to its franchise) and its rating at the end of each season it played.
pub async fn team_ratings(
    svc: &Services,
    id: &TeamId,
    kind: RatingKind,
) -> Result<(Team, Vec<RatingPoint>)> {
    let team = svc.graph.get_team(id).await?;
    let points = svc
        .series
        .rating_history(team.id.as_str(), kind.as_str())
        .await?;
    Ok((team, points))
}

/// An expert's predictions in (creation time, id) order: page `page.page`, or the
/// `page.per_page` that follow `after` (the `next` of the page before) at any depth.
pub async fn expert_predictions(
    svc: &Services,
    expert: &ExpertId,
    page: PageRequest,
    after: Option<&Cursor>,
) -> Result<Page<Prediction>> {
    Ok(svc.graph.expert_predictions(expert, page, after).await?)
}

/// Every stored game of `season`.
pub async fn season_games(svc: &Services, season: Season) -> Result<Vec<Game>> {
    let mut out = Vec::new();
    let mut page = 1;
    loop {
        let p = svc
            .graph
            .list_games(
                &GameFilter {
                    season: Some(season),
                    ..GameFilter::default()
                },
                PageRequest::parse(Some(page), Some(500))?,
            )
            .await?;
        let n = p.items.len();
        out.extend(p.items);
        if n < 500 {
            return Ok(out);
        }
        page += 1;
    }
}
