//! `nearest_neighbor`, The Pattern Matcher (case-based): Finds the 40 past games (last 10
//! seasons) whose pre-game Elo gap and venue were most similar and uses their home win rate,
//! smoothed toward 57%.

use crate::history::Matchup;
use crate::prob::logit;

use super::common::evidence;
use super::{Assessment, Ctx, Expert, ExpertSpec, MemoryRef, Skip, LN10_400};

/// The Pattern Matcher.
pub struct NearestNeighbor;

const SPEC: ExpertSpec = spec!(
    "nearest_neighbor",
    "The Pattern Matcher",
    "reasons by analogy",
    "case-based",
    "Finds the 40 past games (last 10 seasons) whose pre-game Elo gap and venue were most similar and uses their home win rate, smoothed toward 57%."
);

impl Expert for NearestNeighbor {
    fn spec(&self) -> &'static ExpertSpec {
        &SPEC
    }

    fn assess(&self, c: &Ctx, m: &Matchup, skip: Skip) -> Assessment {
        nearest_neighbor(c, m, skip)
    }
}

fn nearest_neighbor(c: &Ctx, m: &Matchup, skip: Skip) -> Assessment {
    let gap = c.ratings.elo_gap(m) as f32;
    let gaps = &c.ratings.pregame_gap;
    let n = gaps.len().min(c.hist.len());
    let lo = c.hist.games()[..n].partition_point(|g| g.matchup.season < m.season - 10);
    // Keep the 40 nearest by |gap difference| (ties broken by recency), neutral must match.
    let mut best: Vec<(f32, u32)> = Vec::with_capacity(41);
    for i in (lo..n).rev() {
        let g = &c.hist.games()[i];
        if g.matchup.neutral != m.neutral || skip.game(i as u32) {
            continue;
        }
        let d = (gaps[i] - gap).abs();
        if best.len() < 40 || d < best[best.len() - 1].0 {
            let pos = best.partition_point(|b| b.0 <= d);
            best.insert(pos, (d, i as u32));
            best.truncate(40);
        }
    }
    let (mut s, mut k) = (0.0, 0.0);
    for &(_, i) in &best {
        s += c.hist.game(i).home_result();
        k += 1.0;
    }
    let prior = crate::prob::sigmoid(f64::from(gap) * LN10_400);
    let p = (s + 10.0 * prior) / (k + 10.0);
    let mut a = Assessment {
        logit: logit(p),
        evidence: evidence(k, 40.0),
        ..Default::default()
    };
    if c.explain {
        a.reasoning = format!("{k:.0} past games with a similar Elo gap ({gap:+.0}) went {s:.1}-{:.1} for the home side; smoothed to {:.1}%", k - s, p * 100.0);
        a.memories
            .extend(best.iter().map(|&(_, i)| MemoryRef::Game(i)));
    }
    a
}
