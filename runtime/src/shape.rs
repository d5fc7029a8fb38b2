//! Output shaping: one engine forecast as the domain's prediction records (one per expert
//! and the consensus) with faithful memory provenance. Pure. May call `forecast` and
//! `graph`'s domain types only.

use chrono::Utc;
use forecast::{Category, ConsensusForecast, MemoryRef, EXPERTS};
use graph::{
    CategoryPrediction, ExpertId, ExpertWeight, Game, Memory, MemoryUsage, ModelVersion,
    Prediction, PredictionId, PredictionRecord, Probability,
};

use crate::error::{Error, Result};

/// Expert id under which the consensus is stored.
pub const CONSENSUS: &str = "consensus";

/// The result of forecasting one game.
pub struct GameForecast {
    pub version: String,
    /// The history generation the forecast was made from.
    pub generation: u64,
    pub records: Vec<PredictionRecord>,
    pub consensus: PredictionRecord,
}

fn categories(scores: &forecast::categories::ScoreDist, game: &Game) -> Vec<CategoryPrediction> {
    Category::outcomes(scores, game.home_team.as_str(), game.away_team.as_str())
        .into_iter()
        .map(|o| CategoryPrediction {
            category: o.category.id().to_string(),
            value: o.value,
            label: o.label,
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn prediction(
    id: PredictionId,
    expert: ExpertId,
    game: &Game,
    p_home: Probability,
    confidence: f64,
    reasoning: String,
    scores: &forecast::categories::ScoreDist,
    version: &ModelVersion,
    generation: u64,
) -> Prediction {
    let home_wins = p_home.get() >= 0.5;
    Prediction {
        id,
        expert_id: expert,
        game_id: game.id.clone(),
        category: Category::Winner.id().to_string(),
        winner: if home_wins {
            &game.home_team
        } else {
            &game.away_team
        }
        .to_string(),
        win_probability: if home_wins {
            p_home
        } else {
            p_home.complement()
        },
        home_win_probability: p_home,
        confidence,
        reasoning,
        predicted_home_score: scores.home_points(),
        predicted_away_score: scores.away_points(),
        model_version: version.clone(),
        generation,
        created_at: Utc::now(),
        categories: categories(scores, game),
        weights: Vec::new(),
        stale: false,
    }
}

fn slug(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// An engine probability as a domain [`Probability`]; the engine only makes finite ones in
/// [0, 1], so anything else is an internal error.
fn probability(p: f64) -> Result<Probability> {
    Probability::parse(p).map_err(|e| Error::Engine(format!("the engine produced {p}: {e}")))
}

/// A roster id as the domain's [`ExpertId`] (every roster id is one; a failure is a bug).
fn roster_id(id: &str) -> Result<ExpertId> {
    ExpertId::parse(id).map_err(|e| Error::Engine(e.to_string()))
}

/// A forecast as predictions and memories: `replayed` are the replayed games by engine history
/// index (at least those before `game`).
pub(crate) fn shape_from(
    replayed: &[Game],
    version: &str,
    generation: u64,
    game: &Game,
    f: &ConsensusForecast,
) -> Result<GameForecast> {
    let version = ModelVersion::parse(version).map_err(|e| Error::Engine(e.to_string()))?;
    let version = &version;
    let consensus_id = roster_id(CONSENSUS)?;
    let game_memory =
        |idx: u32| Memory::of_game(&replayed[idx as usize]).expect("replayed games are final");
    let records = f
        .experts
        .iter()
        .map(|ef| {
            let spec = EXPERTS[ef.expert].spec();
            let expert = roster_id(spec.id)?;
            let id = PredictionId::new(&game.id, &expert, version);
            let memories = ef
                .memories
                .iter()
                .map(|u| {
                    let memory = match &u.memory {
                        MemoryRef::Game(i) => game_memory(*i),
                        MemoryRef::Pattern {
                            kind,
                            key,
                            content,
                            games,
                        } => Memory {
                            id: format!("mem:{kind}:{}.{}:{}", game.id, spec.id, slug(key)),
                            kind: kind.to_string(),
                            content: content.clone(),
                            games: games
                                .iter()
                                .map(|&i| replayed[i as usize].id.to_string())
                                .collect(),
                        },
                    };
                    let usage = MemoryUsage {
                        memory_id: memory.id.clone(),
                        prediction_id: id.to_string(),
                        influence_weight: u.influence,
                        retrieval_rank: u.rank,
                    };
                    (memory, usage)
                })
                .collect();
            Ok(PredictionRecord {
                prediction: prediction(
                    id,
                    expert,
                    game,
                    probability(ef.home_win_probability)?,
                    ef.confidence,
                    format!("{}: {}", spec.name, ef.reasoning),
                    &ef.scores,
                    version,
                    generation,
                ),
                memories,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let agreement = f
        .experts
        .iter()
        .zip(f.weights)
        .filter(|(e, _)| (e.home_win_probability >= 0.5) == (f.home_win_probability >= 0.5))
        .map(|(_, w)| w)
        .sum::<f64>();
    let mut consensus = prediction(
        PredictionId::new(&game.id, &consensus_id, version),
        consensus_id.clone(),
        game,
        probability(f.home_win_probability)?,
        agreement,
        format!("Consensus of {} experts {}", EXPERTS.len(), f.reasoning),
        &f.scores,
        version,
        generation,
    );
    consensus.weights = f
        .experts
        .iter()
        .zip(f.weights)
        .map(|(e, w)| {
            Ok(ExpertWeight {
                expert_id: roster_id(EXPERTS[e.expert].spec().id)?,
                weight: w,
            })
        })
        .collect::<Result<_>>()?;
    let consensus = PredictionRecord {
        prediction: consensus,
        memories: Vec::new(),
    };
    Ok(GameForecast {
        version: version.to_string(),
        generation,
        records,
        consensus,
    })
}
