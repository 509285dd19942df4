//! Reading a lead sheet: the seed sheet's columns (Lead ID, Name, Position, Company, LinkedIn
//! URL, ... Notes), plus an optional Email column.
//!
//! The file is refused as a whole only when it cannot be a lead sheet at all (no Name column,
//! neither a LinkedIn URL nor an Email column, a repeated column, too many rows). Otherwise
//! each bad row is reported with its line number and the good rows are kept. Cells that a
//! spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, carriage return first) are
//! stored with a leading `'` so that no later export can execute them.

use std::collections::HashMap;

use crate::graphql::ApiError;

/// The most data rows one import takes; split bigger files.
pub(crate) const MAX_ROWS: usize = 50_000;
const MAX_CELL: usize = 1_000;
const MAX_NOTE: usize = 10_000;

/// A column we read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Column {
    Name,
    Position,
    Company,
    LinkedInUrl,
    Email,
    Notes,
}

impl Column {
    pub(crate) fn header(self) -> &'static str {
        match self {
            Self::Name => "Name",
            Self::Position => "Position",
            Self::Company => "Company",
            Self::LinkedInUrl => "LinkedIn URL",
            Self::Email => "Email",
            Self::Notes => "Notes",
        }
    }
}

/// Recognises a header, forgiving case, spaces and punctuation.
fn column(header: &str) -> Option<Column> {
    let key: String = header.chars().filter(char::is_ascii_alphanumeric).collect::<String>().to_ascii_lowercase();
    Some(match key.as_str() {
        "name" | "fullname" => Column::Name,
        "position" | "title" | "jobtitle" => Column::Position,
        "company" | "organisation" | "organization" => Column::Company,
        "linkedinurl" | "linkedin" | "profileurl" | "linkedinprofile" => Column::LinkedInUrl,
        "email" | "emailaddress" => Column::Email,
        "notes" | "note" => Column::Notes,
        _ => return None,
    })
}

/// One data row that can be imported.
#[derive(Debug, Clone, Default)]
pub(crate) struct SheetRow {
    pub(crate) line: u64,
    pub(crate) cells: HashMap<Column, String>,
    pub(crate) warnings: Vec<String>,
}

impl SheetRow {
    pub(crate) fn get(&self, column: Column) -> Option<&str> {
        self.cells.get(&column).map(String::as_str).filter(|v| !v.is_empty())
    }
}

/// A row that cannot be imported, and why.
#[derive(Debug, Clone)]
pub(crate) struct RowProblem {
    pub(crate) line: u64,
    pub(crate) column: Option<&'static str>,
    pub(crate) message: String,
}

/// The sheet, read.
#[derive(Debug, Default)]
pub(crate) struct Sheet {
    pub(crate) rows: Vec<SheetRow>,
    pub(crate) problems: Vec<RowProblem>,
    /// Columns present but not imported, with why.
    pub(crate) ignored_columns: Vec<String>,
}

fn refuse(problem: &str) -> ApiError {
    ApiError::validation("csv", problem)
}

/// Neutralises a cell a spreadsheet would evaluate; says so when it did.
fn defuse(value: String) -> (String, bool) {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        (format!("'{value}"), true)
    } else {
        (value, false)
    }
}

/// Reads `bytes` as a lead sheet.
pub(crate) fn read(bytes: &[u8]) -> Result<Sheet, ApiError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let headers = reader.byte_headers().map_err(|e| refuse(&format!("the header line cannot be read: {e}")))?.clone();
    let mut columns: Vec<Option<Column>> = Vec::with_capacity(headers.len());
    let mut sheet = Sheet::default();
    for raw in &headers {
        let header = String::from_utf8_lossy(raw).trim().to_owned();
        let found = column(&header);
        match found {
            Some(c) if columns.contains(&Some(c)) => {
                return Err(refuse(&format!("the column {} appears twice", c.header())));
            }
            Some(_) => {}
            None if header.is_empty() => {}
            None => sheet.ignored_columns.push(header),
        }
        columns.push(found);
    }
    let has = |c: Column| columns.contains(&Some(c));
    let mut missing = Vec::new();
    if !has(Column::Name) {
        missing.push("Name");
    }
    if !has(Column::LinkedInUrl) && !has(Column::Email) {
        missing.push("LinkedIn URL or Email");
    }
    if !missing.is_empty() {
        return Err(refuse(&format!("missing column(s): {}", missing.join(", "))));
    }
    for record in reader.byte_records() {
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                let line = e.position().map_or(0, csv::Position::line);
                sheet.problems.push(RowProblem { line, column: None, message: format!("unreadable row: {e}") });
                continue;
            }
        };
        if sheet.rows.len() + sheet.problems.len() >= MAX_ROWS {
            return Err(refuse(&format!("more than {MAX_ROWS} rows; split the file")));
        }
        let line = record.position().map_or(0, csv::Position::line);
        if record.iter().all(|cell| cell.iter().all(u8::is_ascii_whitespace)) {
            continue;
        }
        match row(line, &record, &columns) {
            Ok(row) => sheet.rows.push(row),
            Err(problem) => sheet.problems.push(problem),
        }
    }
    Ok(sheet)
}

fn row(line: u64, record: &csv::ByteRecord, columns: &[Option<Column>]) -> Result<SheetRow, RowProblem> {
    let problem =
        |column: Option<Column>, message: String| RowProblem { line, column: column.map(Column::header), message };
    if record.len() != columns.len() {
        let message = format!("has {} cells where the header has {}", record.len(), columns.len());
        return Err(problem(None, message));
    }
    let mut row = SheetRow { line, ..SheetRow::default() };
    for (raw, column) in record.iter().zip(columns) {
        let Some(column) = *column else { continue };
        let text = std::str::from_utf8(raw)
            .map_err(|_| problem(Some(column), "is not valid UTF-8 (save the file as UTF-8)".to_owned()))?;
        if text.chars().any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r')) {
            return Err(problem(Some(column), "contains control characters".to_owned()));
        }
        let max = if column == Column::Notes { MAX_NOTE } else { MAX_CELL };
        if text.chars().count() > max {
            return Err(problem(Some(column), format!("is longer than {max} characters")));
        }
        let (value, defused) = defuse(text.trim_matches([' ', '\n']).to_owned());
        if defused {
            row.warnings
                .push(format!("{}: starts like a spreadsheet formula; stored with a leading '", column.header()));
        }
        row.cells.insert(column, value);
    }
    if row.get(Column::Name).is_none() {
        return Err(problem(Some(Column::Name), "is empty".to_owned()));
    }
    if row.get(Column::LinkedInUrl).is_none() && row.get(Column::Email).is_none() {
        return Err(problem(Some(Column::LinkedInUrl), "a lead needs a LinkedIn URL or an email".to_owned()));
    }
    Ok(row)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_seed_sheet_and_reports_bad_rows_by_line() {
        let csv = "\u{feff}Lead ID,Name,Position,Company,LinkedIn URL,Classification,Notes\n\
                   ,Ada Lovelace,CTO,Analytical Ltd,linkedin.com/in/ada,Speaker,met at RustConf\n\
                   ,,CTO,Nameless Inc,linkedin.com/in/nobody,,\n\
                   ,Grace,Admiral,Navy\n\
                   ,=cmd|' /C calc'!A0,Boss,Evil,linkedin.com/in/evil,,\n";
        let sheet = read(csv.as_bytes()).unwrap();
        assert_eq!(sheet.rows.len(), 2);
        assert_eq!(sheet.rows[0].line, 2);
        assert_eq!(sheet.rows[0].get(Column::Company), Some("Analytical Ltd"));
        assert_eq!(sheet.rows[1].get(Column::Name), Some("'=cmd|' /C calc'!A0"));
        assert_eq!(sheet.rows[1].warnings.len(), 1);
        let lines: Vec<(u64, Option<&str>)> = sheet.problems.iter().map(|p| (p.line, p.column)).collect();
        assert_eq!(lines, vec![(3, Some("Name")), (4, None)]);
        assert_eq!(sheet.ignored_columns, vec!["Lead ID".to_owned(), "Classification".to_owned()]);
    }

    #[test]
    fn a_file_that_is_no_lead_sheet_is_refused_whole() {
        for csv in ["Company,Position\nA,B\n", "Name,Company\nA,B\n", "Name,Name,Email\n"] {
            assert!(read(csv.as_bytes()).is_err(), "{csv}");
        }
    }

    #[test]
    fn cells_in_another_encoding_fail_their_row_only() {
        let mut csv = b"Name,Email\nJos\xe9,jose@example.com\nAnn,ann@example.com\n".to_vec();
        csv.extend_from_slice(b"Bob\x00,bob@example.com\n");
        let sheet = read(&csv).unwrap();
        assert_eq!(sheet.rows.len(), 1);
        assert_eq!(sheet.rows[0].line, 3);
        assert_eq!(sheet.problems.iter().map(|p| p.line).collect::<Vec<_>>(), vec![2, 4]);
        assert!(sheet.problems[0].message.contains("UTF-8"));
    }
}
