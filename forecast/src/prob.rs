//! Small numeric helpers shared by the experts.

/// Standard deviation of an NFL final margin around its expectation, in points.
pub const MARGIN_SD: f64 = 13.5;

pub fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

pub fn logit(p: f64) -> f64 {
    let p = p.clamp(1e-6, 1.0 - 1e-6);
    (p / (1.0 - p)).ln()
}

/// Standard normal CDF (Abramowitz–Stegun 7.1.26 on erf, error < 1.5e-7).
pub fn norm_cdf(x: f64) -> f64 {
    let z = x / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * z.abs());
    let y = 1.0
        - (((((1.061_405_429 * t - 1.453_152_027) * t) + 1.421_413_741) * t - 0.284_496_736) * t
            + 0.254_829_592)
            * t
            * (-z * z).exp();
    let erf = if z >= 0.0 { y } else { -y };
    0.5 * (1.0 + erf)
}

/// Inverse of [`norm_cdf`] by bisection (monotone, deterministic, plenty fast for our use).
pub fn norm_inv(p: f64) -> f64 {
    let p = p.clamp(1e-9, 1.0 - 1e-9);
    let (mut lo, mut hi) = (-9.0_f64, 9.0_f64);
    for _ in 0..60 {
        let mid = 0.5 * (lo + hi);
        if norm_cdf(mid) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// Probability that the home side wins given an expected margin (ties split evenly).
pub fn margin_to_prob(margin: f64) -> f64 {
    norm_cdf(margin / MARGIN_SD)
}

pub fn prob_to_margin(p: f64) -> f64 {
    norm_inv(p) * MARGIN_SD
}

/// Shrinks an average of `n` observations toward zero with a prior worth `k` observations.
pub fn shrink(mean: f64, n: f64, k: f64) -> f64 {
    if n <= 0.0 {
        0.0
    } else {
        mean * n / (n + k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn norm_inv_inverts_norm_cdf() {
        for p in [0.01, 0.2, 0.5, 0.77, 0.99] {
            assert!((norm_cdf(norm_inv(p)) - p).abs() < 1e-6, "p={p}");
        }
    }

    #[test]
    fn logit_inverts_sigmoid() {
        for x in [-3.0, -0.2, 0.0, 1.7] {
            assert!((logit(sigmoid(x)) - x).abs() < 1e-9);
        }
    }
}
