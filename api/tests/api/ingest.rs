//! Keeping the store current from a schedule feed (`api ingest`), over real HTTP: a feed server
//! started by the test serves a season that changes between runs, in the nflverse layout,
//! written by the test from the project's own 2018 games (no third-party file is committed).

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

use graph::Game;
use serde_json::Value;

use crate::helpers::{small_games_file, spawn_app_in};

/// The 2018 season of the project's fixture, oldest first.
pub fn season_2018() -> Vec<Game> {
    let bytes = std::fs::read(small_games_file()).unwrap();
    let mut games: Vec<Game> = graph::import::parse(bytes.as_slice())
        .unwrap()
        .games
        .into_iter()
        .filter(|g| g.season.get() == 2018)
        .collect();
    games.sort_by(|a, b| (a.date, &a.id).cmp(&(b.date, &b.id)));
    games
}

/// How the feed names our teams in 2018 (its codes differ from ours in places).
fn feed_code(team: &str) -> &str {
    match team {
        "LAR" => "LA",
        "WSH" => "WAS",
        "LV" => "OAK",
        other => other,
    }
}

const HEADER: &str = "game_id,season,game_type,week,gameday,weekday,gametime,away_team,away_score,home_team,home_score,location,result,total,overtime,away_rest,home_rest,away_moneyline,home_moneyline,spread_line,total_line,div_game,roof,surface,temp,wind,stadium_id,stadium";

fn game_type(g: &Game) -> &'static str {
    match (g.playoff, g.week.get()) {
        (false, _) => "REG",
        (true, 18) => "WC",
        (true, 19) => "DIV",
        (true, 20) => "CON",
        _ => "SB",
    }
}

/// One feed row per game: the score only for games `played` says are played.
pub fn nflverse(games: &[Game], played: impl Fn(&Game) -> bool) -> Vec<Vec<String>> {
    games
        .iter()
        .map(|g| {
            let score = g.result.map(|r| (r.home(), r.away()));
            let (hs, as_, result) = match (played(g), score) {
                (true, Some((h, a))) => (
                    h.to_string(),
                    a.to_string(),
                    (i32::from(h) - i32::from(a)).to_string(),
                ),
                _ => (String::new(), String::new(), String::new()),
            };
            let (away, home) = (
                feed_code(g.away_team.as_str()),
                feed_code(g.home_team.as_str()),
            );
            vec![
                format!("{}_{:02}_{away}_{home}", g.season.get(), g.week.get()),
                g.season.get().to_string(),
                game_type(g).into(),
                g.week.get().to_string(),
                g.date.to_string(),
                g.date.format("%A").to_string(),
                "13:00".into(),
                away.into(),
                as_,
                home.into(),
                hs,
                if g.neutral { "Neutral" } else { "Home" }.into(),
                result,
                String::new(),
                String::new(),
                "7".into(),
                "7".into(),
                String::new(),
                String::new(),
                "-2.5".into(),
                "44.5".into(),
                "0".into(),
                "outdoors".into(),
                "grass".into(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
            ]
        })
        .collect()
}

pub fn csv_text(rows: &[Vec<String>]) -> Vec<u8> {
    let mut out = format!("{HEADER}\n");
    for r in rows {
        out.push_str(&r.join(","));
        out.push('\n');
    }
    out.into_bytes()
}

/// A feed server on port 0 answering every request with the current body (or status), with
/// an `ETag` that changes with the body, and 304 to a request that names the current one.
pub struct Feed {
    pub url: String,
    pub body: Arc<Mutex<(u16, Vec<u8>)>>,
    /// Requests served.
    pub requests: Arc<std::sync::atomic::AtomicUsize>,
    /// How it answers (normally, slowly, or breaking off the body).
    pub behaviour: Arc<Mutex<Behaviour>>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Behaviour {
    Normal,
    /// Waits this long before answering.
    Slow(std::time::Duration),
    /// Announces the whole body and sends half of it.
    Truncated,
}

impl Feed {
    pub fn start() -> Feed {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/schedule.csv", listener.local_addr().unwrap());
        let body = Arc::new(Mutex::new((200u16, Vec::new())));
        let served = body.clone();
        let requests = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = requests.clone();
        let behaviour = Arc::new(Mutex::new(Behaviour::Normal));
        let how = behaviour.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut s) = stream else { continue };
                let mut buf = [0u8; 4096];
                let mut req = Vec::new();
                while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                    match s.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => req.extend_from_slice(&buf[..n]),
                    }
                }
                counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let (mut status, mut bytes) = served.lock().unwrap().clone();
                let etag = format!(
                    "\"{:x}-{}\"",
                    bytes.iter().map(|&b| u64::from(b)).sum::<u64>(),
                    bytes.len()
                );
                let text = String::from_utf8_lossy(&req).to_ascii_lowercase();
                if status == 200 && text.contains(&format!("if-none-match: {etag}")) {
                    (status, bytes) = (304, Vec::new());
                }
                let head = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: text/csv\r\netag: {etag}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    bytes.len()
                );
                let how = *how.lock().unwrap();
                if let Behaviour::Slow(d) = how {
                    std::thread::sleep(d);
                }
                let _ = s.write_all(head.as_bytes());
                let sent = if how == Behaviour::Truncated {
                    &bytes[..bytes.len() / 2]
                } else {
                    &bytes[..]
                };
                let _ = s.write_all(sent);
            }
        });
        Feed {
            url,
            body,
            requests,
            behaviour,
        }
    }

    pub fn serve(&self, bytes: Vec<u8>) {
        *self.body.lock().unwrap() = (200, bytes);
    }
}

fn ingest(dir: &Path, from: &str, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_api"))
        .args([
            "--data-dir",
            &dir.display().to_string(),
            "ingest",
            "--from",
            from,
        ])
        .args(extra)
        .env("LOG_LEVEL", "error")
        .output()
        .expect("the api binary runs")
}

fn count(o: &Output, label: &str) -> u64 {
    let text = String::from_utf8_lossy(&o.stdout);
    text.lines()
        .find(|l| l.trim_start().starts_with(label))
        .and_then(|l| l.split_whitespace().last())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| {
            panic!(
                "no '{label}' in:\n{text}\n{}",
                String::from_utf8_lossy(&o.stderr)
            )
        })
}

fn ok(o: &Output) {
    assert!(
        o.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// The stored 2018 games, by id, read through the API.
async fn stored(dir: &Path) -> HashMap<String, Value> {
    let app = spawn_app_in(dir, "none").await;
    let (status, page) = app.get_json("/api/v1/games?season=2018&per_page=500").await;
    assert_eq!(status, 200, "{page}");
    app.stop().await;
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["id"].as_str().unwrap().to_string(), g.clone()))
        .collect()
}

fn finals(games: &HashMap<String, Value>) -> usize {
    games
        .values()
        .filter(|g| !g["home_score"].is_null())
        .count()
}

#[tokio::test]
async fn a_season_followed_through_its_feed_ends_with_exactly_the_games_finals_and_corrections_expected(
) {
    let feed = Feed::start();
    let dir = tempfile::tempdir().unwrap();
    let season = season_2018();
    let n = season.len();
    let week = |w: u8| move |g: &Game| g.week.get() <= w;
    let week1 = season.iter().filter(|g| g.week.get() == 1).count();
    let week2 = season.iter().filter(|g| g.week.get() == 2).count();

    // 1. The schedule only.
    feed.serve(csv_text(&nflverse(&season, |_| false)));
    let run = ingest(dir.path(), &feed.url, &[]);
    ok(&run);
    assert_eq!(count(&run, "games added"), n as u64);
    let s = stored(dir.path()).await;
    assert_eq!((s.len(), finals(&s)), (n, 0));
    let first = &season[0];
    assert_eq!(
        s[first.id.as_str()]["details"]["spread_line"],
        -2.5,
        "the feed's optional columns are kept"
    );

    // 2. Week 1's results.
    feed.serve(csv_text(&nflverse(&season, week(1))));
    let run = ingest(dir.path(), &feed.url, &[]);
    ok(&run);
    assert_eq!(count(&run, "finals recorded"), week1 as u64);
    assert_eq!(count(&run, "games unchanged"), (n - week1) as u64);
    assert_eq!(finals(&stored(dir.path()).await), week1);

    // 3. A week-2 game moved a day later (same id, new date).
    let mut moved = season.clone();
    let m = moved.iter().position(|g| g.week.get() == 2).unwrap();
    moved[m].date = moved[m].date.succ_opt().unwrap();
    feed.serve(csv_text(&nflverse(&moved, week(1))));
    let run = ingest(dir.path(), &feed.url, &[]);
    ok(&run);
    assert_eq!(count(&run, "games moved"), 1);
    let s = stored(dir.path()).await;
    assert_eq!(s[moved[m].id.as_str()]["date"], moved[m].date.to_string());

    // 4. Week 2's results.
    feed.serve(csv_text(&nflverse(&moved, week(2))));
    let run = ingest(dir.path(), &feed.url, &[]);
    ok(&run);
    assert_eq!(count(&run, "finals recorded"), week2 as u64);
    assert_eq!(finals(&stored(dir.path()).await), week1 + week2);

    // 5. A corrected week-1 score: refused without the setting, applied with it.
    let mut corrected = moved.clone();
    let c = corrected.iter().position(|g| g.week.get() == 1).unwrap();
    let old_score = corrected[c].result.unwrap();
    let old = old_score.home();
    corrected[c].result =
        Some(graph::FinalScore::parse(i64::from(old) + 3, i64::from(old_score.away())).unwrap());
    feed.serve(csv_text(&nflverse(&corrected, week(2))));
    let run = ingest(dir.path(), &feed.url, &[]);
    ok(&run);
    assert_eq!(count(&run, "corrections refused"), 1);
    assert_eq!(count(&run, "finals corrected"), 0);
    assert_eq!(
        stored(dir.path()).await[corrected[c].id.as_str()]["home_score"],
        old
    );
    let run = ingest(dir.path(), &feed.url, &["--accept-corrections"]);
    ok(&run);
    assert_eq!(count(&run, "finals corrected"), 1);
    assert_eq!(
        stored(dir.path()).await[corrected[c].id.as_str()]["home_score"],
        old + 3
    );

    // 6. The same feed again changes nothing.
    let run = ingest(dir.path(), &feed.url, &["--accept-corrections"]);
    ok(&run);
    assert!(String::from_utf8_lossy(&run.stdout).contains("Nothing to change."));
    assert_eq!(count(&run, "games unchanged"), n as u64);
}

#[tokio::test]
async fn bad_feeds_change_nothing_and_say_why() {
    let feed = Feed::start();
    let dir = tempfile::tempdir().unwrap();
    let season = season_2018();
    feed.serve(csv_text(&nflverse(&season, |g| g.week.get() == 1)));
    ok(&ingest(dir.path(), &feed.url, &[]));
    let before = stored(dir.path()).await;
    let mut bad_line = nflverse(&season, |_| true);
    bad_line[10][7] = "XYZ".into();
    let truncated = csv_text(&nflverse(&season[..season.len() / 2], |_| true));
    // (case, body or status, what the error says)
    type Case<'a> = (&'a str, (u16, Vec<u8>), &'a str);
    let cases: Vec<Case> = vec![
        (
            "a game lacking from the feed",
            (200, truncated),
            "suspicious",
        ),
        (
            "an unknown team code",
            (200, csv_text(&bad_line)),
            "line 12",
        ),
        (
            "another layout",
            (200, b"date,home,away\n2018-09-09,KC,BUF\n".to_vec()),
            "not a header this importer knows",
        ),
        ("the feed answers 503", (503, b"down".to_vec()), "503"),
    ];
    for (case, body, says) in cases {
        *feed.body.lock().unwrap() = body;
        let run = ingest(dir.path(), &feed.url, &[]);
        assert!(!run.status.success(), "{case}: the run succeeded");
        let err = String::from_utf8_lossy(&run.stderr);
        assert!(err.contains(says), "{case}: {err}");
        assert_eq!(
            stored(dir.path()).await,
            before,
            "{case}: the store changed"
        );
    }
    let missing = ingest(dir.path(), "/nonexistent/feed.csv", &[]);
    assert!(!missing.status.success());
}

/// A spreadsheet of `rows` under `header` (numbers as numbers, `date_col` as date cells).
fn xlsx(header: &[&str], rows: &[Vec<String>], date_col: &str, path: &Path) {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("Schedule").unwrap();
    let date_format = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
    for (c, h) in header.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            let (r, c) = (r as u32 + 1, c as u16);
            if header[c as usize] == date_col {
                use chrono::Datelike;
                let d = chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d").unwrap();
                let d = rust_xlsxwriter::ExcelDateTime::from_ymd(
                    d.year() as u16,
                    d.month() as u8,
                    d.day() as u8,
                )
                .unwrap();
                sheet
                    .write_date_with_format(r, c, &d, &date_format)
                    .unwrap();
            } else if let Ok(x) = v.parse::<f64>() {
                sheet.write_number(r, c, x).unwrap();
            } else if !v.is_empty() {
                sheet.write_string(r, c, v).unwrap();
            }
        }
    }
    book.save(path).unwrap();
}

/// A BIFF8 `.xls` of `rows` under `header`, one sheet named "Schedule" (`date_col` as Excel
/// serial numbers, other numbers as NUMBER cells, text as LABEL cells), in a minimal compound
/// file (MS-CFB version 3, 512-byte sectors): header, FAT, one directory sector, the Workbook
/// stream. Written here from the records' definitions in MS-XLS and MS-CFB.
fn xls(header: &[&str], rows: &[Vec<String>], date_col: &str, path: &Path) {
    fn record(out: &mut Vec<u8>, typ: u16, data: &[u8]) {
        out.extend(typ.to_le_bytes());
        out.extend((data.len() as u16).to_le_bytes());
        out.extend(data);
    }
    // BOF (MS-XLS 2.4.21): BIFF8, `dt` 0x0005 workbook globals or 0x0010 a worksheet.
    fn bof(out: &mut Vec<u8>, dt: u16) {
        let mut d = Vec::new();
        d.extend(0x0600u16.to_le_bytes());
        d.extend(dt.to_le_bytes());
        d.extend([0u8; 12]);
        record(out, 0x0809, &d);
    }
    fn cell(row: u16, col: u16) -> Vec<u8> {
        let mut d = Vec::new();
        d.extend(row.to_le_bytes());
        d.extend(col.to_le_bytes());
        d.extend(0u16.to_le_bytes()); // ixfe
        d
    }
    fn label(out: &mut Vec<u8>, row: u16, col: u16, text: &str) {
        let mut d = cell(row, col);
        d.extend((text.len() as u16).to_le_bytes());
        d.push(0); // fHighByte 0: one byte a character (ASCII here)
        d.extend(text.as_bytes());
        record(out, 0x0204, &d);
    }
    fn number(out: &mut Vec<u8>, row: u16, col: u16, x: f64) {
        let mut d = cell(row, col);
        d.extend(x.to_le_bytes());
        record(out, 0x0203, &d);
    }
    let excel_epoch = chrono::NaiveDate::from_ymd_opt(1899, 12, 30).unwrap();
    // The worksheet substream.
    let mut sheet = Vec::new();
    bof(&mut sheet, 0x0010);
    let mut dims = Vec::new();
    dims.extend(0u32.to_le_bytes());
    dims.extend((rows.len() as u32 + 1).to_le_bytes());
    dims.extend(0u16.to_le_bytes());
    dims.extend((header.len() as u16).to_le_bytes());
    dims.extend(0u16.to_le_bytes());
    record(&mut sheet, 0x0200, &dims);
    for (c, h) in header.iter().enumerate() {
        label(&mut sheet, 0, c as u16, h);
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            let (r, c) = (r as u16 + 1, c as u16);
            if header[c as usize] == date_col {
                let d = chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d").unwrap();
                number(&mut sheet, r, c, (d - excel_epoch).num_days() as f64);
            } else if let Ok(x) = v.parse::<f64>() {
                number(&mut sheet, r, c, x);
            } else if !v.is_empty() {
                label(&mut sheet, r, c, v);
            }
        }
    }
    record(&mut sheet, 0x000A, &[]);
    // The globals: BOF, BoundSheet8 (MS-XLS 2.4.28) pointing at the sheet's BOF, EOF.
    let name = "Schedule";
    let globals_len = 4 + 16 + (4 + 6 + 2 + name.len()) + 4;
    let mut book = Vec::new();
    bof(&mut book, 0x0005);
    let mut bound = Vec::new();
    bound.extend((globals_len as u32).to_le_bytes());
    bound.extend([0u8, 0u8]); // visible worksheet
    bound.push(name.len() as u8);
    bound.push(0);
    bound.extend(name.as_bytes());
    record(&mut book, 0x0085, &bound);
    record(&mut book, 0x000A, &[]);
    assert_eq!(book.len(), globals_len);
    book.extend(sheet);
    assert!(
        book.len() >= 4096,
        "a stream under 4096 bytes belongs in the mini stream"
    );

    // The compound file: sector 0.. the FAT, then the directory, then the stream.
    const SECTOR: usize = 512;
    const END: u32 = 0xFFFF_FFFE;
    const FREE: u32 = 0xFFFF_FFFF;
    const FATSECT: u32 = 0xFFFF_FFFD;
    let stream_sectors = book.len().div_ceil(SECTOR);
    let mut fat_sectors = 1;
    while fat_sectors * SECTOR / 4 < fat_sectors + 1 + stream_sectors {
        fat_sectors += 1;
    }
    assert!(
        fat_sectors <= 109,
        "the header's DIFAT holds the FAT sectors"
    );
    let dir_sector = fat_sectors as u32;
    let first_stream = dir_sector + 1;
    let mut fat: Vec<u32> = vec![FATSECT; fat_sectors];
    fat.push(END);
    for i in 0..stream_sectors as u32 {
        fat.push(if i + 1 == stream_sectors as u32 {
            END
        } else {
            first_stream + i + 1
        });
    }
    fat.resize(fat_sectors * SECTOR / 4, FREE);
    let mut out = Vec::new();
    out.extend(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1");
    out.extend([0u8; 16]); // CLSID
    out.extend(0x003Eu16.to_le_bytes()); // minor version
    out.extend(0x0003u16.to_le_bytes()); // major version 3
    out.extend(0xFFFEu16.to_le_bytes()); // little-endian
    out.extend(0x0009u16.to_le_bytes()); // 512-byte sectors
    out.extend(0x0006u16.to_le_bytes()); // 64-byte mini sectors
    out.extend([0u8; 6]);
    out.extend(0u32.to_le_bytes()); // directory sectors (0 in version 3)
    out.extend((fat_sectors as u32).to_le_bytes());
    out.extend(dir_sector.to_le_bytes());
    out.extend(0u32.to_le_bytes()); // transaction signature
    out.extend(4096u32.to_le_bytes()); // mini stream cutoff
    out.extend(END.to_le_bytes()); // no mini FAT
    out.extend(0u32.to_le_bytes());
    out.extend(END.to_le_bytes()); // no DIFAT sectors
    out.extend(0u32.to_le_bytes());
    for i in 0..109u32 {
        out.extend(if (i as usize) < fat_sectors { i } else { FREE }.to_le_bytes());
    }
    assert_eq!(out.len(), SECTOR);
    for x in &fat {
        out.extend(x.to_le_bytes());
    }
    // Directory entries (MS-CFB 2.6): the root storage and the Workbook stream.
    let entry = |name: &str, kind: u8, child: u32, start: u32, size: u32| {
        let mut e = Vec::with_capacity(128);
        let utf16: Vec<u16> = name.encode_utf16().chain([0]).collect();
        for u in &utf16 {
            e.extend(u.to_le_bytes());
        }
        e.resize(64, 0);
        e.extend((2 * utf16.len() as u16).to_le_bytes());
        e.push(kind);
        e.push(1); // black
        e.extend(FREE.to_le_bytes()); // left sibling
        e.extend(FREE.to_le_bytes()); // right sibling
        e.extend(child.to_le_bytes());
        e.extend([0u8; 16 + 4 + 16]); // CLSID, state bits, times
        e.extend(start.to_le_bytes());
        e.extend(size.to_le_bytes());
        e.extend(0u32.to_le_bytes());
        e
    };
    out.extend(entry("Root Entry", 5, 1, END, 0));
    out.extend(entry("Workbook", 2, FREE, first_stream, book.len() as u32));
    for _ in 0..2 {
        let mut unused = vec![0u8; 128];
        unused[68..80].copy_from_slice(&[0xFF; 12]);
        out.extend(unused);
    }
    out.extend(&book);
    out.resize(SECTOR * (1 + fat_sectors + 1 + stream_sectors), 0);
    std::fs::write(path, out).unwrap();
}

/// An OpenDocument spreadsheet of `rows` under `header`: a zip of the mimetype (stored,
/// first), the manifest and `content.xml` with one table (numbers as float cells, `date_col`
/// as date cells).
fn ods(header: &[&str], rows: &[Vec<String>], date_col: &str, path: &Path) {
    fn esc(s: &str) -> String {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    }
    let cell = |col: &str, v: &str| -> String {
        if v.is_empty() {
            "<table:table-cell/>".into()
        } else if col == date_col {
            format!("<table:table-cell office:value-type=\"date\" office:date-value=\"{v}\"><text:p>{v}</text:p></table:table-cell>")
        } else if v.parse::<f64>().is_ok() {
            format!("<table:table-cell office:value-type=\"float\" office:value=\"{v}\"><text:p>{v}</text:p></table:table-cell>")
        } else {
            format!("<table:table-cell office:value-type=\"string\"><text:p>{}</text:p></table:table-cell>", esc(v))
        }
    };
    let mut table = String::from("<table:table-row>");
    for h in header {
        table.push_str(&cell("", h));
    }
    table.push_str("</table:table-row>");
    for r in rows {
        table.push_str("<table:table-row>");
        for (c, v) in r.iter().enumerate() {
            table.push_str(&cell(header[c], v));
        }
        table.push_str("</table:table-row>");
    }
    let content = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><office:document-content xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" xmlns:table=\"urn:oasis:names:tc:opendocument:xmlns:table:1.0\" xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\" office:version=\"1.2\"><office:body><office:spreadsheet><table:table table:name=\"Schedule\">{table}</table:table></office:spreadsheet></office:body></office:document-content>"
    );
    let manifest = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><manifest:manifest xmlns:manifest=\"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0\" manifest:version=\"1.2\"><manifest:file-entry manifest:full-path=\"/\" manifest:media-type=\"application/vnd.oasis.opendocument.spreadsheet\"/><manifest:file-entry manifest:full-path=\"content.xml\" manifest:media-type=\"text/xml\"/></manifest:manifest>";
    let mut z = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let deflated = zip::write::SimpleFileOptions::default();
    z.start_file("mimetype", stored).unwrap();
    z.write_all(b"application/vnd.oasis.opendocument.spreadsheet")
        .unwrap();
    z.start_file("META-INF/manifest.xml", deflated).unwrap();
    z.write_all(manifest.as_bytes()).unwrap();
    z.start_file("content.xml", deflated).unwrap();
    z.write_all(content.as_bytes()).unwrap();
    z.finish().unwrap();
}

#[tokio::test]
async fn spreadsheets_in_either_layout_import_the_same_games_as_the_csv() {
    let season = season_2018();
    let tmp = tempfile::tempdir().unwrap();
    // The reference: the nflverse CSV.
    let csv_path = tmp.path().join("schedule.csv");
    std::fs::write(&csv_path, csv_text(&nflverse(&season, |_| true))).unwrap();
    let reference = tempfile::tempdir().unwrap();
    ok(&ingest(
        reference.path(),
        &csv_path.display().to_string(),
        &[],
    ));
    let expected = stored(reference.path()).await;
    assert_eq!(expected.len(), season.len());

    // nflverse header in an .xlsx (dates as date cells).
    let header: Vec<&str> = HEADER.split(',').collect();
    let nfl_xlsx = tmp.path().join("schedule.xlsx");
    xlsx(&header, &nflverse(&season, |_| true), "gameday", &nfl_xlsx);
    // The 538 header in an .xlsx: the project's own rows of 2018.
    let text = std::fs::read_to_string(small_games_file()).unwrap();
    let mut lines = text.lines();
    let h538: Vec<&str> = lines.next().unwrap().split(',').collect();
    let rows538: Vec<Vec<String>> = lines
        .filter(|l| l.split(',').nth(1) == Some("2018"))
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    let x538 = tmp.path().join("games538.xlsx");
    xlsx(&h538, &rows538, "date", &x538);

    let nfl_ods = tmp.path().join("schedule.ods");
    ods(&header, &nflverse(&season, |_| true), "gameday", &nfl_ods);
    let nfl_xls = tmp.path().join("schedule.xls");
    xls(&header, &nflverse(&season, |_| true), "gameday", &nfl_xls);
    let x538_xls = tmp.path().join("games538.xls");
    xls(&h538, &rows538, "date", &x538_xls);
    for (case, path, sheet) in [
        ("nflverse xlsx", &nfl_xlsx, Some("Schedule")),
        ("538 xlsx", &x538, None),
        ("nflverse ods", &nfl_ods, None),
        ("nflverse xls", &nfl_xls, Some("Schedule")),
        ("538 xls", &x538_xls, None),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let mut extra = vec![];
        if let Some(s) = sheet {
            extra.extend(["--sheet", s]);
        }
        let run = ingest(dir.path(), &path.display().to_string(), &extra);
        ok(&run);
        let got = stored(dir.path()).await;
        let core = |m: &HashMap<String, Value>| -> Vec<(String, Value, Value, Value, Value)> {
            let mut v: Vec<_> = m
                .values()
                .map(|g| {
                    (
                        g["id"].as_str().unwrap().to_string(),
                        g["date"].clone(),
                        g["home_score"].clone(),
                        g["away_score"].clone(),
                        g["neutral"].clone(),
                    )
                })
                .collect();
            v.sort_by(|a, b| a.0.cmp(&b.0));
            v
        };
        assert_eq!(core(&got), core(&expected), "{case}");
    }
    // A sheet that is not there is named in the error.
    let dir = tempfile::tempdir().unwrap();
    let run = ingest(
        dir.path(),
        &nfl_xlsx.display().to_string(),
        &["--sheet", "Nope"],
    );
    assert!(!run.status.success());
    assert!(String::from_utf8_lossy(&run.stderr).contains("Schedule"));
}
