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
    /// Learning rate of the consensus calibration.
    pub calibration_rate: f64,
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
            consensus_eta: 400.0,
            loss_decay: 1.0 / 400.0,
            lr_rate: 0.004,
            calibration_rate: 0.002,
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
        ];
        for (name, v, lo, hi) in checks {
            if !v.is_finite() || v < lo || v > hi {
                return Err(format!("{name} = {v} is outside [{lo}, {hi}]"));
            }
        }
        Ok(())
    }
}
