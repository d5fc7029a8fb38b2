//! A forecast's provenance as a W3C PROV document (see [`crate::prov`] for the mapping).

use std::collections::HashMap;

use graph::{Expert, ExpertId, Game, GameId, Graph, Memory, Prediction, PredictionId, Provenance};

use super::{Result, Services};
use crate::prov::Document;
use runtime::CONSENSUS;

/// What one prediction's provenance read holds, typed.
struct Parts {
    prediction: Prediction,
    expert: Option<Expert>,
    games: HashMap<String, Game>,
    /// Memories in rank order, with influence weight and rank.
    used: Vec<(Memory, f64, u32)>,
}

fn typed<T: serde::de::DeserializeOwned>(v: &serde_json::Value) -> Result<T> {
    serde_json::from_value(v.clone())
        .map_err(|e| anyhow::anyhow!("a stored provenance node does not read back: {e}").into())
}

fn parts(prov: &Provenance) -> Result<Parts> {
    let mut prediction = None;
    let mut expert = None;
    let mut games = HashMap::new();
    let mut memories = HashMap::new();
    for n in &prov.nodes {
        match n.label.as_str() {
            "Prediction" => prediction = Some(typed::<Prediction>(&n.properties)?),
            "Expert" => expert = Some(typed::<Expert>(&n.properties)?),
            "Game" => {
                let g: Game = typed(&n.properties)?;
                games.insert(g.id.to_string(), g);
            }
            "Memory" => {
                let m: Memory = typed(&n.properties)?;
                memories.insert(m.id.clone(), m);
            }
            _ => {}
        }
    }
    let prediction =
        prediction.ok_or_else(|| anyhow::anyhow!("a provenance without its prediction"))?;
    let used = prov
        .edges
        .iter()
        .filter(|e| e.relation == "USED_IN")
        .filter_map(|e| {
            let m = memories.get(&e.source)?.clone();
            let w = e.properties["influence_weight"].as_f64().unwrap_or(0.0);
            let rank = e.properties["retrieval_rank"].as_u64().unwrap_or(0) as u32;
            Some((m, w, rank))
        })
        .collect();
    Ok(Parts {
        prediction,
        expert,
        games,
        used,
    })
}

/// Adds one prediction with everything its provenance holds; a consensus also gets its
/// derivation from each expert prediction of the same model version in `peers`.
async fn add(
    doc: &mut Document,
    graph: &dyn Graph,
    id: &PredictionId,
    peers: &[Prediction],
    experts: &HashMap<ExpertId, Expert>,
) -> Result<()> {
    let prov = graph.provenance(id).await?;
    let p = parts(&prov)?;
    let game = match p.games.get(p.prediction.game_id.as_str()) {
        Some(g) => g.clone(),
        None => graph.get_game(&p.prediction.game_id).await?,
    };
    let (pid, activity) = doc.prediction(&p.prediction, p.expert.as_ref(), &game);
    for (m, w, rank) in &p.used {
        let past: Vec<&Game> = m.games.iter().filter_map(|g| p.games.get(g)).collect();
        let mid = doc.memory(m, &past);
        doc.used_memory(&activity, &mid, *w, *rank);
    }
    if p.prediction.expert_id == CONSENSUS {
        let weights: HashMap<&str, f64> = p
            .prediction
            .weights
            .iter()
            .map(|w| (w.expert_id.as_str(), w.weight))
            .collect();
        for peer in peers
            .iter()
            .filter(|x| x.expert_id != CONSENSUS && x.model_version == p.prediction.model_version)
        {
            let (from, _) = doc.prediction(peer, experts.get(&peer.expert_id), &game);
            doc.derived(&pid, &from, weights.get(peer.expert_id.as_str()).copied());
        }
    }
    Ok(())
}

async fn experts(graph: &dyn Graph) -> Result<HashMap<ExpertId, Expert>> {
    Ok(graph
        .list_experts()
        .await?
        .into_iter()
        .map(|e| (e.id.clone(), e))
        .collect())
}

/// One prediction's provenance (`NotFound` if there is no such prediction). A consensus
/// brings the expert predictions it was derived from.
pub async fn prediction_document(
    svc: &Services,
    id: &PredictionId,
    base: &str,
) -> Result<Document> {
    let graph = svc.graph.as_ref();
    let mut doc = Document::new(base);
    let peers = if id.expert() == CONSENSUS {
        graph.game_predictions(&id.game()).await?
    } else {
        Vec::new()
    };
    add(&mut doc, graph, id, &peers, &experts(graph).await?).await?;
    Ok(doc)
}

/// The whole stored forecast of a game (every expert's prediction and the consensus) as one
/// document; `NotFound` if the game is unknown.
pub async fn game_document(svc: &Services, game: &GameId, base: &str) -> Result<Document> {
    let graph = svc.graph.as_ref();
    let predictions = graph.game_predictions(game).await?;
    let experts = experts(graph).await?;
    let mut doc = Document::new(base);
    doc.game(&graph.get_game(game).await?);
    for p in &predictions {
        add(&mut doc, graph, &p.id, &predictions, &experts).await?;
    }
    Ok(doc)
}

/// One prediction's provenance as the graph shape (`NotFound` if there is no such prediction).
pub async fn prediction_graph(svc: &Services, id: &PredictionId) -> Result<Provenance> {
    Ok(svc.graph.provenance(id).await?)
}

/// The provenance of every stored prediction of a game, in the graph shape.
pub async fn game_graphs(svc: &Services, game: &GameId) -> Result<Vec<Provenance>> {
    let mut all = Vec::new();
    for p in svc.graph.game_predictions(game).await? {
        all.push(svc.graph.provenance(&p.id).await?);
    }
    Ok(all)
}

/// A recorded playoff odds run as a PROV document: the odds, the simulation that made them,
/// the model version it ran and every game it took as played.
pub async fn odds_run_document(svc: &Services, id: &str, base: &str) -> Result<Document> {
    let recorded = super::odds::recorded_run(svc, id).await?;
    let run = &recorded.run;
    let season = graph::Season::parse(i64::from(run.season))?;
    let games = super::catalog::season_games(svc, season).await?;
    let played: std::collections::HashSet<&str> =
        run.played_games.iter().map(String::as_str).collect();
    let used: Vec<&graph::Game> = games
        .iter()
        .filter(|g| played.contains(g.id.as_str()))
        .collect();
    let mut doc = Document::new(base);
    doc.odds_run(
        &run.id,
        &run.model_version,
        recorded.recorded_at,
        (
            &[
                ("season", i64::from(run.season)),
                ("simulations", i64::from(run.sims)),
                ("seed", run.seed as i64),
                ("history_generation", run.history_generation as i64),
            ],
            run.through.map(|d| d.to_string()),
        ),
        &used,
    );
    Ok(doc)
}

pub use super::odds::RecordedRun;

/// A recorded playoff odds run (`NotFound` if there is none under `id`).
pub async fn recorded_odds_run(svc: &Services, id: &str) -> Result<RecordedRun> {
    super::odds::recorded_run(svc, id).await
}
