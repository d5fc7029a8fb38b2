//! Backup retention: everything from the last 24 hours, then the newest backup of each of the
//! 7 most recent days, and nothing older than 30 days.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, NaiveDate, Utc};

pub const DAILY: usize = 7;
pub const MAX_AGE_DAYS: i64 = 30;

/// Backup ids are their UTC creation time, `YYYYMMDDTHHMMSSZ`.
pub fn id_for(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

pub fn time_of(id: &str) -> Option<DateTime<Utc>> {
    chrono::NaiveDateTime::parse_from_str(id, "%Y%m%dT%H%M%SZ")
        .ok()
        .map(|t| t.and_utc())
}

/// The ids to delete. Ids that are not backup times are left alone.
pub fn expired(ids: &[String], now: DateTime<Utc>) -> Vec<String> {
    let mut dated: Vec<(DateTime<Utc>, &String)> = ids
        .iter()
        .filter_map(|i| time_of(i).map(|t| (t, i)))
        .collect();
    dated.sort();
    dated.reverse();
    let mut days: BTreeSet<NaiveDate> = BTreeSet::new();
    let mut keep: BTreeSet<&String> = BTreeSet::new();
    for (t, id) in &dated {
        let age = now - *t;
        if age > Duration::days(MAX_AGE_DAYS) {
            continue;
        }
        if age <= Duration::hours(24) {
            keep.insert(id);
        }
        let day = t.date_naive();
        if !days.contains(&day) && days.len() < DAILY {
            days.insert(day);
            keep.insert(id);
        }
    }
    dated
        .into_iter()
        .filter(|(_, id)| !keep.contains(id))
        .map(|(_, id)| id.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        time_of(s).expect("test id")
    }

    #[test]
    fn retention_keeps_the_last_day_then_one_per_day_for_seven_days_and_nothing_past_thirty() {
        let now = at("20261123T120000Z");
        // (backups, expected deletions)
        let cases: Vec<(Vec<&str>, Vec<&str>)> = vec![
            (vec![], vec![]),
            // Several today: all kept.
            (
                vec!["20261123T010000Z", "20261123T020000Z", "20261123T110000Z"],
                vec![],
            ),
            // Older than 24 h, same day twice: the newer of that day stays.
            (
                vec!["20261120T010000Z", "20261120T180000Z"],
                vec!["20261120T010000Z"],
            ),
            // Ten distinct days: the three oldest go.
            (
                (14..=23)
                    .map(|d| Box::leak(format!("202611{d:02}T000000Z").into_boxed_str()) as &str)
                    .collect(),
                vec!["20261116T000000Z", "20261115T000000Z", "20261114T000000Z"],
            ),
            // Past thirty days: gone even when it is the only one.
            (vec!["20261020T000000Z"], vec!["20261020T000000Z"]),
            // Not a backup id: untouched.
            (vec!["notes"], vec![]),
        ];
        for (ids, want) in cases {
            let ids: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
            let mut got = expired(&ids, now);
            got.sort();
            let mut want: Vec<String> = want.iter().map(|s| s.to_string()).collect();
            want.sort();
            assert_eq!(got, want, "backups {ids:?}");
        }
    }

    #[test]
    fn backup_ids_round_trip_through_their_time() {
        let t = at("20261123T142501Z");
        assert_eq!(id_for(t), "20261123T142501Z");
        assert!(time_of("2026-11-23").is_none());
    }
}
