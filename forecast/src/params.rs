//! The tunable parameters of a model version. Everything else the experts learn walk-forward.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// Home-field edge in Elo points (Elo, Glicko, contrarian, nearest-neighbour).
    pub hfa_elo: f64,
    /// Elo K factor.
    pub elo_k: f64,
    /// Share of an Elo rating's distance from the mean kept over an off-season.
    pub elo_keep: f64,
    /// Home-field edge in points (points-rating experts).
    pub hfa_points: f64,
    /// Points-rating learning rate per game.
    pub points_k: f64,
    /// Share of a points rating kept over an off-season.
    pub points_keep: f64,
    /// Sharpness of the consensus weights (higher trusts the recently best expert more).
    pub consensus_eta: f64,
    /// Decay of each expert's running Brier score per game.
    pub loss_decay: f64,
    /// Learning rate of the logistic expert.
    pub lr_rate: f64,
    /// Learning rate of the consensus calibration (the `weights` consensus).
    pub calibration_rate: f64,
    /// The experts read the league home advantage the state-space filter learns from the
    /// games (a drifting state) instead of the fixed `hfa_points`/`hfa_elo`. (A model version
    /// saved before this existed reads as `false`: see the API's model registry.)
    pub adaptive_hfa: bool,
    /// How fast the league home advantage may drift: variance added per day, in points².
    pub hfa_drift: f64,
    /// Prior standard deviation of the league home advantage around `hfa_points`, in points.
    pub hfa_sd: f64,
    /// Team-strength variance added per week of play in the state-space filter, points².
    pub state_week_var: f64,
    /// Share of a team strength kept over an off-season in the state-space filter.
    pub state_keep: f64,
    /// Team-strength variance added over an off-season, points².
    pub state_season_var: f64,
    /// Prior standard deviation of a team never seen (and the cap on its uncertainty), points.
    pub team_sd: f64,
    /// How the experts are combined.
    pub consensus: ConsensusMethod,
    /// Stacking: prior standard deviation of each expert's own weight (its correction to the
    /// exponential-weights combination, centred on 0).
    pub stack_prior_sd: f64,
    /// Stacking: the memory of the learned weights, in games (they revert toward the prior
    /// with this time constant, which is the shrinkage).
    pub stack_memory: f64,
}

/// How the consensus combines the experts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsensusMethod {
    /// Exponential weights by each expert's recent Brier score, then Platt calibration.
    Weights,
    /// Stacking: a logistic regression on the experts' logits, learned walk-forward with a
    /// Gaussian prior on the weights (shrinkage toward equal shares).
    Stacking,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            hfa_elo: 55.0,
            elo_k: 20.0,
            elo_keep: 2.0 / 3.0,
            hfa_points: 2.4,
            points_k: 0.08,
            points_keep: 0.6,
            consensus_eta: 1600.0,
            loss_decay: 1.0 / 400.0,
            lr_rate: 0.004,
            calibration_rate: 0.002,
            adaptive_hfa: true,
            hfa_drift: 0.01,
            hfa_sd: 1.0,
            state_week_var: 0.6,
            state_keep: 0.7,
            state_season_var: 16.0,
            team_sd: 6.0,
            consensus: ConsensusMethod::Stacking,
            stack_prior_sd: 0.01,
            stack_memory: 2000.0,
        }
    }
}

impl Params {
    /// The previous model: fixed home advantage, exponential weights (what a version saved
    /// before the learned home advantage existed reads as).
    pub fn legacy() -> Self {
        Self {
            adaptive_hfa: false,
            consensus: ConsensusMethod::Weights,
            consensus_eta: 400.0,
            ..Self::default()
        }
    }
}

impl Params {
    /// Checks every value is in a range where the models stay meaningful.
    pub fn validate(&self) -> Result<(), String> {
        let checks = [
            ("hfa_elo", self.hfa_elo, 0.0, 200.0),
            ("elo_k", self.elo_k, 1.0, 100.0),
            ("elo_keep", self.elo_keep, 0.0, 1.0),
            ("hfa_points", self.hfa_points, 0.0, 8.0),
            ("points_k", self.points_k, 0.001, 0.5),
            ("points_keep", self.points_keep, 0.0, 1.0),
            ("consensus_eta", self.consensus_eta, 0.0, 10_000.0),
            ("loss_decay", self.loss_decay, 1e-5, 0.5),
            ("lr_rate", self.lr_rate, 0.0, 0.5),
            ("calibration_rate", self.calibration_rate, 0.0, 0.5),
            ("hfa_drift", self.hfa_drift, 0.0, 1.0),
            ("hfa_sd", self.hfa_sd, 0.01, 10.0),
            ("state_week_var", self.state_week_var, 0.0, 25.0),
            ("state_keep", self.state_keep, 0.0, 1.0),
            ("state_season_var", self.state_season_var, 0.0, 100.0),
            ("team_sd", self.team_sd, 0.5, 20.0),
            ("stack_prior_sd", self.stack_prior_sd, 0.001, 10.0),
            ("stack_memory", self.stack_memory, 10.0, 1e7),
        ];
        for (name, v, lo, hi) in checks {
            if !v.is_finite() || v < lo || v > hi {
                return Err(format!("{name} = {v} is outside [{lo}, {hi}]"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parameters_file_names_only_what_it_changes_and_round_trips() {
        let p: Params = serde_json::from_str(r#"{"hfa_points": 2.0}"#).unwrap();
        assert_eq!(
            p,
            Params {
                hfa_points: 2.0,
                ..Params::default()
            }
        );
        assert!(p.adaptive_hfa && p.consensus == ConsensusMethod::Stacking);
        let legacy: Params = serde_json::from_str(
            r#"{"adaptive_hfa": false, "consensus": "weights", "consensus_eta": 400}"#,
        )
        .unwrap();
        assert_eq!(legacy, Params::legacy());
        let round: Params =
            serde_json::from_str(&serde_json::to_string(&Params::default()).unwrap()).unwrap();
        assert_eq!(round, Params::default());
        assert!(serde_json::from_str::<Params>(r#"{"consensus": "median"}"#).is_err());
    }

    #[test]
    fn out_of_range_values_are_refused_with_their_name() {
        for (p, name) in [
            (
                Params {
                    hfa_drift: -1.0,
                    ..Params::default()
                },
                "hfa_drift",
            ),
            (
                Params {
                    state_keep: 1.5,
                    ..Params::default()
                },
                "state_keep",
            ),
            (
                Params {
                    stack_memory: 0.0,
                    ..Params::default()
                },
                "stack_memory",
            ),
        ] {
            let e = p.validate().unwrap_err();
            assert!(e.starts_with(name), "{e}");
        }
        Params::default().validate().unwrap();
    }
}
