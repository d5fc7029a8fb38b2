//! `market`, The Bookmaker (market-based): the betting market's closing line when the game has
//! one. Moneylines become a probability with the bookmaker's margin (the vig) removed; a spread
//! is the mean of a normal margin distribution; with both, the two are averaged on the logit
//! scale. Absent for a game without lines.

use crate::history::{Lines, Matchup};
use crate::prob::{logit, margin_to_prob, prob_to_margin, sigmoid};

use super::{Assessment, Ctx, Expert, ExpertSpec, MemoryRef, Skip};

/// The Bookmaker.
pub struct Market;

const SPEC: ExpertSpec = spec!(
    "market",
    "The Bookmaker",
    "trusts the money",
    "market-based",
    "The closing line when the game has one: moneylines turned into a probability with the vig removed, a spread into a normal margin distribution (13.5 points), both averaged on the logit scale. Absent for a game without lines."
);

const KEY: &str = "closing_line";

impl Expert for Market {
    fn spec(&self) -> &'static ExpertSpec {
        &SPEC
    }

    fn applies(&self, m: &Matchup) -> bool {
        m.lines.is_some_and(|l| l.has_side())
    }

    fn assess(&self, c: &Ctx, m: &Matchup, skip: Skip) -> Assessment {
        let Some((lines, view)) = m.lines.and_then(|l| read(&l).map(|v| (l, v))) else {
            return Assessment {
                logit: f64::NAN,
                ..Default::default()
            };
        };
        let z = if skip.pattern(KEY) { 0.0 } else { view.logit };
        let mut a = Assessment {
            logit: z,
            evidence: 1.0,
            margin: Some(if skip.pattern(KEY) { 0.0 } else { view.margin }),
            ..Default::default()
        };
        if c.explain {
            a.reasoning = view.describe(&lines);
            a.memories.push(MemoryRef::Pattern {
                kind: "market_line",
                key: KEY.into(),
                content: view.describe(&lines),
                games: Vec::new(),
            });
        }
        a
    }
}

/// What the lines say.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MarketView {
    pub logit: f64,
    /// Expected home margin.
    pub margin: f64,
    /// The de-vigged moneyline probability, when there are moneylines.
    pub moneyline_probability: Option<f64>,
    /// The bookmaker's overround removed from the moneylines (0.045 = 4.5 %).
    pub vig: Option<f64>,
}

impl MarketView {
    fn describe(&self, l: &Lines) -> String {
        let mut parts = Vec::new();
        if let Some(s) = l.spread {
            parts.push(format!("spread {s:+.1} (home)"));
        }
        if let (Some(h), Some(a), Some(p), Some(v)) = (
            l.home_moneyline,
            l.away_moneyline,
            self.moneyline_probability,
            self.vig,
        ) {
            parts.push(format!(
                "moneylines {h:+}/{a:+}: {:.1}% home with the {:.1}% vig removed",
                p * 100.0,
                v * 100.0
            ));
        }
        format!(
            "closing line: {}; {:.1}% home, expected margin {:+.1}",
            parts.join(", "),
            sigmoid(self.logit) * 100.0,
            self.margin
        )
    }
}

/// The probability an American moneyline implies (vig included).
pub fn implied(moneyline: i32) -> f64 {
    let ml = f64::from(moneyline);
    if ml < 0.0 {
        -ml / (-ml + 100.0)
    } else {
        100.0 / (ml + 100.0)
    }
}

/// Reads lines into a view; `None` when nothing usable is there.
pub fn read(l: &Lines) -> Option<MarketView> {
    let l = l.usable()?;
    let ml = match (l.home_moneyline, l.away_moneyline) {
        (Some(h), Some(a)) => {
            let (ih, ia) = (implied(h), implied(a));
            Some((ih / (ih + ia), ih + ia - 1.0))
        }
        _ => None,
    };
    let spread = l.spread;
    let z = match (ml, spread) {
        (Some((p, _)), Some(s)) => 0.5 * (logit(p) + logit(margin_to_prob(s))),
        (Some((p, _)), None) => logit(p),
        (None, Some(s)) => logit(margin_to_prob(s)),
        (None, None) => return None,
    };
    Some(MarketView {
        logit: z,
        margin: spread.unwrap_or_else(|| prob_to_margin(sigmoid(z))),
        moneyline_probability: ml.map(|x| x.0),
        vig: ml.map(|x| x.1),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(spread: Option<f64>, h: Option<i32>, a: Option<i32>) -> Lines {
        Lines {
            spread,
            home_moneyline: h,
            away_moneyline: a,
            total: None,
        }
    }

    #[test]
    fn hand_made_lines_read_as_the_probabilities_they_imply() {
        // (lines, expected home probability, tolerance)
        let cases = [
            // -150/+130: implied .600/.435, overround 3.5 %, de-vigged .6 / 1.035.
            (lines(None, Some(-150), Some(130)), 0.600 / 1.0348, 1e-3),
            // Even money both ways, no spread: a coin flip.
            (lines(None, Some(100), Some(-100)), 0.5, 1e-9),
            // A 3-point home favourite: Φ(3 / 13.5).
            (lines(Some(3.0), None, None), 0.5879, 1e-3),
            // A 7-point road favourite.
            (lines(Some(-7.0), None, None), 1.0 - 0.6980, 1e-3),
        ];
        for (l, want, tol) in cases {
            let v = read(&l).unwrap();
            let p = sigmoid(v.logit);
            assert!((p - want).abs() < tol, "{l:?}: {p} vs {want}");
        }
        let v = read(&lines(None, Some(-150), Some(130))).unwrap();
        assert!((v.vig.unwrap() - 0.0348).abs() < 1e-3);
        assert!(
            v.margin > 0.0,
            "a favourite is expected to win by something"
        );
    }

    #[test]
    fn spread_and_moneyline_are_averaged_and_agree_in_sign() {
        let both = read(&lines(Some(-3.5), Some(170), Some(-200))).unwrap();
        let ml = read(&lines(None, Some(170), Some(-200))).unwrap();
        let sp = read(&lines(Some(-3.5), None, None)).unwrap();
        assert!((both.logit - 0.5 * (ml.logit + sp.logit)).abs() < 1e-12);
        assert!(both.logit < 0.0 && both.margin == -3.5);
    }

    #[test]
    fn a_game_without_usable_lines_has_no_market_view() {
        for l in [
            lines(None, None, None),
            lines(None, Some(-150), None),
            lines(None, Some(-50), Some(120)),
            lines(Some(f64::NAN), None, None),
        ] {
            assert_eq!(read(&l), None, "{l:?}");
        }
    }
}
