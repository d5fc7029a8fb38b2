//! A season's standings and seeds over HTTP: the real 2018 field, a date that cuts the
//! table, the same answer from the cache, and bad input named by its field.

use crate::helpers::{assert_problem, spawn_app};

#[tokio::test]
async fn the_2018_standings_give_the_real_seeds_and_name_each_tie_breaking_step() {
    let app = spawn_app().await;
    let (s, t) = app.get_json("/api/v1/seasons/2018/standings").await;
    assert_eq!(s, 200, "{t}");
    let seeds = |c: usize| -> Vec<String> {
        t["conferences"][c]["seeds"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(seeds(0), ["KC", "NE", "HOU", "BAL", "LAC", "IND"]);
    assert_eq!(seeds(1), ["NO", "LAR", "CHI", "DAL", "SEA", "PHI"]);
    assert_eq!(t["conferences"][0]["byes"], serde_json::json!(["KC", "NE"]));
    // The real wild-card games of January 2019: HOU hosted IND, BAL hosted LAC.
    assert_eq!(
        t["conferences"][0]["first_round"],
        serde_json::json!([["HOU", "IND"], ["BAL", "LAC"]])
    );
    assert_eq!(t["games"], 256);
    assert_eq!(t["divisions"].as_array().unwrap().len(), 8);
    // KC and LAC, both 12-4: the division record decided.
    let ties = t["conferences"][0]["ties"].as_array().unwrap();
    assert!(
        ties.iter()
            .any(|x| x["first"] == "KC" && x["step"] == "division record"),
        "{ties:?}"
    );
    let west = &t["divisions"][3];
    assert_eq!(west["name"], "AFC West");
    assert_eq!(west["teams"][0]["team"], "KC");
    assert_eq!(west["teams"][0]["record"], serde_json::json!([12, 4, 0]));
    // Asked again: the same body (from the cache under the history generation).
    let (_, again) = app.get_json("/api/v1/seasons/2018/standings").await;
    assert_eq!(again, t);
    // Through week 1: one game each at most.
    let (s, w1) = app
        .get_json("/api/v1/seasons/2018/standings?through=2018-09-10")
        .await;
    assert_eq!(s, 200);
    assert_eq!(w1["games"], 16);
}

#[tokio::test]
async fn bad_seasons_and_dates_are_refused_with_the_field() {
    let app = spawn_app().await;
    // (path, field)
    let cases = [
        ("/api/v1/seasons/1969/standings", "season"),
        ("/api/v1/seasons/2030/standings", "season"),
        ("/api/v1/seasons/abc/standings", "season"),
        (
            "/api/v1/seasons/2018/standings?through=2018-08-01",
            "through",
        ),
        (
            "/api/v1/seasons/2018/standings?through=yesterday",
            "through",
        ),
    ];
    for (path, field) in cases {
        let body = assert_problem(app.get(path).await, 422, "invalid_parameter").await;
        assert_eq!(body["field"], field, "{path}: {body}");
    }
}
