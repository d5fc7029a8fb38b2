//! The 32 current franchises with their real division and conference, the aliases that map
//! historical and alternative codes to them, and the defunct clubs of the early league.

/// (id, name, conference, division)
pub const FRANCHISES: [(&str, &str, &str, &str); 32] = [
    ("BUF", "Buffalo Bills", "AFC", "AFC East"),
    ("MIA", "Miami Dolphins", "AFC", "AFC East"),
    ("NE", "New England Patriots", "AFC", "AFC East"),
    ("NYJ", "New York Jets", "AFC", "AFC East"),
    ("BAL", "Baltimore Ravens", "AFC", "AFC North"),
    ("CIN", "Cincinnati Bengals", "AFC", "AFC North"),
    ("CLE", "Cleveland Browns", "AFC", "AFC North"),
    ("PIT", "Pittsburgh Steelers", "AFC", "AFC North"),
    ("HOU", "Houston Texans", "AFC", "AFC South"),
    ("IND", "Indianapolis Colts", "AFC", "AFC South"),
    ("JAX", "Jacksonville Jaguars", "AFC", "AFC South"),
    ("TEN", "Tennessee Titans", "AFC", "AFC South"),
    ("DEN", "Denver Broncos", "AFC", "AFC West"),
    ("KC", "Kansas City Chiefs", "AFC", "AFC West"),
    ("LV", "Las Vegas Raiders", "AFC", "AFC West"),
    ("LAC", "Los Angeles Chargers", "AFC", "AFC West"),
    ("DAL", "Dallas Cowboys", "NFC", "NFC East"),
    ("NYG", "New York Giants", "NFC", "NFC East"),
    ("PHI", "Philadelphia Eagles", "NFC", "NFC East"),
    ("WSH", "Washington Commanders", "NFC", "NFC East"),
    ("CHI", "Chicago Bears", "NFC", "NFC North"),
    ("DET", "Detroit Lions", "NFC", "NFC North"),
    ("GB", "Green Bay Packers", "NFC", "NFC North"),
    ("MIN", "Minnesota Vikings", "NFC", "NFC North"),
    ("ATL", "Atlanta Falcons", "NFC", "NFC South"),
    ("CAR", "Carolina Panthers", "NFC", "NFC South"),
    ("NO", "New Orleans Saints", "NFC", "NFC South"),
    ("TB", "Tampa Bay Buccaneers", "NFC", "NFC South"),
    ("ARI", "Arizona Cardinals", "NFC", "NFC West"),
    ("LAR", "Los Angeles Rams", "NFC", "NFC West"),
    ("SF", "San Francisco 49ers", "NFC", "NFC West"),
    ("SEA", "Seattle Seahawks", "NFC", "NFC West"),
];

/// Codes used by data sources for a current franchise under an older or alternative name.
pub const ALIASES: [(&str, &str); 22] = [
    ("OAK", "LV"),
    ("RAI", "LV"),
    ("LVR", "LV"),
    ("SD", "LAC"),
    ("SDG", "LAC"),
    ("STL", "LAR"),
    ("RAM", "LAR"),
    ("LA", "LAR"),
    ("WAS", "WSH"),
    ("JAC", "JAX"),
    ("ARZ", "ARI"),
    ("PHO", "ARI"),
    ("GNB", "GB"),
    ("KAN", "KC"),
    ("NWE", "NE"),
    ("NOR", "NO"),
    ("SFO", "SF"),
    ("TAM", "TB"),
    ("CRD", "ARI"),
    ("CLT", "IND"),
    ("HTX", "HOU"),
    ("OTI", "TEN"),
];

/// Full names a franchise played under since 1966 (as named in games files that spell teams
/// out), besides the current names in [`FRANCHISES`].
pub const FORMER_NAMES: [(&str, &str); 12] = [
    ("Baltimore Colts", "IND"),
    ("Boston Patriots", "NE"),
    ("Houston Oilers", "TEN"),
    ("Tennessee Oilers", "TEN"),
    ("St. Louis Cardinals", "ARI"),
    ("Phoenix Cardinals", "ARI"),
    ("Oakland Raiders", "LV"),
    ("Los Angeles Raiders", "LV"),
    ("San Diego Chargers", "LAC"),
    ("St. Louis Rams", "LAR"),
    ("Washington Redskins", "WSH"),
    ("Washington Football Team", "WSH"),
];

/// Defunct clubs of the early league as coded in the bundled file: inactive teams.
pub const HISTORICAL: [&str; 92] = [
    "ABU", "AKR", "ATN", "BBA", "BCL", "BDA", "BFF", "BKN", "BRL", "BYK", "CBD", "CCL", "CHB",
    "CHL", "CHT", "CIB", "CLI", "CLP", "CNC", "COL", "CRA", "CRP", "CST", "CTI", "CWP", "DAY",
    "DHR", "DPN", "DTI", "DTM", "DTX", "DUL", "DWL", "ECG", "ELY", "FTP", "FTW", "FYJ", "GAR",
    "GUN", "HAM", "HRT", "KCB", "KEN", "KEW", "LAB", "LAN", "LDA", "LOG", "LOU", "MCK", "MIL",
    "MNM", "MNN", "MSA", "MUN", "MUT", "NAA", "NG1", "NYA", "NYY", "OOR", "PRV", "PTB", "PTQ",
    "PUL", "RAC", "RCH", "RCK", "RED", "RIC", "RII", "ROS", "SEN", "SIS", "SLA", "STG", "STP",
    "SYR", "THO", "TLM", "TOL", "TON", "TOR", "UAP", "UTI", "WBU", "WGC", "WHE", "WJA", "ZAN",
    "BOS",
];

/// How a code from a games file resolves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resolved<'a> {
    /// A current franchise (possibly through an alias).
    Franchise(&'static str),
    /// A known defunct club.
    Historical(&'a str),
    /// A code nobody taught us: kept as an inactive team and counted.
    Unrecognised(&'a str),
}

impl<'a> Resolved<'a> {
    pub fn id(&self) -> &str {
        match self {
            Resolved::Franchise(s) => s,
            Resolved::Historical(s) | Resolved::Unrecognised(s) => s,
        }
    }
}

pub fn resolve(code: &str) -> Resolved<'_> {
    if let Some(f) = FRANCHISES.iter().find(|f| f.0 == code) {
        return Resolved::Franchise(f.0);
    }
    if let Some(a) = ALIASES.iter().find(|a| a.0 == code) {
        return Resolved::Franchise(a.1);
    }
    if HISTORICAL.contains(&code) {
        return Resolved::Historical(code);
    }
    Resolved::Unrecognised(code)
}

/// The franchise a full team name (current or former) belongs to.
pub fn resolve_name(name: &str) -> Option<&'static str> {
    FRANCHISES
        .iter()
        .find(|f| f.1 == name)
        .map(|f| f.0)
        .or_else(|| FORMER_NAMES.iter().find(|n| n.0 == name).map(|n| n.1))
}

/// Division of a current franchise.
pub fn division(id: &str) -> Option<&'static str> {
    FRANCHISES.iter().find(|f| f.0 == id).map(|f| f.3)
}

/// True when both teams are current franchises in the same division.
pub fn same_division(a: &str, b: &str) -> bool {
    matches!((division(a), division(b)), (Some(x), Some(y)) if x == y)
}

/// Historical codes that map onto franchise `id`.
pub fn aliases_of(id: &str) -> Vec<String> {
    ALIASES
        .iter()
        .filter(|a| a.1 == id)
        .map(|a| a.0.to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn there_are_32_franchises_eight_divisions_of_four() {
        let mut divisions = std::collections::HashMap::new();
        for f in FRANCHISES {
            *divisions.entry(f.3).or_insert(0) += 1;
        }
        assert_eq!(divisions.len(), 8);
        assert!(divisions.values().all(|&n| n == 4));
    }

    #[test]
    fn historical_codes_resolve_to_franchises_or_inactive_clubs() {
        let cases = [
            ("OAK", Resolved::Franchise("LV")),
            ("SD", Resolved::Franchise("LAC")),
            ("STL", Resolved::Franchise("LAR")),
            ("WSH", Resolved::Franchise("WSH")),
            ("FYJ", Resolved::Historical("FYJ")),
            ("XYZ", Resolved::Unrecognised("XYZ")),
        ];
        for (code, want) in cases {
            assert_eq!(resolve(code), want, "{code}");
        }
    }

    #[test]
    fn current_and_former_names_resolve_to_their_franchise() {
        let cases = [
            ("Kansas City Chiefs", Some("KC")),
            ("Washington Redskins", Some("WSH")),
            ("Houston Oilers", Some("TEN")),
            ("Houston Texans", Some("HOU")),
            ("Baltimore Colts", Some("IND")),
            ("Baltimore Ravens", Some("BAL")),
            ("kansas city chiefs", None),
            ("KC", None),
        ];
        for (name, want) in cases {
            assert_eq!(resolve_name(name), want, "{name}");
        }
    }
}
