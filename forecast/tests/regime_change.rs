//! A simulated league whose home advantage drops from 3 points to 0 in one off-season: the
//! learned home advantage follows within the season and the forecasts' calibration recovers;
//! a model with a fixed home advantage stays biased toward the home team. Four seeded leagues,
//! averaged (one league's home advantage is only known to about ±1 point).

use forecast::sim::{run, League, RegimeGame, RegimeRun};
use forecast::Params;

const CHANGE: i32 = 2007;
const SEEDS: u64 = 4;

fn runs(params: &Params) -> Vec<RegimeRun> {
    (1..=SEEDS)
        .map(|seed| {
            let l = League {
                seed,
                ..League::default()
            };
            let games = l.play(&|season, _| if season < CHANGE { 3.0 } else { 0.0 });
            run(params, l.teams, &games)
        })
        .collect()
}

fn fixed_at_three() -> Params {
    Params {
        hfa_points: 3.0,
        hfa_elo: 3.0 * 55.0 / 2.4,
        ..Params::legacy()
    }
}

/// The mean over seeds of the home advantage used going into the last week of `season`.
fn used_at_season_end(runs: &[RegimeRun], season: i32) -> f64 {
    let last = League::default().weeks - 1;
    runs.iter()
        .map(|r| {
            r.weeks
                .iter()
                .find(|w| w.season == season && w.week == last)
                .unwrap()
                .used_home_advantage
        })
        .sum::<f64>()
        / runs.len() as f64
}

#[test]
fn the_learned_home_advantage_tracks_a_drop_from_three_points_to_zero_within_a_season() {
    let learned = runs(&Params::default());
    let before = used_at_season_end(&learned, CHANGE - 1);
    assert!((before - 3.0).abs() < 0.8, "{before} before the change");
    let after = used_at_season_end(&learned, CHANGE);
    assert!(
        after < 1.0,
        "{after} at the end of the first season after the change"
    );
    let fixed = runs(&fixed_at_three());
    assert_eq!(used_at_season_end(&fixed, CHANGE), 3.0);
}

#[test]
fn calibration_recovers_after_the_change_while_a_fixed_home_advantage_stays_biased() {
    let weeks = League::default().weeks;
    let mean = |runs: &[RegimeRun], keep: &dyn Fn(&RegimeGame) -> bool| {
        let c: Vec<_> = runs.iter().map(|r| r.calibration(keep)).collect();
        let n = c.len() as f64;
        (
            c.iter().map(|c| c.bias).sum::<f64>() / n,
            c.iter().map(|c| c.error).sum::<f64>() / n,
        )
    };
    let before = |g: &RegimeGame| g.season == CHANGE - 1;
    let after =
        |g: &RegimeGame| g.season == CHANGE + 1 || (g.season == CHANGE && g.week >= weeks / 2);
    let learned = runs(&Params::default());
    let fixed = runs(&fixed_at_three());
    let (lb, _) = mean(&learned, &before);
    let (fb, _) = mean(&fixed, &before);
    assert!(lb.abs() < 0.02 && fb.abs() < 0.02, "before: {lb} {fb}");
    let (la, le) = mean(&learned, &after);
    let (fa, fe) = mean(&fixed, &after);
    assert!(
        fa > 0.035,
        "the fixed model leans to the home team after: {fa}"
    );
    assert!(la.abs() < 0.02, "the learned model recovers: {la}");
    assert!(le < fe, "closer to the truth: {le} vs {fe}");
}

#[test]
fn the_shipped_parameters_pass_the_robustness_check_that_filters_fit_candidates() {
    let shipped = forecast::sim::regime_check(&Params::default(), SEEDS);
    assert!(shipped.adapts(), "{shipped:?}");
    let slow = Params {
        hfa_drift: 0.0005,
        ..Params::default()
    };
    let slow = forecast::sim::regime_check(&slow, SEEDS);
    assert!(
        !slow.adapts(),
        "a near-fixed edge does not follow: {slow:?}"
    );
    assert!(!forecast::sim::regime_check(&fixed_at_three(), SEEDS).adapts());
}
