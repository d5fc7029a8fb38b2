//! The simulator's random numbers: xoshiro256++ (Blackman and Vigna, 2018), one stream per
//! simulated season, seeded from the run's seed and the season's number through SplitMix64.
//! A season's draws depend on nothing else, so a run gives the same odds on any number of
//! threads and on every instance of a fleet. Normal deviates by the ziggurat of Marsaglia and
//! Tsang (256 layers, exact; a table lookup and a multiply for nearly every draw). Pure.

/// A seeded generator of one simulated season.
#[derive(Clone, Debug)]
pub struct Rng {
    s: [u64; 4],
}

/// SplitMix64's step: spreads any seed over the whole state.
fn splitmix(x: &mut u64) -> u64 {
    *x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *x;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl Rng {
    /// The stream of simulated season `index` of the run seeded `seed`.
    pub fn for_season(seed: u64, index: u64) -> Self {
        let mut x = seed ^ index.wrapping_mul(0xd605_bbb5_8c8a_bbb5).rotate_left(17);
        let s = [
            splitmix(&mut x),
            splitmix(&mut x),
            splitmix(&mut x),
            splitmix(&mut x),
        ];
        Self { s }
    }

    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let out = s[0].wrapping_add(s[3]).rotate_left(23).wrapping_add(s[0]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        out
    }

    /// Uniform on `[0, 1)` with 53 random bits.
    #[inline]
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A standard normal deviate, by the ziggurat: one random word picks a layer and a point
    /// in it; inside the layer's core (about 99 % of draws) that is the answer, with no
    /// logarithm or square root. Exact: the layer's edge and the tail are rejection-sampled.
    #[inline]
    pub fn normal(&mut self) -> f64 {
        let z = ziggurat();
        loop {
            let bits = self.next_u64();
            let i = (bits & 0xff) as usize;
            // The top 53 bits, signed: a point across the whole layer, both sides.
            let u = 2.0 * ((bits >> 11) as f64 * (1.0 / (1u64 << 53) as f64)) - 1.0;
            let x = u * z.x[i];
            if x.abs() < z.x[i + 1] {
                return x;
            }
            if i == 0 {
                return self.tail(u < 0.0);
            }
            let y = z.f[i + 1] + self.uniform() * (z.f[i] - z.f[i + 1]);
            if y < density(x) {
                return x;
            }
        }
    }

    /// A normal deviate beyond the ziggurat's base (|x| > `ZIG_R`), by Marsaglia's method.
    fn tail(&mut self, negative: bool) -> f64 {
        loop {
            let a = -(1.0 - self.uniform()).ln() / ZIG_R;
            let b = -(1.0 - self.uniform()).ln();
            if 2.0 * b > a * a {
                return if negative { -(ZIG_R + a) } else { ZIG_R + a };
            }
        }
    }
}

/// The ziggurat's layers (Marsaglia and Tsang, 2000): 256 of equal area under the normal
/// density, the base one running into the tail beyond `ZIG_R`.
const ZIG_LAYERS: usize = 256;
/// Where the tail starts, for 256 layers.
const ZIG_R: f64 = 3.654_152_885_361_009;
/// Each layer's area.
const ZIG_V: f64 = 0.004_928_673_233_99;

/// Each layer's right edge `x[i]` (decreasing; `x[0]` is the base layer's pseudo-width, `x[1]`
/// is `ZIG_R`, `x[256]` is 0) and the density there.
struct Ziggurat {
    x: [f64; ZIG_LAYERS + 1],
    f: [f64; ZIG_LAYERS + 1],
}

fn density(x: f64) -> f64 {
    (-0.5 * x * x).exp()
}

fn ziggurat() -> &'static Ziggurat {
    static TABLES: std::sync::OnceLock<Ziggurat> = std::sync::OnceLock::new();
    TABLES.get_or_init(|| {
        let mut x = [0.0; ZIG_LAYERS + 1];
        x[0] = ZIG_V / density(ZIG_R);
        x[1] = ZIG_R;
        for i in 2..ZIG_LAYERS {
            x[i] = (-2.0 * (ZIG_V / x[i - 1] + density(x[i - 1])).ln()).sqrt();
        }
        x[ZIG_LAYERS] = 0.0;
        let mut f = [0.0; ZIG_LAYERS + 1];
        for (fi, xi) in f.iter_mut().zip(&x) {
            *fi = density(*xi);
        }
        Ziggurat { x, f }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_depends_only_on_the_seed_and_the_season() {
        let draw = |seed, index| {
            let mut r = Rng::for_season(seed, index);
            (0..5).map(|_| r.next_u64()).collect::<Vec<_>>()
        };
        assert_eq!(draw(7, 3), draw(7, 3));
        assert_ne!(draw(7, 3), draw(7, 4));
        assert_ne!(draw(7, 3), draw(8, 3));
    }

    #[test]
    fn normals_have_mean_zero_and_unit_variance() {
        let mut r = Rng::for_season(1, 0);
        let n = 200_000;
        let xs: Vec<f64> = (0..n).map(|_| r.normal()).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        assert!(mean.abs() < 0.01, "mean {mean}");
        assert!((var - 1.0).abs() < 0.01, "variance {var}");
        // The tails: about 4.55 % beyond two standard deviations.
        let tail = xs.iter().filter(|x| x.abs() > 2.0).count() as f64 / n as f64;
        assert!((tail - 0.0455).abs() < 0.003, "tail {tail}");
        // Beyond 3 (0.27 %) and beyond the ziggurat's base layer, 3.65 (0.026 %): the tail is
        // drawn, not cut off; and a third and fourth moment of the normal's.
        let beyond = |c: f64| xs.iter().filter(|x| x.abs() > c).count() as f64 / n as f64;
        assert!(
            (beyond(3.0) - 0.0027).abs() < 0.0006,
            "beyond 3: {}",
            beyond(3.0)
        );
        assert!(
            beyond(3.7) > 0.0 && beyond(3.7) < 0.0006,
            "beyond 3.7: {}",
            beyond(3.7)
        );
        let skew = xs.iter().map(|x| x.powi(3)).sum::<f64>() / n as f64;
        let kurt = xs.iter().map(|x| x.powi(4)).sum::<f64>() / n as f64;
        assert!(
            skew.abs() < 0.03 && (kurt - 3.0).abs() < 0.06,
            "{skew} {kurt}"
        );
        let u: Vec<f64> = (0..n).map(|_| r.uniform()).collect();
        assert!(u.iter().all(|x| (0.0..1.0).contains(x)));
        let below = u.iter().filter(|x| **x < 0.25).count() as f64 / n as f64;
        assert!((below - 0.25).abs() < 0.005, "{below}");
    }
}
