//! Cached answers: compressed once for clients that accept gzip, revalidated with entity tags,
//! and dropped when a new forecast is made.

use std::io::Read;

use crate::helpers::spawn_app;

const GAME: &str = "/api/v1/games/NE_HOU_2017_W3/predictions";

fn gunzip(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(b)
        .read_to_end(&mut out)
        .expect("a valid gzip stream");
    out
}

#[tokio::test]
async fn a_cached_answer_is_sent_gzip_compressed_exactly_to_clients_that_accept_gzip() {
    let app = spawn_app().await;
    let (s, _) = app.post_empty(GAME).await;
    assert_eq!(s, 201);
    let plain = app.get(GAME).await.bytes().await.unwrap();
    let plain_json: serde_json::Value = serde_json::from_slice(&plain).unwrap();
    assert_eq!(plain_json["total"], 16);

    // (Accept-Encoding, gzip expected)
    let cases = [
        (None, false),
        (Some("gzip"), true),
        (Some("br, gzip;q=0.5"), true),
        (Some("GZIP"), true),
        (Some("*"), true),
        (Some("gzip;q=0"), false),
        (Some("gzip; q=0.0, identity"), false),
        (Some("identity"), false),
        (Some("deflate, br"), false),
        (Some("gzip;q=0, *"), false),
        (Some("*;q=0"), false),
        (Some("identity, *;q=0.1"), true),
    ];
    for (accept, gzip) in cases {
        // Twice: the first may compute the compressed variant, the second is served from cache.
        for round in 0..2 {
            let headers: Vec<(&str, &str)> =
                accept.map(|a| ("accept-encoding", a)).into_iter().collect();
            let r = app.get_with(GAME, &headers).await;
            assert_eq!(r.status(), 200, "{accept:?}");
            let vary = r.headers()["vary"].to_str().unwrap().to_string();
            assert!(vary.starts_with("Accept-Encoding"), "{vary}");
            assert_eq!(r.headers()["x-cache"], "hit", "{accept:?} round {round}");
            let encoding = r.headers().get("content-encoding").cloned();
            let body = r.bytes().await.unwrap();
            if gzip {
                assert_eq!(encoding.unwrap(), "gzip", "{accept:?}");
                assert!(
                    body.len() * 3 < plain.len(),
                    "compressed to {} of {}",
                    body.len(),
                    plain.len()
                );
                assert_eq!(
                    gunzip(&body),
                    plain.to_vec(),
                    "{accept:?}: same JSON once unpacked"
                );
            } else {
                assert!(encoding.is_none(), "{accept:?}: {encoding:?}");
                assert_eq!(body, plain, "{accept:?}");
            }
        }
    }
}

#[tokio::test]
async fn an_unchanged_answer_revalidates_with_304_and_a_new_forecast_changes_its_tag() {
    let app = spawn_app().await;
    app.post_empty(GAME).await;
    let first = app.get(GAME).await;
    let tag = first.headers()["etag"].to_str().unwrap().to_string();
    assert!(tag.starts_with("W/\""), "{tag}");
    assert_eq!(first.headers()["cache-control"], "private, no-cache");

    // (If-None-Match, expected status)
    let other = "W/\"0123456789abcdef\"";
    let strong = tag.trim_start_matches("W/");
    let listed = format!("{other}, {tag}");
    let cases: [(&str, u16); 5] = [
        (&tag, 304),
        (strong, 304),
        (&listed, 304),
        ("*", 304),
        (other, 200),
    ];
    for (inm, status) in cases {
        for accept in ["identity", "gzip"] {
            let r = app
                .get_with(GAME, &[("if-none-match", inm), ("accept-encoding", accept)])
                .await;
            assert_eq!(
                r.status().as_u16(),
                status,
                "If-None-Match: {inm}, {accept}"
            );
            assert_eq!(r.headers()["etag"].to_str().unwrap(), tag);
            if status == 304 {
                assert!(r.bytes().await.unwrap().is_empty());
            }
        }
    }

    // A new forecast replaces the cached answer: the old tag no longer matches.
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let (s, _) = app.post_empty(GAME).await;
    assert_eq!(s, 201);
    let r = app.get_with(GAME, &[("if-none-match", &tag)]).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-cache"], "miss");
    assert_ne!(r.headers()["etag"].to_str().unwrap(), tag);
}
