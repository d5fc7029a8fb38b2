//! `contrarian`, The Contrarian (favourite-fading): Starts from the Elo gap and fades favourites
//! in proportion to how lopsided the line is and how big their last win was.

use crate::history::Matchup;

use super::elo::elo;
use super::{Assessment, Ctx, Expert, ExpertSpec, MemoryRef, Skip};

/// The Contrarian.
pub struct Contrarian;

const SPEC: ExpertSpec = spec!(
    "contrarian",
    "The Contrarian",
    "fades the hype",
    "favourite-fading",
    "Starts from the Elo gap and fades favourites in proportion to how lopsided the line is and how big their last win was."
);

impl Expert for Contrarian {
    fn spec(&self) -> &'static ExpertSpec {
        &SPEC
    }

    fn assess(&self, c: &Ctx, m: &Matchup, skip: Skip) -> Assessment {
        contrarian(c, m, skip)
    }
}

fn contrarian(c: &Ctx, m: &Matchup, skip: Skip) -> Assessment {
    let base = elo(c, m, skip);
    let fav_home = base.logit >= 0.0;
    let fav = if fav_home { m.home } else { m.away };
    let last = c
        .hist
        .team_games(fav)
        .iter()
        .rev()
        .find(|&&i| !skip.game(i))
        .copied();
    let hype = last.map_or(0.0, |i| {
        (c.hist.game(i).for_team(fav).0 / 21.0).clamp(0.0, 1.0)
    });
    let fade = 0.12 * (base.logit.abs() - 0.6).max(0.0) + 0.06 * hype;
    let z = if fav_home {
        base.logit - fade
    } else {
        base.logit + fade
    };
    let mut a = Assessment {
        logit: z,
        evidence: base.evidence,
        ..Default::default()
    };
    if c.explain {
        a.reasoning = format!("Elo says {:.1}% for the home side; fading the favourite by {fade:.2} logit (last-win hype {hype:.2})", crate::prob::sigmoid(base.logit) * 100.0);
        a.memories.extend(last.map(MemoryRef::Game));
        a.memories.extend(
            base.memories
                .into_iter()
                .filter(|mm| Some(mm) != last.map(MemoryRef::Game).as_ref()),
        );
    }
    a
}
