//! The bracket: each round's games by seed, the higher seed at home — the first round between
//! the seeds without a bye (best against worst), and after each round the remaining clubs
//! reseeded (the best remaining seed hosts the worst). The Super Bowl is at a neutral site.
//! Pure.

/// One game of a round: the home club (the better seed) and its opponent, by conference seed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pairing {
    pub home: usize,
    pub away: usize,
}

/// The first round of a conference of `teams` seeds with `byes` of them resting: the seeds
/// after the byes, best against worst (6 with 2 byes: 3–6 and 4–5; 7 with 1: 2–7, 3–6, 4–5;
/// 8 with none: 1–8, 2–7, 3–6, 4–5).
pub fn first_round(teams: usize, byes: usize) -> Vec<Pairing> {
    pair((byes + 1..=teams).collect())
}

/// The next round of a conference after a round: `remaining` are the seeds still in (the
/// byes and the winners), reseeded: best against worst.
pub fn next_round(mut remaining: Vec<usize>) -> Vec<Pairing> {
    remaining.sort_unstable();
    pair(remaining)
}

fn pair(seeds: Vec<usize>) -> Vec<Pairing> {
    let n = seeds.len();
    (0..n / 2)
        .map(|i| Pairing {
            home: seeds[i],
            away: seeds[n - 1 - i],
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_format_pairs_best_against_worst_and_reseeds() {
        let p = |v: &[(usize, usize)]| {
            v.iter()
                .map(|&(home, away)| Pairing { home, away })
                .collect::<Vec<_>>()
        };
        // (teams, byes, first round)
        let cases = [
            (4, 0, p(&[(1, 4), (2, 3)])),
            (5, 3, p(&[(4, 5)])),
            (6, 2, p(&[(3, 6), (4, 5)])),
            (7, 1, p(&[(2, 7), (3, 6), (4, 5)])),
            (8, 0, p(&[(1, 8), (2, 7), (3, 6), (4, 5)])),
        ];
        for (teams, byes, want) in cases {
            assert_eq!(first_round(teams, byes), want, "{teams} teams, {byes} byes");
        }
        // 2020 on: the 7 seed wins, so the top seed hosts it; 2 hosts the other winner.
        assert_eq!(next_round(vec![1, 7, 3, 4]), p(&[(1, 7), (3, 4)]));
    }
}
