//! How much the clinch proofs decide: before weeks 15, 16 and 17 of 2002–2018, the teams proven
//! in or out of the playoffs (and their division) and those left undecided, beside the teams
//! that look decided in 2,000 random completions of the rest of the season (coin-flip winners,
//! random scores, no ties): a team in every sampled completion "looks clinched", in none
//! "looks eliminated". What looks decided but is not proven is left undecided (a sample cannot
//! prove it either; a tie or a tie-breaker past the results may still move it).
//! `cargo run --release -p season --example clinch_report`

use season::clinch::{statuses, Proof};
use season::league::{members, League, Table};
use season::rank::Ranker;

fn main() {
    let games: Vec<graph::Game> =
        graph::import::parse(&include_bytes!("../../data/nfl_games.csv")[..])
            .expect("the bundled file parses")
            .games;
    let mut rng: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move |n: u64| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng % n
    };
    println!("| before week | team-weeks | playoffs: proven in / looks in | proven out / looks out | undecided | division: proven won / looks won | proven lost / looks lost | undecided | time to prove (all seasons) |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for week in [14u8, 15, 16] {
        let mut n = 0;
        let mut c = [0usize; 8];
        let mut open = [0usize; 2];
        let mut spent = std::time::Duration::ZERO;
        for season in 2002..=2018 {
            let league = League::new(season).expect("aligned");
            let Some(cut) = games
                .iter()
                .filter(|g| g.season.get() == season && !g.playoff && g.week.get() == week)
                .map(|g| g.date)
                .max()
            else {
                continue;
            };
            let table = Table::from_games(&league, &games, Some(cut)).expect("aligned");
            let remaining: Vec<(usize, usize)> = games
                .iter()
                .filter(|g| g.season.get() == season && !g.playoff && g.date > cut)
                .map(|g| league.sides(g).expect("aligned"))
                .collect();
            let started = std::time::Instant::now();
            let proofs = statuses(&league, &table, &remaining);
            spent += started.elapsed();
            let teams = league.teams.len();
            let (mut ins, mut divs) = (vec![0u32; teams], vec![0u32; teams]);
            let samples = 2000;
            for round in 0..samples {
                let mut t = table.clone();
                for &(h, a) in &remaining {
                    let (hs, as_) = if next(2) == 0 {
                        (24, 17 + next(6) as u16)
                    } else {
                        (17 + next(6) as u16, 24)
                    };
                    t.add(&league, h, a, hs, as_);
                }
                for s in Ranker::new(&league, &t, round).seedings() {
                    for &x in s.seeds() {
                        ins[usize::from(x)] += 1;
                    }
                    for x in members(s.division_winners) {
                        divs[x] += 1;
                    }
                }
            }
            for t in 0..teams {
                n += 1;
                let p = &proofs[t];
                c[0] += usize::from(p.playoffs == Proof::Clinched);
                c[1] += usize::from(ins[t] == samples as u32);
                c[2] += usize::from(p.playoffs == Proof::Eliminated);
                c[3] += usize::from(ins[t] == 0);
                c[4] += usize::from(p.division == Proof::Clinched);
                c[5] += usize::from(divs[t] == samples as u32);
                c[6] += usize::from(p.division == Proof::Eliminated);
                c[7] += usize::from(divs[t] == 0);
                open[0] += usize::from(p.playoffs == Proof::Undecided);
                open[1] += usize::from(p.division == Proof::Undecided);
            }
        }
        println!(
            "| {} | {n} | {} / {} | {} / {} | {} | {} / {} | {} / {} | {} | {:.0} ms |",
            week + 1,
            c[0],
            c[1],
            c[2],
            c[3],
            open[0],
            c[4],
            c[5],
            c[6],
            c[7],
            open[1],
            spent.as_secs_f64() * 1e3
        );
    }
}
