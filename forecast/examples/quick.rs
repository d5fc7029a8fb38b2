use forecast::*;
use std::collections::HashMap;
fn main() {
    let text = std::fs::read_to_string(std::env::args().nth(1).unwrap()).unwrap();
    let mut teams: HashMap<String, u16> = HashMap::new();
    let mut games = Vec::new();
    let mut anchor = Vec::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let n = teams.len() as u16;
        let h = *teams.entry(f[4].into()).or_insert(n);
        let n = teams.len() as u16;
        let a = *teams.entry(f[5].into()).or_insert(n);
        games.push(Played { matchup: Matchup { date: f[0].parse().unwrap(), season: f[1].parse().unwrap(), home: h, away: a, neutral: f[2]=="1", playoff: f[3]=="1", same_division: false }, home_score: f[9].parse().unwrap(), away_score: f[10].parse().unwrap() });
        anchor.push(f[8].parse::<f64>().unwrap());
    }
    let t = std::time::Instant::now();
    let mut e = Engine::new(teams.len()).recording();
    e.advance(games.clone()).unwrap();
    eprintln!("replay {:?}", t.elapsed());
    let from: i32 = std::env::args().nth(2).map(|s| s.parse().unwrap()).unwrap_or(2010);
    let recs: Vec<_> = e.records().iter().filter(|r| games[r.game as usize].matchup.season >= from).collect();
    for k in 0..15 {
        let s = forecast::metrics::score(&recs.iter().map(|r| (r.experts[k], r.result)).collect::<Vec<_>>());
        println!("{:20} brier {:.4} ll {:.4} acc {:.3} ece {:.3}", EXPERTS[k].id, s.brier, s.log_loss, s.accuracy, s.ece);
    }
    let s = forecast::metrics::score(&recs.iter().map(|r| (r.consensus, r.result)).collect::<Vec<_>>());
    println!("{:20} brier {:.4} ll {:.4} acc {:.3} ece {:.3}", "consensus", s.brier, s.log_loss, s.accuracy, s.ece);
    let s = forecast::metrics::score(&recs.iter().map(|r| (anchor[r.game as usize], r.result)).collect::<Vec<_>>());
    println!("{:20} brier {:.4} ll {:.4} acc {:.3} ece {:.3}", "538", s.brier, s.log_loss, s.accuracy, s.ece);
}
