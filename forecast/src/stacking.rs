//! The stacking consensus: a logistic regression on the experts' logits, learned
//! walk-forward, with shrinkage.
//!
//! The weights are a Gaussian state (mean and full covariance). Before each game they revert
//! toward the prior (an equal share per expert, no intercept) with a time constant of
//! `stack_memory` games while gaining exactly the variance that keeps their stationary spread at
//! `stack_prior_sd`: this is the shrinkage, and it never wears off. Each result then updates
//! them by one Laplace (extended Kalman) step of Bayesian logistic regression. Correlated
//! experts share credit through the covariance instead of one of them taking it all, and an
//! expert absent from a game (the market, without lines) stands in at the present experts'
//! mean logit, so it neither pulls nor pushes.

use crate::prob::sigmoid;

/// Logits are clipped to this before they are combined.
const LOGIT_CAP: f64 = 6.0;

#[derive(Clone, Debug)]
pub struct Stacking {
    /// Intercept, then one weight per expert.
    mean: Vec<f64>,
    cov: Vec<f64>,
    prior: Vec<f64>,
    keep: f64,
    /// Variance each weight gains per game (keeps its stationary spread at the prior's).
    noise: Vec<f64>,
}

impl Stacking {
    /// Equal shares for `experts` features (the logit average).
    pub fn new(experts: usize, prior_sd: f64, memory: f64) -> Self {
        let prior = vec![(1.0 / experts as f64, prior_sd); experts];
        Self::with_prior(prior_sd, &prior, memory)
    }

    /// A prior of (mean, standard deviation) per feature; the intercept's mean is 0 with
    /// `intercept_sd`.
    pub fn with_prior(intercept_sd: f64, prior: &[(f64, f64)], memory: f64) -> Self {
        let d = prior.len() + 1;
        let sd: Vec<f64> = std::iter::once(intercept_sd)
            .chain(prior.iter().map(|p| p.1))
            .collect();
        let prior: Vec<f64> = std::iter::once(0.0)
            .chain(prior.iter().map(|p| p.0))
            .collect();
        let mut cov = vec![0.0; d * d];
        for i in 0..d {
            cov[i * d + i] = sd[i] * sd[i];
        }
        let keep = 1.0 - 1.0 / memory;
        Self {
            mean: prior.clone(),
            cov,
            prior,
            keep,
            noise: sd.iter().map(|s| s * s * (1.0 - keep * keep)).collect(),
        }
    }

    fn d(&self) -> usize {
        self.mean.len()
    }

    /// The features of a game: 1, then each expert's logit (absent experts at the present
    /// experts' mean).
    fn features(&self, logits: &[f64]) -> Vec<f64> {
        let present: Vec<f64> = logits.iter().copied().filter(|l| l.is_finite()).collect();
        let fill = if present.is_empty() {
            0.0
        } else {
            present.iter().sum::<f64>() / present.len() as f64
        };
        std::iter::once(1.0)
            .chain(logits.iter().map(|&l| {
                if l.is_finite() {
                    l.clamp(-LOGIT_CAP, LOGIT_CAP)
                } else {
                    fill.clamp(-LOGIT_CAP, LOGIT_CAP)
                }
            }))
            .collect()
    }

    fn cov_times(&self, x: &[f64]) -> Vec<f64> {
        let d = self.d();
        (0..d)
            .map(|r| (0..d).map(|c| self.cov[r * d + c] * x[c]).sum())
            .collect()
    }

    /// The consensus home win probability from the experts' logits (NaN = absent), with the
    /// weights' own uncertainty taken into account (MacKay's probit approximation).
    pub fn predict(&self, logits: &[f64]) -> f64 {
        let x = self.features(logits);
        let z: f64 = self.mean.iter().zip(&x).map(|(w, x)| w * x).sum();
        let v: f64 = self.cov_times(&x).iter().zip(&x).map(|(a, b)| a * b).sum();
        sigmoid(z / (1.0 + std::f64::consts::PI * v.max(0.0) / 8.0).sqrt())
    }

    /// Learns from one result (`y`: 1 home win, 0 loss, 0.5 tie).
    pub fn update(&mut self, logits: &[f64], y: f64) {
        let d = self.d();
        // Revert toward the prior (the shrinkage) and gain the matching variance.
        for i in 0..d {
            self.mean[i] = self.prior[i] + self.keep * (self.mean[i] - self.prior[i]);
        }
        let k2 = self.keep * self.keep;
        for i in 0..d {
            for j in 0..d {
                self.cov[i * d + j] *= k2;
            }
            self.cov[i * d + i] += self.noise[i];
        }
        let x = self.features(logits);
        let z: f64 = self.mean.iter().zip(&x).map(|(w, x)| w * x).sum();
        let p = sigmoid(z);
        let h = (p * (1.0 - p)).max(1e-6);
        let v = self.cov_times(&x);
        let xv: f64 = v.iter().zip(&x).map(|(a, b)| a * b).sum();
        let denom = 1.0 + h * xv;
        for i in 0..d {
            for j in 0..d {
                self.cov[i * d + j] -= h * v[i] * v[j] / denom;
            }
        }
        // Σ_new·x = v / denom.
        for i in 0..d {
            self.mean[i] += v[i] / denom * (y - p);
        }
    }

    /// Each feature's share of the combination (|weight| over the sum), for people.
    pub fn shares(&self) -> Vec<f64> {
        let w: Vec<f64> = self.mean[1..].iter().map(|w| w.abs()).collect();
        let s: f64 = w.iter().sum();
        if s > 0.0 {
            w.iter().map(|x| x / s).collect()
        } else {
            vec![1.0 / w.len() as f64; w.len()]
        }
    }

    /// The learned weights: (intercept, per expert).
    pub fn weights(&self) -> (f64, &[f64]) {
        (self.mean[0], &self.mean[1..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Uniform draws from the simulation's deterministic generator.
    fn rng(seed: u64) -> impl FnMut() -> f64 {
        let mut r = crate::sim::Rng::new(seed);
        move || r.uniform()
    }

    #[test]
    fn a_good_expert_earns_weight_and_a_noise_expert_loses_it() {
        let mut u = rng(7);
        let mut s = Stacking::new(3, 0.3, 3000.0);
        for _ in 0..6000 {
            let truth = (u() - 0.5) * 4.0;
            let y = if u() < sigmoid(truth) { 1.0 } else { 0.0 };
            let noise = (u() - 0.5) * 4.0;
            let half = 0.5 * truth + (u() - 0.5);
            let logits = [truth, noise, half];
            s.update(&logits, y);
        }
        let (_, w) = s.weights();
        assert!(w[0] > 0.6, "{w:?}");
        assert!(w[1].abs() < 0.15, "{w:?}");
        assert!(w[0] > w[2], "{w:?}");
    }

    #[test]
    fn with_no_evidence_the_weights_stay_at_equal_shares_and_an_absent_expert_is_neutral() {
        let s = Stacking::new(4, 0.2, 1000.0);
        assert_eq!(s.shares(), vec![0.25; 4]);
        let p_all = s.predict(&[1.0, 1.0, 1.0, 1.0]);
        let p_missing = s.predict(&[1.0, 1.0, 1.0, f64::NAN]);
        assert!((p_all - p_missing).abs() < 1e-12);
        assert!(
            p_all > 0.5 && p_all < sigmoid(1.0),
            "uncertain weights temper: {p_all}"
        );
    }

    #[test]
    fn shrinkage_pulls_unsupported_weights_back_toward_equal_shares() {
        let mut u = rng(3);
        let mut s = Stacking::new(2, 0.3, 500.0);
        for _ in 0..3000 {
            let truth = (u() - 0.5) * 4.0;
            let y = if u() < sigmoid(truth) { 1.0 } else { 0.0 };
            s.update(&[truth, (u() - 0.5) * 4.0], y);
        }
        let learned = s.weights().1[0];
        // Games where every expert is absent carry no information: only the prior acts.
        for _ in 0..3000 {
            s.update(&[f64::NAN, f64::NAN], 0.5);
        }
        let later = s.weights().1[0];
        assert!(
            (later - 0.5).abs() < (learned - 0.5).abs() * 0.1,
            "{learned} → {later}"
        );
    }
}
