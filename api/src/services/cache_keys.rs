//! Keys of the response cache. Every key of a game's responses lies under the game's prefix,
//! so one invalidation drops them all when the game changes or gets new predictions.

use forecast::Category;

/// Version of every cache key: bump it when a cached representation changes shape.
pub const CACHE_KEY_VERSION: &str = "v2:";

/// Cache keys are `v2:game:{id}:…`: the first three segments group a game's keys, which are
/// invalidated together when it gets new predictions.
pub const CACHE_GROUP_DEPTH: usize = 3;

/// The prefix of every cached response about `game`.
pub fn game_prefix(game: &str) -> String {
    // Room for the longest key built on it (`predictions`), so appending to it does not
    // reallocate.
    let mut key = String::with_capacity(48 + game.len());
    key.push_str(CACHE_KEY_VERSION);
    key.push_str("game:");
    key.push_str(game);
    key.push(':');
    key
}

/// A game's predictions (per category filter).
pub fn predictions(game: &str, category: Option<Category>) -> String {
    // Read on every request: appended to the game's prefix in place.
    let mut key = game_prefix(game);
    key.push_str("predictions:");
    key.push_str(category.map_or("all", |c| c.id()));
    key
}

/// A prediction's provenance, under its game's prefix.
pub fn provenance(prediction: &graph::PredictionId) -> String {
    let mut key = game_prefix(prediction.game().as_str());
    key.push_str("provenance:");
    key.push_str(prediction.as_str());
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_predictions_cache_key_lies_under_its_games_invalidation_prefix() {
        let cats = std::iter::once(None).chain(Category::ALL.into_iter().map(Some));
        for category in cats {
            let key = predictions("KC_BUF_2024_W10", category);
            let rest = key
                .strip_prefix(&game_prefix("KC_BUF_2024_W10"))
                .unwrap_or_else(|| panic!("{key} is outside the game's prefix"));
            assert_eq!(
                rest,
                format!("predictions:{}", category.map_or("all", |c| c.id()))
            );
            // Week 1's invalidation must not drop week 10's keys.
            assert!(!key.starts_with(&game_prefix("KC_BUF_2024_W1")), "{key}");
        }
    }

    #[test]
    fn a_provenance_key_lies_under_its_games_prefix() {
        let id = graph::PredictionId::parse("KC_BUF_2024_W10.elo.wf-2026.11.1").unwrap();
        let key = provenance(&id);
        assert!(key.starts_with(&game_prefix("KC_BUF_2024_W10")), "{key}");
        assert!(key.ends_with("provenance:KC_BUF_2024_W10.elo.wf-2026.11.1"));
    }
}
