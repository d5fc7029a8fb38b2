//! The market expert on a simulated league whose market knows the truth up to a point's
//! noise: it speaks only for games with lines, and the consensus learns to lean on it.

use forecast::engine::N_EXPERTS;
use forecast::experts::expert_index;
use forecast::metrics::score;
use forecast::sim::League;
use forecast::{Engine, Params, EXPERTS};

#[test]
fn the_market_speaks_only_for_games_with_lines_and_the_consensus_learns_to_lean_on_it() {
    let league = League {
        seasons: 6,
        market_sd: Some(1.0),
        seed: 11,
        ..League::default()
    };
    let mut games = league.play(&|_, _| 2.5);
    // Every third game has no lines.
    for (i, g) in games.iter_mut().enumerate() {
        if i % 3 == 0 {
            g.played.matchup.lines = None;
        }
    }
    let mk = expert_index("market").unwrap();
    let mut engine = Engine::with_params(32, Params::default()).recording();
    let (last, rest) = games.split_last().unwrap();
    engine
        .advance(rest.iter().map(|g| g.played.clone()))
        .unwrap();

    // A forecast with lines has the market among its experts; one without does not.
    let mut with = last.played.matchup.clone();
    with.date = with.date + chrono::Days::new(7);
    with.lines = Some(forecast::sim::market_lines(4.0));
    let f = engine.forecast(&with).unwrap();
    assert_eq!(f.experts.len(), N_EXPERTS);
    let m = f.experts.iter().find(|e| e.expert == mk).unwrap();
    assert!(m.home_win_probability > 0.6, "a 4-point favourite");
    assert!(m.reasoning.contains("spread +4.0"), "{}", m.reasoning);
    assert!(f.weights[mk] > 0.0);
    let mut without = with.clone();
    without.lines = None;
    let f = engine.forecast(&without).unwrap();
    assert_eq!(f.experts.len(), N_EXPERTS - 1);
    assert!(f.experts.iter().all(|e| e.expert != mk));
    assert_eq!(f.weights[mk], 0.0);
    assert!((f.weights.iter().sum::<f64>() - 1.0).abs() < 1e-9);

    // Recorded walk-forward: the market is absent (NaN) exactly where there were no lines.
    let records = engine.records();
    for (r, g) in records.iter().zip(rest) {
        assert_eq!(r.experts[mk].is_finite(), g.played.matchup.lines.is_some());
        assert_eq!(r.spread, g.played.matchup.lines.and_then(|l| l.spread));
    }
    // In the last three seasons, on games with lines, the market beats every other expert and
    // the consensus, learning its weight, beats every other expert too.
    let late: Vec<_> = records
        .iter()
        .zip(rest)
        .filter(|(r, g)| g.played.matchup.season >= 2004 && r.experts[mk].is_finite())
        .map(|(r, _)| r)
        .collect();
    let brier = |f: &dyn Fn(&forecast::engine::Record) -> f64| {
        score(&late.iter().map(|r| (f(r), r.result)).collect::<Vec<_>>()).brier
    };
    let market = brier(&|r| r.experts[mk]);
    let consensus = brier(&|r| r.consensus);
    let best_other = (0..EXPERTS.len())
        .filter(|&e| e != mk)
        .map(|e| brier(&|r| r.experts[e]))
        .fold(f64::INFINITY, f64::min);
    assert!(market < best_other, "market {market} vs {best_other}");
    assert!(
        consensus < best_other,
        "consensus {consensus} vs {best_other}"
    );
}

#[test]
fn an_over_under_sets_the_expected_total_and_alone_does_not_make_a_market_forecast() {
    let league = League {
        seasons: 2,
        seed: 3,
        ..League::default()
    };
    let games = league.play(&|_, _| 2.5);
    let mk = expert_index("market").unwrap();
    let mut engine = Engine::with_params(32, Params::default());
    engine
        .advance(games.iter().map(|g| g.played.clone()))
        .unwrap();
    let mut m = games.last().unwrap().played.matchup.clone();
    m.date = m.date + chrono::Days::new(7);
    m.lines = None;
    let ours = engine.forecast(&m).unwrap();
    // (lines, expected total, market among the experts)
    let cases = [
        (
            forecast::Lines {
                total: Some(51.5),
                ..Default::default()
            },
            51.5,
            false,
        ),
        (
            forecast::Lines {
                spread: Some(-3.0),
                total: Some(37.0),
                ..Default::default()
            },
            37.0,
            true,
        ),
        (
            // An over/under nobody posts: ignored, our own estimate stands.
            forecast::Lines {
                spread: Some(-3.0),
                total: Some(400.0),
                ..Default::default()
            },
            ours.scores.total,
            true,
        ),
    ];
    for (lines, total, market) in cases {
        m.lines = lines.usable();
        let f = engine.forecast(&m).unwrap();
        assert!(
            (f.scores.total - total).abs() < 1e-9,
            "{lines:?}: {}",
            f.scores.total
        );
        assert_eq!(
            f.experts.iter().any(|e| e.expert == mk),
            market,
            "{lines:?}"
        );
        // The winner forecast comes from the sides, not from the total.
        if !market {
            assert_eq!(f.home_win_probability, ours.home_win_probability);
        }
    }
}
