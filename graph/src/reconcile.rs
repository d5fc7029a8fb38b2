//! Recognising a feed's games among the stored ones, whatever the feed calls them. A feed
//! game is the stored game with its id; failing that, the stored game that carries one of
//! its ids as an alias; failing that, the one stored game of the same season between the same
//! two teams, of the same kind (regular season or playoff), dated within six days of it —
//! whichever team the feed calls home at a neutral site, whatever week number it gives a game
//! moved out of its week. Two such candidates are ambiguous and reported with both; two
//! meetings of the same teams weeks apart, or a playoff rematch, are never merged. Then
//! [`merge`] says what a recognised game is once written (a final never taken back). Pure
//! but for the clock that dates a move: the service decides what to do with the result. May
//! call [`crate::domain`] only.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use serde::Serialize;

use crate::domain::{Game, GameId};

/// Days either side of a stored game's date within which a feed game of the same teams is
/// the same game (a week runs Tuesday to Monday: a game moved within its week, or to the
/// Tuesday after, stays within six days).
pub const SAME_GAME_DAYS: i64 = 6;

/// How a feed game was recognised.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchedBy {
    /// The feed's id is the stored game's id.
    Id,
    /// One of the feed's ids is an alias the stored game carries (from an earlier feed).
    Alias,
    /// Same season, same two teams, same kind of game, dates within [`SAME_GAME_DAYS`].
    TeamsAndDate,
}

/// One way the feed's record of a game differs from the stored one, and what was done.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Difference {
    /// `home_team`, `week`, `date` or `score`.
    pub field: &'static str,
    pub feed: String,
    pub stored: String,
    /// The rule applied.
    pub rule: &'static str,
}

/// A feed game recognised as a stored one.
#[derive(Clone, Debug, Serialize)]
pub struct Matched {
    /// The id the feed's row makes (its teams, season and week).
    pub feed_id: String,
    /// The stored game it is.
    pub game_id: GameId,
    pub by: MatchedBy,
    /// The feed's game as the stored one: the stored id, week and home designation (scores and
    /// details read from that side), the feed's date, score and details, every alias of both.
    #[serde(skip)]
    pub game: Game,
    pub differences: Vec<Difference>,
}

/// Two or more stored games a feed game could be.
#[derive(Clone, Debug, Serialize)]
pub struct Ambiguous {
    pub feed_id: String,
    pub candidates: Vec<String>,
}

/// What a feed's games are, against the stored games of the seasons it covers.
#[derive(Debug, Default)]
pub struct Reconciliation {
    pub matched: Vec<Matched>,
    /// Feed games that are no stored game.
    pub new: Vec<Game>,
    /// Stored games the feed does not list.
    pub unlisted: Vec<Game>,
    pub ambiguous: Vec<Ambiguous>,
}

impl Reconciliation {
    /// How many feed games were recognised each way.
    pub fn count(&self, by: MatchedBy) -> usize {
        self.matched.iter().filter(|m| m.by == by).count()
    }
}

/// Recognises each of `feed` among `stored` (see the module doc). Each stored game is
/// matched at most once; the passes run in order (ids, then aliases, then teams and date) so
/// a weaker match never takes a game a stronger one names.
pub fn reconcile(stored: &[Game], feed: &[Game]) -> Reconciliation {
    let by_id: HashMap<&str, usize> = stored
        .iter()
        .enumerate()
        .map(|(i, g)| (g.id.as_str(), i))
        .collect();
    let by_alias: HashMap<&str, usize> = stored
        .iter()
        .enumerate()
        .flat_map(|(i, g)| g.aliases.iter().map(move |a| (a.as_str(), i)))
        .collect();
    let mut taken: HashSet<usize> = HashSet::new();
    let mut found: Vec<Option<(usize, MatchedBy)>> = vec![None; feed.len()];
    for (f, g) in feed.iter().enumerate() {
        if let Some(&i) = by_id.get(g.id.as_str()) {
            // An id is a week number: another kind of game between the same teams can carry
            // it in another numbering (2001: the feed's week 18 is a playoff game, ours a
            // regular-season one), so the id alone is not enough.
            if compatible(&stored[i], g) && taken.insert(i) {
                found[f] = Some((i, MatchedBy::Id));
            }
        }
    }
    for (f, g) in feed.iter().enumerate() {
        if found[f].is_some() {
            continue;
        }
        let hit = std::iter::once(g.id.as_str())
            .chain(g.aliases.iter().map(String::as_str))
            .find_map(|a| {
                by_alias
                    .get(a)
                    .copied()
                    .filter(|i| !taken.contains(i) && compatible(&stored[*i], g))
            });
        if let Some(i) = hit {
            taken.insert(i);
            found[f] = Some((i, MatchedBy::Alias));
        }
    }
    // The stored games of each season and pair of teams, for the last pass.
    let mut fixtures: HashMap<(i32, &str, &str), Vec<usize>> = HashMap::new();
    for (i, s) in stored.iter().enumerate() {
        fixtures.entry(pair_key(s)).or_default().push(i);
    }
    let mut out = Reconciliation::default();
    for (f, g) in feed.iter().enumerate() {
        if found[f].is_some() {
            continue;
        }
        let candidates: Vec<usize> = fixtures
            .get(&pair_key(g))
            .into_iter()
            .flatten()
            .copied()
            .filter(|i| !taken.contains(i) && same_fixture(&stored[*i], g))
            .collect();
        match candidates.as_slice() {
            [] => {}
            [i] => {
                taken.insert(*i);
                found[f] = Some((*i, MatchedBy::TeamsAndDate));
            }
            many => out.ambiguous.push(Ambiguous {
                feed_id: g.id.to_string(),
                candidates: many.iter().map(|&i| stored[i].id.to_string()).collect(),
            }),
        }
    }
    let ambiguous: HashSet<&str> = out.ambiguous.iter().map(|a| a.feed_id.as_str()).collect();
    for (f, g) in feed.iter().enumerate() {
        match found[f] {
            Some((i, by)) => out.matched.push(as_stored(&stored[i], g, by)),
            None if !ambiguous.contains(g.id.as_str()) => out.new.push(g.clone()),
            None => {}
        }
    }
    out.unlisted = stored
        .iter()
        .enumerate()
        .filter(|(i, _)| !taken.contains(i))
        .map(|(_, g)| g.clone())
        .collect();
    out
}

/// A game's season and its two teams in a fixed order.
fn pair_key(g: &Game) -> (i32, &str, &str) {
    let (a, b) = (g.home_team.as_str(), g.away_team.as_str());
    (g.season.get(), a.min(b), a.max(b))
}

/// Same season, same two teams (either way round), same kind of game.
fn compatible(stored: &Game, feed: &Game) -> bool {
    pair_key(stored) == pair_key(feed) && stored.playoff == feed.playoff
}

/// Compatible, and dated within six days of each other.
fn same_fixture(stored: &Game, feed: &Game) -> bool {
    compatible(stored, feed) && days_apart(stored.date, feed.date) <= SAME_GAME_DAYS
}

fn days_apart(a: NaiveDate, b: NaiveDate) -> i64 {
    (a - b).num_days().abs()
}

/// The feed's game rewritten as the stored one it was recognised as.
fn as_stored(stored: &Game, feed: &Game, by: MatchedBy) -> Matched {
    let mut differences = Vec::new();
    let flipped = feed.home_team != stored.home_team;
    let mut game = feed.clone();
    if flipped {
        differences.push(Difference {
            field: "home_team",
            feed: feed.home_team.to_string(),
            stored: stored.home_team.to_string(),
            rule: "the stored home designation is kept; the feed's scores, lines and details are read from that side",
        });
        game.home_team = stored.home_team.clone();
        game.away_team = stored.away_team.clone();
        game.result = feed.result.map(|r| r.swapped());
        game.details = feed.details.as_ref().map(|d| d.flipped());
    }
    if feed.week != stored.week {
        differences.push(Difference {
            field: "week",
            feed: feed.week.get().to_string(),
            stored: stored.week.get().to_string(),
            rule: "the stored week is kept (a game keeps its id)",
        });
    }
    if feed.date != stored.date {
        differences.push(Difference {
            field: "date",
            feed: feed.date.to_string(),
            stored: stored.date.to_string(),
            rule: "the feed's date is taken: the game moved (forecasts made before read stale)",
        });
    }
    if let (Some(a), Some(b)) = (stored.result, game.result) {
        if a != b {
            differences.push(Difference {
                field: "score",
                feed: format!("{}-{}", b.home(), b.away()),
                stored: format!("{}-{}", a.home(), a.away()),
                rule: "a corrected final: applied only when corrections are accepted",
            });
        }
    }
    game.id = stored.id.clone();
    game.week = stored.week;
    game.neutral = stored.neutral || feed.neutral;
    let mut aliases = stored.aliases.clone();
    for a in std::iter::once(feed.id.to_string()).chain(feed.aliases.iter().cloned()) {
        if a != stored.id.as_str() && !aliases.contains(&a) {
            aliases.push(a);
        }
    }
    game.aliases = aliases;
    Matched {
        feed_id: feed.id.to_string(),
        game_id: stored.id.clone(),
        by,
        game,
        differences,
    }
}

/// A file's or feed's game `g` (rewritten as stored game `old`) as it is written: a final is
/// never taken back by a file without a score for it, the anchor and details are kept when
/// it has none, and a game moved to another date is marked so (its forecasts read stale).
pub fn merge(old: &Game, g: &Game) -> Game {
    let mut merged = g.clone();
    if g.result.is_none() {
        merged.result = old.result;
    }
    if merged.anchor_home_win_probability.is_none() {
        merged.anchor_home_win_probability = old.anchor_home_win_probability;
    }
    if merged.details.is_none() {
        merged.details.clone_from(&old.details);
    }
    merged.rescheduled_at = if old.date == merged.date {
        old.rescheduled_at
    } else {
        Some(chrono::Utc::now())
    };
    merged
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{GameDetails, Season, TeamId, Week};
    use crate::ids::FinalScore;

    fn game(home: &str, away: &str, season: i32, week: i64, date: &str) -> Game {
        let (h, a) = (TeamId::parse(home).unwrap(), TeamId::parse(away).unwrap());
        let (s, w) = (
            Season::parse(season.into()).unwrap(),
            Week::parse(week).unwrap(),
        );
        Game {
            id: GameId::new(&h, &a, s, w, 1),
            home_team: h,
            away_team: a,
            season: s,
            week: w,
            date: date.parse().unwrap(),
            neutral: false,
            playoff: false,
            result: None,
            anchor_home_win_probability: None,
            details: None,
            rescheduled_at: None,
            aliases: Vec::new(),
            cancelled_at: None,
        }
    }

    fn played(mut g: Game, home: i64, away: i64) -> Game {
        g.result = Some(FinalScore::parse(home, away).unwrap());
        g
    }

    #[test]
    fn each_feed_game_is_recognised_the_strongest_way_it_can_be() {
        // (case, stored, feed, expected: Some(how, stored id) or None for a new game)
        let mut aliased = game("KC", "DEN", 2020, 4, "2020-10-01");
        aliased.aliases = vec!["2020_04_DEN_KC".into()];
        let mut moved_feed = game("KC", "DEN", 2020, 7, "2020-10-25");
        moved_feed.aliases = vec!["2020_04_DEN_KC".into()];
        type Case<'a> = (&'a str, Game, Game, Option<(MatchedBy, &'a str)>);
        let cases: Vec<Case> = vec![
            (
                "same id",
                game("KC", "BUF", 2019, 3, "2019-09-22"),
                game("KC", "BUF", 2019, 3, "2019-09-22"),
                Some((MatchedBy::Id, "KC_BUF_2019_W3")),
            ),
            (
                "moved weeks away, known by the alias an earlier feed left",
                aliased,
                moved_feed,
                Some((MatchedBy::Alias, "KC_DEN_2020_W4")),
            ),
            (
                "postponed week renumbered (2001): same date, other week",
                game("NO", "SF", 2001, 18, "2002-01-06"),
                game("NO", "SF", 2001, 17, "2002-01-06"),
                Some((MatchedBy::TeamsAndDate, "NO_SF_2001_W18")),
            ),
            (
                "other home designation at a neutral site (2005 Saints)",
                game("NYG", "NO", 2005, 2, "2005-09-19"),
                game("NO", "NYG", 2005, 2, "2005-09-19"),
                Some((MatchedBy::TeamsAndDate, "NYG_NO_2005_W2")),
            ),
            (
                "moved to the Tuesday after in another week's numbering",
                game("MIN", "CHI", 2010, 15, "2010-12-19"),
                game("MIN", "CHI", 2010, 16, "2010-12-21"),
                Some((MatchedBy::TeamsAndDate, "MIN_CHI_2010_W15")),
            ),
            (
                "the same teams weeks apart are two games",
                game("GB", "CHI", 2018, 1, "2018-09-09"),
                game("CHI", "GB", 2018, 15, "2018-12-16"),
                None,
            ),
        ];
        for (case, stored, feed, want) in cases {
            let r = reconcile(std::slice::from_ref(&stored), std::slice::from_ref(&feed));
            match want {
                Some((by, id)) => {
                    assert_eq!(r.matched.len(), 1, "{case}");
                    assert_eq!(r.matched[0].by, by, "{case}");
                    assert_eq!(r.matched[0].game.id.as_str(), id, "{case}");
                    assert!(r.unlisted.is_empty() && r.new.is_empty(), "{case}");
                }
                None => {
                    assert!(r.matched.is_empty(), "{case}");
                    assert_eq!((r.new.len(), r.unlisted.len()), (1, 1), "{case}");
                }
            }
        }
    }

    #[test]
    fn a_flipped_home_designation_reads_scores_and_details_from_the_stored_side() {
        let stored = played(game("NYG", "NO", 2005, 2, "2005-09-19"), 27, 10);
        let mut feed = played(game("NO", "NYG", 2005, 2, "2005-09-19"), 10, 27);
        feed.details = Some(GameDetails {
            spread_line: Some(-3.0),
            home_qb_name: Some("Aaron Brooks".into()),
            away_qb_name: Some("Eli Manning".into()),
            home_rest_days: Some(8),
            away_rest_days: Some(7),
            ..GameDetails::default()
        });
        feed.aliases = vec!["2005_02_NYG_NO".into(), "200509190".into()];
        let r = reconcile(std::slice::from_ref(&stored), &[feed]);
        let m = &r.matched[0];
        assert_eq!(m.game.home_team.as_str(), "NYG");
        assert_eq!(m.game.result, stored.result, "27-10 for NYG, as stored");
        let d = m.game.details.as_ref().unwrap();
        assert_eq!(d.spread_line, Some(3.0));
        assert_eq!(d.home_qb_name.as_deref(), Some("Eli Manning"));
        assert_eq!((d.home_rest_days, d.away_rest_days), (Some(7), Some(8)));
        assert_eq!(
            m.game.aliases,
            vec!["NO_NYG_2005_W2", "2005_02_NYG_NO", "200509190"],
            "the feed's own id and its ids, every one an alias"
        );
        let fields: Vec<&str> = m.differences.iter().map(|d| d.field).collect();
        assert_eq!(fields, vec!["home_team"], "the same score is no difference");
    }

    #[test]
    fn two_candidates_are_ambiguous_and_neither_is_taken() {
        // Two stored meetings four days apart (never in the real schedule; a damaged store).
        let a = game("DAL", "WAS", 2012, 12, "2012-11-22");
        let mut b = game("WAS", "DAL", 2012, 12, "2012-11-26");
        b.id = GameId::parse("WAS_DAL_2012_W12_G2").unwrap();
        let feed = game("DAL", "WAS", 2012, 13, "2012-11-24");
        let r = reconcile(&[a, b], &[feed]);
        assert!(r.matched.is_empty() && r.new.is_empty());
        assert_eq!(r.ambiguous.len(), 1);
        assert_eq!(r.ambiguous[0].candidates.len(), 2);
        assert_eq!(r.unlisted.len(), 2);
    }

    #[test]
    fn an_id_that_another_numbering_gives_a_playoff_game_is_not_the_regular_season_game() {
        // 2001: the postponed week is our week 18 and the feed's 17; the wildcard rematch of
        // the same teams is our week 19 and the feed's 18, whose id is our regular game's.
        let mut reg = played(game("LV", "NYJ", 2001, 18, "2002-01-06"), 22, 24);
        let mut wc = played(game("LV", "NYJ", 2001, 19, "2002-01-12"), 38, 24);
        wc.playoff = true;
        let feed_reg = played(game("LV", "NYJ", 2001, 17, "2002-01-06"), 22, 24);
        let mut feed_wc = played(game("LV", "NYJ", 2001, 18, "2002-01-12"), 38, 24);
        feed_wc.playoff = true;
        reg.aliases.clear();
        let r = reconcile(&[reg, wc], &[feed_reg, feed_wc]);
        let got: Vec<(&str, &str)> = r
            .matched
            .iter()
            .map(|m| (m.feed_id.as_str(), m.game_id.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("LV_NYJ_2001_W17", "LV_NYJ_2001_W18"),
                ("LV_NYJ_2001_W18", "LV_NYJ_2001_W19")
            ]
        );
        assert!(r.new.is_empty() && r.unlisted.is_empty());
    }

    #[test]
    fn a_playoff_rematch_is_never_the_regular_season_game() {
        let reg = game("NE", "JAX", 2017, 17, "2017-12-31");
        let mut feed = game("NE", "JAX", 2017, 20, "2018-01-04"); // within six days
        feed.playoff = true;
        let r = reconcile(&[reg], &[feed]);
        assert!(r.matched.is_empty());
        assert_eq!((r.new.len(), r.unlisted.len()), (1, 1));
    }
}
