//! What-if, the games that matter and the rooting guide over HTTP, read against 2018's last
//! week: Indianapolis won at Tennessee to take the last wild card; Pittsburgh beat Cincinnati
//! but needed Cleveland to win at Baltimore (it did not); Philadelphia needed to win at
//! Washington and Chicago to win at Minnesota (both happened).

use serde_json::{json, Value};

use crate::helpers::{assert_problem, spawn_app};

const WEEK_17: &str = "through=2018-12-24&sims=4000";

fn playoffs(odds: &Value, code: &str) -> f64 {
    odds["teams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["team"] == code)
        .unwrap_or_else(|| panic!("no {code}"))["playoffs"]
        .as_f64()
        .unwrap()
}

#[tokio::test]
async fn fixing_a_result_moves_the_odds_its_way_and_is_named_in_the_run() {
    let app = spawn_app().await;
    let (s, plain) = app
        .get_json(&format!("/api/v1/seasons/2018/odds?{WEEK_17}"))
        .await;
    assert_eq!(s, 200, "{plain}");
    let body = json!({"through": "2018-12-24", "sims": 4000,
        "fix": [{"game": "TEN_IND_2018_W17", "winner": "IND"}]});
    let (s, fixed) = app.post_json("/api/v1/seasons/2018/odds", &body).await;
    assert_eq!(s, 200, "{fixed}");
    assert_eq!(fixed["run"]["fixed"], json!(["TEN_IND_2018_W17=IND"]));
    assert!(
        fixed["teams"][0].get("proven").is_none(),
        "a winner without a score proves nothing"
    );
    assert_ne!(fixed["run"]["id"], plain["run"]["id"]);
    assert!(playoffs(&fixed, "IND") > playoffs(&plain, "IND") + 0.2);
    assert!(playoffs(&fixed, "TEN") < playoffs(&plain, "TEN") - 0.2);
    // The same question again: the same run from the cache.
    let (_, again) = app.post_json("/api/v1/seasons/2018/odds", &body).await;
    assert_eq!(again, fixed);
    // The score as it was (17-33) and the winner as "away" say the same for the field.
    let (_, scored) = app
        .post_json(
            "/api/v1/seasons/2018/odds",
            &json!({"through": "2018-12-24", "sims": 4000,
                "fix": [{"game": "TEN_IND_2018_W17", "home_score": 17, "away_score": 33}]}),
        )
        .await;
    assert_eq!(scored["run"]["fixed"], json!(["TEN_IND_2018_W17=17-33"]));
    assert!((playoffs(&scored, "IND") - playoffs(&fixed, "IND")).abs() < 0.05);
    // Every real week-17 result fixed: the real field, certainly.
    let all: Vec<Value> = [
        ("BUF_MIA_2018_W17", 42, 17),
        ("NE_NYJ_2018_W17", 38, 3),
        ("GB_DET_2018_W17", 0, 31),
        ("HOU_JAX_2018_W17", 20, 3),
        ("TB_ATL_2018_W17", 32, 34),
        ("NYG_DAL_2018_W17", 35, 36),
        ("NO_CAR_2018_W17", 14, 33),
        ("WSH_PHI_2018_W17", 0, 24),
        ("SEA_ARI_2018_W17", 27, 24),
        ("LAR_SF_2018_W17", 48, 32),
        ("KC_LV_2018_W17", 35, 3),
        ("DEN_LAC_2018_W17", 9, 23),
        ("MIN_CHI_2018_W17", 10, 24),
        ("BAL_CLE_2018_W17", 26, 24),
        ("PIT_CIN_2018_W17", 16, 13),
        ("TEN_IND_2018_W17", 17, 33),
    ]
    .iter()
    .map(|(g, h, a)| json!({"game": g, "home_score": h, "away_score": a}))
    .collect();
    let (s, real) = app
        .post_json(
            "/api/v1/seasons/2018/odds",
            &json!({"through": "2018-12-24", "sims": 300, "fix": all}),
        )
        .await;
    assert_eq!(s, 200, "{real}");
    for (code, p) in [
        ("IND", 1.0),
        ("PHI", 1.0),
        ("BAL", 1.0),
        ("PIT", 0.0),
        ("TEN", 0.0),
        ("MIN", 0.0),
    ] {
        assert_eq!(playoffs(&real, code), p, "{code}");
    }
    // Every score fixed: the season is settled, every place proven.
    for t in real["teams"].as_array().unwrap() {
        let want = if t["playoffs"].as_f64().unwrap() == 1.0 {
            "clinched"
        } else {
            "eliminated"
        };
        assert_eq!(t["proven"]["playoffs"], want, "{t}");
    }
}

#[tokio::test]
async fn bad_fixes_are_refused_naming_the_game() {
    let app = spawn_app().await;
    let fix = |f: Value| json!({"through": "2018-12-24", "sims": 200, "fix": f});
    // (case, fixes)
    let cases = [
        (
            "a game played by then",
            json!([{"game": "PHI_ATL_2018_W1", "winner": "PHI"}]),
        ),
        (
            "no such game",
            json!([{"game": "KC_BUF_2018_W17", "winner": "KC"}]),
        ),
        (
            "a winner not in it",
            json!([{"game": "TEN_IND_2018_W17", "winner": "KC"}]),
        ),
        (
            "a winner and a score",
            json!([{"game": "TEN_IND_2018_W17", "winner": "IND", "home_score": 1, "away_score": 2}]),
        ),
        ("no result", json!([{"game": "TEN_IND_2018_W17"}])),
        (
            "fixed twice",
            json!([{"game": "TEN_IND_2018_W17", "winner": "IND"}, {"game": "TEN_IND_2018_W17", "winner": "TEN"}]),
        ),
        (
            "a score out of range",
            json!([{"game": "TEN_IND_2018_W17", "home_score": 300, "away_score": 2}]),
        ),
        (
            "a playoff game",
            json!([{"game": "KC_IND_2018_W19", "winner": "KC"}]),
        ),
    ];
    for (case, f) in cases {
        let resp = app
            .client
            .post(app.url("/api/v1/seasons/2018/odds"))
            .json(&fix(f))
            .send()
            .await
            .unwrap();
        let body = assert_problem(resp, 422, "invalid_parameter").await;
        assert_eq!(body["field"], "fix", "{case}: {body}");
    }
}

#[tokio::test]
async fn week_17_of_2018_ranks_its_games_by_what_rides_on_them_and_guides_each_fan() {
    let app = spawn_app().await;
    let (s, lev) = app
        .get_json(&format!("/api/v1/seasons/2018/odds/leverage?{WEEK_17}"))
        .await;
    assert_eq!(s, 200, "{lev}");
    assert_eq!(lev["week"], 17);
    let games = lev["games"].as_array().unwrap();
    assert_eq!(games.len(), 16);
    let importance: Vec<f64> = games
        .iter()
        .map(|g| g["importance"].as_f64().unwrap())
        .collect();
    assert!(
        importance.windows(2).all(|w| w[0] >= w[1]),
        "most important first"
    );
    // Tennessee–Indianapolis was win-and-in for both: among the week's top three.
    let top3: Vec<&str> = games[..3]
        .iter()
        .map(|g| g["game"].as_str().unwrap())
        .collect();
    assert!(top3.contains(&"TEN_IND_2018_W17"), "{top3:?}");
    // Split by its result, the same simulations give the plain odds back (up to rare ties).
    let (_, plain) = app
        .get_json(&format!("/api/v1/seasons/2018/odds?{WEEK_17}"))
        .await;
    assert_eq!(plain["run"]["seed"], lev["run"]["seed"]);
    // Proven over every outcome, and the simulations agree with every proof.
    let proven = |code: &str| {
        plain["teams"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["team"] == code)
            .unwrap()["proven"]
            .clone()
    };
    assert_eq!(proven("KC")["playoffs"], "clinched");
    assert_eq!(proven("LV")["playoffs"], "eliminated");
    assert!(
        proven("LV").get("why").is_none(),
        "a decided place needs no reason"
    );
    // Minnesota's place was open until the last game: undecided, with the reason.
    assert_eq!(proven("MIN")["playoffs"], "undecided");
    assert!(
        proven("MIN")["why"]
            .as_str()
            .unwrap()
            .contains("remaining games"),
        "{}",
        proven("MIN")
    );
    assert_eq!(proven("NO")["division"], "clinched");
    // New Orleans held the top seed over the Rams by head-to-head, whatever week 17 brought:
    // the bounds alone cannot see it, the search over the last week's outcomes proves it.
    assert_eq!(proven("NO")["top_seed"], "clinched");
    for t in plain["teams"].as_array().unwrap() {
        let p = t["playoffs"].as_f64().unwrap();
        match t["proven"]["playoffs"].as_str().unwrap() {
            "clinched" => assert_eq!(p, 1.0, "{t}"),
            "eliminated" => assert_eq!(p, 0.0, "{t}"),
            _ => {}
        }
    }
    let ten_ind = games
        .iter()
        .find(|g| g["game"] == "TEN_IND_2018_W17")
        .unwrap();
    let home = ten_ind["home_wins"].as_f64().unwrap();
    for s in ten_ind["teams"].as_array().unwrap() {
        let p = &s["playoffs"];
        let mixed = home * p[0].as_f64().unwrap() + (1.0 - home) * p[1].as_f64().unwrap();
        let code = s["team"].as_str().unwrap();
        assert!(
            (mixed - playoffs(&plain, code)).abs() < 0.01,
            "{code}: {mixed}"
        );
    }

    // (team, game, the side to root for) as the week turned out to matter.
    let cases = [
        ("PIT", "PIT_CIN_2018_W17", "PIT"),
        ("PIT", "BAL_CLE_2018_W17", "CLE"),
        ("PHI", "WSH_PHI_2018_W17", "PHI"),
        ("PHI", "MIN_CHI_2018_W17", "CHI"),
        ("TEN", "TEN_IND_2018_W17", "TEN"),
    ];
    for (team, game, side) in cases {
        let (s, guide) = app
            .get_json(&format!(
                "/api/v1/teams/{team}/rooting?season=2018&{WEEK_17}"
            ))
            .await;
        assert_eq!(s, 200, "{guide}");
        assert_eq!(
            guide["run"], lev["run"]["id"],
            "the guide reads the week's run"
        );
        let g = guide["games"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["game"] == game)
            .unwrap_or_else(|| panic!("{team}: no {game} in {guide}"));
        assert_eq!(g["root_for"], side, "{team} in {game}");
        assert_eq!(g["own_game"], game.contains(team), "{team} in {game}");
        assert!(
            guide["games"].as_array().unwrap().len() <= 6,
            "{team}: only the games that move its odds beyond noise: {guide}"
        );
    }
    // (path, field)
    for (path, field) in [
        ("/api/v1/teams/PIT/rooting", "season"),
        ("/api/v1/teams/HOU/rooting?season=1999", "team"),
        ("/api/v1/teams/PIT/rooting?season=2018&sims=5", "sims"),
    ] {
        let body = assert_problem(app.get(path).await, 422, "invalid_parameter").await;
        assert_eq!(body["field"], field, "{path}: {body}");
    }
}
