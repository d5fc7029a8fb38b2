//! Spreadsheets (`.xlsx`, `.xls`, `.ods`) as games files: the first sheet (or a named one)
//! becomes CSV text in whichever layout its header row has, read with calamine. Dates may be
//! date cells, Excel serial numbers or text.

use std::io::Cursor;

use calamine::{open_workbook_auto_from_rs, Data, Reader};
use chrono::NaiveDate;

use crate::error::{Error, Result};
use crate::import::RowError;

/// The extensions read as spreadsheets.
pub const EXTENSIONS: [&str; 3] = ["xlsx", "xls", "ods"];

/// Whether a file name (or URL path) names a spreadsheet.
pub fn is_spreadsheet(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let path = lower.split(['?', '#']).next().unwrap_or("");
    EXTENSIONS.iter().any(|e| path.ends_with(&format!(".{e}")))
}

fn refuse(message: String) -> Error {
    Error::Malformed(vec![RowError {
        line: 0,
        field: "(spreadsheet)".into(),
        message,
    }])
}

/// Columns whose numbers are dates (Excel serials when not already date cells).
const DATE_COLUMNS: [&str; 2] = ["date", "gameday"];

fn serial_date(serial: f64) -> Option<NaiveDate> {
    // Excel's day 0 is 1899-12-30 (its 1900 leap-year bug folded in).
    let base = NaiveDate::from_ymd_opt(1899, 12, 30)?;
    (serial.is_finite() && (1.0..200_000.0).contains(&serial))
        .then(|| base + chrono::Duration::days(serial.trunc() as i64))
}

fn number_text(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

fn cell_text(cell: &Data, date_column: bool) -> Result<String> {
    Ok(match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_string(),
        Data::Int(i) if date_column => serial_date(*i as f64)
            .map(|d| d.to_string())
            .unwrap_or_else(|| i.to_string()),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if date_column => serial_date(*f)
            .map(|d| d.to_string())
            .unwrap_or_else(|| number_text(*f)),
        Data::Float(f) => number_text(*f),
        Data::Bool(b) => u8::from(*b).to_string(),
        Data::DateTime(d) => match d.as_datetime() {
            Some(t) if date_column => t.date().to_string(),
            Some(t)
                if t.date() == NaiveDate::from_ymd_opt(1899, 12, 31).unwrap_or_default()
                    || t.date() == NaiveDate::from_ymd_opt(1899, 12, 30).unwrap_or_default() =>
            {
                t.format("%H:%M").to_string()
            }
            Some(t) => t.date().to_string(),
            None => number_text(d.as_f64()),
        },
        Data::DateTimeIso(s) => s.get(..10).filter(|_| date_column).unwrap_or(s).to_string(),
        Data::DurationIso(s) => s.clone(),
        Data::Error(e) => return Err(refuse(format!("a cell holds a spreadsheet error ({e})"))),
    })
}

/// The sheet `sheet` (default: the first) of a spreadsheet as CSV text.
pub fn to_csv(bytes: &[u8], sheet: Option<&str>) -> Result<Vec<u8>> {
    let mut book = open_workbook_auto_from_rs(Cursor::new(bytes)).map_err(|e| {
        refuse(format!(
            "not a spreadsheet calamine can read (xlsx, xls, ods): {e}"
        ))
    })?;
    let names = book.sheet_names();
    let name = match sheet {
        Some(s) => names
            .iter()
            .find(|n| n.as_str() == s)
            .cloned()
            .ok_or_else(|| {
                refuse(format!(
                    "no sheet named '{s}' (sheets: {})",
                    names.join(", ")
                ))
            })?,
        None => names
            .first()
            .cloned()
            .ok_or_else(|| refuse("the workbook has no sheet".into()))?,
    };
    let range = book
        .worksheet_range(&name)
        .map_err(|e| refuse(format!("sheet '{name}' cannot be read: {e}")))?;
    let mut rows = range.rows();
    let header: Vec<String> = rows
        .next()
        .ok_or_else(|| refuse(format!("sheet '{name}' is empty")))?
        .iter()
        .map(|c| cell_text(c, false))
        .collect::<Result<_>>()?;
    let dates: Vec<bool> = header
        .iter()
        .map(|h| DATE_COLUMNS.contains(&h.as_str()))
        .collect();
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(&header)?;
    for r in rows {
        if r.iter().all(|c| matches!(c, Data::Empty)) {
            continue;
        }
        let fields: Vec<String> = r
            .iter()
            .enumerate()
            .map(|(i, c)| cell_text(c, dates.get(i).copied().unwrap_or(false)))
            .collect::<Result<_>>()?;
        out.write_record(&fields)?;
    }
    out.into_inner()
        .map_err(|e| refuse(format!("could not write the sheet as CSV: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excel_serials_are_dates_and_whole_numbers_lose_their_decimals() {
        // (cell, date column?, text)
        let cases = [
            (Data::Float(43349.0), true, "2018-09-06"),
            (Data::Int(43349), true, "2018-09-06"),
            (Data::String("2018-09-06".into()), true, "2018-09-06"),
            (Data::Float(18.0), false, "18"),
            (Data::Float(-2.5), false, "-2.5"),
            (Data::Empty, false, ""),
            (Data::Bool(true), false, "1"),
        ];
        for (cell, date, text) in cases {
            assert_eq!(cell_text(&cell, date).unwrap(), text, "{cell:?}");
        }
    }

    #[test]
    fn spreadsheet_names_are_recognised_by_extension() {
        for (name, yes) in [
            ("season.xlsx", true),
            ("https://x.example/s.ODS?x=1", true),
            ("old.xls", true),
            ("games.csv", false),
            ("xlsx", false),
        ] {
            assert_eq!(is_spreadsheet(name), yes, "{name}");
        }
    }

    #[test]
    fn bytes_that_are_no_spreadsheet_are_refused_with_a_reason() {
        match to_csv(b"date,season\n", None) {
            Err(Error::Malformed(e)) => {
                assert!(e[0].message.contains("not a spreadsheet"), "{e:?}")
            }
            other => panic!("{other:?}"),
        }
    }
}
