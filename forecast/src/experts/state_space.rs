//! `state_space`, The Filter (state-space): team strengths and the league home advantage as
//! latent Gaussian states, updated by a Kalman filter on point margins (Glickman & Stern
//! 1998); the win probability is the share of the margin's predictive distribution (the
//! states' uncertainty plus the game's own noise) above zero.

use crate::history::Matchup;
use crate::prob::{logit, norm_cdf};

use super::common::{evidence, withheld};
use super::{Assessment, Ctx, Expert, ExpertSpec, MemoryRef, Skip};

/// The Filter.
pub struct StateSpace;

const SPEC: ExpertSpec = spec!(
    "state_space",
    "The Filter",
    "honest about what it does not know",
    "state-space",
    "Team strengths and the league home advantage as latent Gaussian states, updated by a Kalman filter on point margins (Glickman & Stern 1998): uncertainty grows with idle time and over the off-season, the home advantage drifts with the evidence; the win probability is the share of the margin's predictive distribution above zero."
);

const HOME_ADVANTAGE: &str = "league_home_advantage";

impl Expert for StateSpace {
    fn spec(&self) -> &'static ExpertSpec {
        &SPEC
    }

    fn assess(&self, c: &Ctx, m: &Matchup, skip: Skip) -> Assessment {
        state_space(c, m, skip)
    }
}

fn state_space(c: &Ctx, m: &Matchup, skip: Skip) -> Assessment {
    let s = &c.ratings.state;
    let pred = s.predict(m);
    let ch = s.recent_changes(m.home, 6);
    let ca = s.recent_changes(m.away, 6);
    let (hfa, hfa_sd) = s.home_advantage();
    let mut margin = pred.margin - (withheld(ch, skip) - withheld(ca, skip));
    if skip.pattern(HOME_ADVANTAGE) && !m.neutral {
        margin -= hfa;
    }
    let p = norm_cdf(margin / pred.sd);
    let team_sd = c.ratings.params.team_sd;
    let mut a = Assessment {
        logit: logit(p),
        evidence: evidence(
            1.0 - pred.state_sd / (team_sd * std::f64::consts::SQRT_2),
            1.0,
        ),
        margin: Some(margin),
        ..Default::default()
    };
    if c.explain {
        let (sh, sdh) = s.strength(m.home);
        let (sa, sda) = s.strength(m.away);
        a.reasoning = format!(
            "strengths {sh:+.1}±{sdh:.1} vs {sa:+.1}±{sda:.1} points, league home advantage {:+.1}±{hfa_sd:.1}: expected margin {margin:+.1}, spread of outcomes ±{:.1} (of which the ratings' doubt ±{:.1})",
            if m.neutral { 0.0 } else { hfa },
            pred.sd,
            pred.state_sd
        );
        if !m.neutral {
            a.memories.push(MemoryRef::Pattern {
                kind: "home_advantage",
                key: HOME_ADVANTAGE.into(),
                content: format!(
                    "league home advantage learned from every margin so far: {hfa:+.2} ± {hfa_sd:.2} points"
                ),
                games: Vec::new(),
            });
        }
        a.memories
            .extend(ch.iter().chain(ca).map(|&(g, _)| MemoryRef::Game(g)));
    }
    a
}
