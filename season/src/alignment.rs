//! The league's alignment in time: each franchise's conference and division in every season
//! since the 1970 merger, and each season's playoff format. Facts, with their source: the
//! NFL's Record & Fact Book ("Chronology of Professional Football", realignments and
//! expansions) and each season's final standings as the league published them. Franchises
//! are named by the project's codes (`graph::teams::FRANCHISES`): `IND` is the Colts of
//! Baltimore too, `TEN` the Houston Oilers, `ARI` the St. Louis and Phoenix Cardinals, `LAR`
//! the Rams of Los Angeles and St. Louis, `LV` and `LAC` the Raiders and Chargers wherever they
//! played; `BAL` is the Ravens (1996 on), `HOU` the Texans (2002 on). Pure data and lookups.

/// A conference.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Conference {
    Afc,
    Nfc,
}

impl Conference {
    pub fn name(self) -> &'static str {
        match self {
            Conference::Afc => "AFC",
            Conference::Nfc => "NFC",
        }
    }
}

/// One division of one era: its conference, its name and its teams.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Division {
    pub conference: Conference,
    pub name: &'static str,
    pub teams: &'static [&'static str],
}

const fn div(
    conference: Conference,
    name: &'static str,
    teams: &'static [&'static str],
) -> Division {
    Division {
        conference,
        name,
        teams,
    }
}

use Conference::{Afc, Nfc};

// 1970–1975: the merger's alignment, 26 teams in six divisions (Record & Fact Book, 1970).
const ERA_1970: [Division; 6] = [
    div(Afc, "AFC East", &["IND", "BUF", "MIA", "NE", "NYJ"]),
    div(Afc, "AFC Central", &["CIN", "CLE", "TEN", "PIT"]),
    div(Afc, "AFC West", &["DEN", "KC", "LV", "LAC"]),
    div(Nfc, "NFC East", &["DAL", "NYG", "PHI", "ARI", "WSH"]),
    div(Nfc, "NFC Central", &["CHI", "DET", "GB", "MIN"]),
    div(Nfc, "NFC West", &["ATL", "LAR", "NO", "SF"]),
];

// 1976: the expansion Seahawks in the NFC West and Buccaneers in the AFC West, for one season.
const ERA_1976: [Division; 6] = [
    div(Afc, "AFC East", &["IND", "BUF", "MIA", "NE", "NYJ"]),
    div(Afc, "AFC Central", &["CIN", "CLE", "TEN", "PIT"]),
    div(Afc, "AFC West", &["DEN", "KC", "LV", "LAC", "TB"]),
    div(Nfc, "NFC East", &["DAL", "NYG", "PHI", "ARI", "WSH"]),
    div(Nfc, "NFC Central", &["CHI", "DET", "GB", "MIN"]),
    div(Nfc, "NFC West", &["ATL", "LAR", "NO", "SF", "SEA"]),
];

// 1977–1994: Seattle to the AFC West, Tampa Bay to the NFC Central (relocations of the
// Colts, Cardinals, Raiders and Rams kept their divisions).
const ERA_1977: [Division; 6] = [
    div(Afc, "AFC East", &["IND", "BUF", "MIA", "NE", "NYJ"]),
    div(Afc, "AFC Central", &["CIN", "CLE", "TEN", "PIT"]),
    div(Afc, "AFC West", &["DEN", "KC", "LV", "LAC", "SEA"]),
    div(Nfc, "NFC East", &["DAL", "NYG", "PHI", "ARI", "WSH"]),
    div(Nfc, "NFC Central", &["CHI", "DET", "GB", "MIN", "TB"]),
    div(Nfc, "NFC West", &["ATL", "LAR", "NO", "SF"]),
];

// 1995: the expansion Panthers (NFC West) and Jaguars (AFC Central).
const ERA_1995: [Division; 6] = [
    div(Afc, "AFC East", &["IND", "BUF", "MIA", "NE", "NYJ"]),
    div(Afc, "AFC Central", &["CIN", "CLE", "TEN", "PIT", "JAX"]),
    div(Afc, "AFC West", &["DEN", "KC", "LV", "LAC", "SEA"]),
    div(Nfc, "NFC East", &["DAL", "NYG", "PHI", "ARI", "WSH"]),
    div(Nfc, "NFC Central", &["CHI", "DET", "GB", "MIN", "TB"]),
    div(Nfc, "NFC West", &["ATL", "LAR", "NO", "SF", "CAR"]),
];

// 1996–1998: the Browns suspended; the Ravens (a new franchise in the records) in the AFC Central.
const ERA_1996: [Division; 6] = [
    div(Afc, "AFC East", &["IND", "BUF", "MIA", "NE", "NYJ"]),
    div(Afc, "AFC Central", &["BAL", "CIN", "TEN", "PIT", "JAX"]),
    div(Afc, "AFC West", &["DEN", "KC", "LV", "LAC", "SEA"]),
    div(Nfc, "NFC East", &["DAL", "NYG", "PHI", "ARI", "WSH"]),
    div(Nfc, "NFC Central", &["CHI", "DET", "GB", "MIN", "TB"]),
    div(Nfc, "NFC West", &["ATL", "LAR", "NO", "SF", "CAR"]),
];

// 1999–2001: the Browns back, in the AFC Central (six teams).
const ERA_1999: [Division; 6] = [
    div(Afc, "AFC East", &["IND", "BUF", "MIA", "NE", "NYJ"]),
    div(
        Afc,
        "AFC Central",
        &["BAL", "CIN", "CLE", "TEN", "PIT", "JAX"],
    ),
    div(Afc, "AFC West", &["DEN", "KC", "LV", "LAC", "SEA"]),
    div(Nfc, "NFC East", &["DAL", "NYG", "PHI", "ARI", "WSH"]),
    div(Nfc, "NFC Central", &["CHI", "DET", "GB", "MIN", "TB"]),
    div(Nfc, "NFC West", &["ATL", "LAR", "NO", "SF", "CAR"]),
];

// 2002 on: the Texans, and eight divisions of four (the realignment of 2002).
const ERA_2002: [Division; 8] = [
    div(Afc, "AFC East", &["BUF", "MIA", "NE", "NYJ"]),
    div(Afc, "AFC North", &["BAL", "CIN", "CLE", "PIT"]),
    div(Afc, "AFC South", &["HOU", "IND", "JAX", "TEN"]),
    div(Afc, "AFC West", &["DEN", "KC", "LV", "LAC"]),
    div(Nfc, "NFC East", &["DAL", "NYG", "PHI", "WSH"]),
    div(Nfc, "NFC North", &["CHI", "DET", "GB", "MIN"]),
    div(Nfc, "NFC South", &["ATL", "CAR", "NO", "TB"]),
    div(Nfc, "NFC West", &["ARI", "LAR", "SF", "SEA"]),
];

/// The first season this module knows (the merger).
pub const FIRST_SEASON: i32 = 1970;

/// The divisions of `season`, or `None` before 1970.
pub fn divisions(season: i32) -> Option<&'static [Division]> {
    Some(match season {
        ..=1969 => return None,
        1970..=1975 => &ERA_1970,
        1976 => &ERA_1976,
        1977..=1994 => &ERA_1977,
        1995 => &ERA_1995,
        1996..=1998 => &ERA_1996,
        1999..=2001 => &ERA_1999,
        _ => &ERA_2002,
    })
}

/// The division of `team` in `season`.
pub fn division_of(season: i32, team: &str) -> Option<&'static Division> {
    divisions(season)?.iter().find(|d| d.teams.contains(&team))
}

/// Every team of `season`.
pub fn teams(season: i32) -> Vec<&'static str> {
    divisions(season)
        .into_iter()
        .flatten()
        .flat_map(|d| d.teams.iter().copied())
        .collect()
}

/// How a season's playoff field is made, per conference.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlayoffFormat {
    /// Teams per conference.
    pub teams: usize,
    /// Division winners among them (0: seeded without divisions, 1982).
    pub division_winners: usize,
    /// Seeds that skip the first round.
    pub byes: usize,
}

/// The playoff format of `season` (Record & Fact Book, "Playoff format" by era).
pub fn playoff_format(season: i32) -> Option<PlayoffFormat> {
    let f = |teams, division_winners, byes| PlayoffFormat {
        teams,
        division_winners,
        byes,
    };
    Some(match season {
        ..=1969 => return None,
        // Three division winners and one wild card; no byes.
        1970..=1977 => f(4, 3, 0),
        // The strike season: eight per conference, seeded by record, divisions set aside.
        1982 => f(8, 0, 0),
        // Two wild cards: the top three seeds skip the wild-card game.
        1978..=1989 => f(5, 3, 3),
        // Three wild cards: the top two seeds have a bye.
        1990..=2001 => f(6, 3, 2),
        // Four division winners and two wild cards; two byes.
        2002..=2019 => f(6, 4, 2),
        // Three wild cards; only the top seed has a bye.
        _ => f(7, 4, 1),
    })
}

/// Ties counted as half a win and half a loss in the winning percentage (from 1972; before,
/// a tie was left out of it).
pub fn ties_count_half(season: i32) -> bool {
    season >= 1972
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn every_season_has_each_of_its_teams_in_exactly_one_division() {
        for season in FIRST_SEASON..=2030 {
            let mut seen: HashMap<&str, usize> = HashMap::new();
            for d in divisions(season).unwrap() {
                assert!(
                    d.name.starts_with(d.conference.name()),
                    "{season} {}",
                    d.name
                );
                for t in d.teams {
                    *seen.entry(t).or_default() += 1;
                    assert!(
                        graph::teams::FRANCHISES.iter().any(|f| f.0 == *t),
                        "{season}: {t} is no franchise code"
                    );
                }
            }
            assert!(seen.values().all(|n| *n == 1), "{season}: {seen:?}");
            let n = seen.len();
            let want = match season {
                1970..=1975 => 26,
                1976..=1994 => 28,
                1995..=1998 => 30,
                1999..=2001 => 31,
                _ => 32,
            };
            assert_eq!(n, want, "{season}");
            // Both conferences have the same number of teams, but in 1999–2001 (31).
            let afc = teams(season)
                .iter()
                .filter(|t| division_of(season, t).unwrap().conference == Afc)
                .count();
            if n.is_multiple_of(2) {
                assert_eq!(afc * 2, n, "{season}");
            }
        }
        assert!(divisions(1969).is_none());
    }

    #[test]
    fn the_alignment_has_every_team_that_played_a_regular_season_game() {
        // The bundled file: every team in a regular-season game of 1970–2018 is in that
        // season's alignment, and every team of the alignment played.
        let batch = graph::import::parse(&include_bytes!("../../data/nfl_games.csv")[..]).unwrap();
        let mut played: HashMap<i32, std::collections::BTreeSet<String>> = HashMap::new();
        for g in batch
            .games
            .iter()
            .filter(|g| !g.playoff && g.season.get() >= 1970)
        {
            let e = played.entry(g.season.get()).or_default();
            e.insert(g.home_team.to_string());
            e.insert(g.away_team.to_string());
        }
        for (season, teams_played) in played {
            let aligned: std::collections::BTreeSet<String> =
                teams(season).into_iter().map(String::from).collect();
            assert_eq!(teams_played, aligned, "{season}");
        }
    }

    #[test]
    fn each_era_has_its_playoff_format() {
        // (season, teams per conference, division winners, byes)
        let cases = [
            (1975, 4, 3, 0),
            (1978, 5, 3, 3),
            (1982, 8, 0, 0),
            (1989, 5, 3, 3),
            (1990, 6, 3, 2),
            (2001, 6, 3, 2),
            (2002, 6, 4, 2),
            (2019, 6, 4, 2),
            (2020, 7, 4, 1),
        ];
        for (season, teams, winners, byes) in cases {
            assert_eq!(
                playoff_format(season),
                Some(PlayoffFormat {
                    teams,
                    division_winners: winners,
                    byes
                }),
                "{season}"
            );
        }
        assert!(!ties_count_half(1971) && ties_count_half(1972));
    }
}
