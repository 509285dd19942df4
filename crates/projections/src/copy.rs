//! Bulk inserts with `COPY ... FROM STDIN (FORMAT binary)` for the rebuild and the insert-only
//! read models: several times cheaper per row than INSERT, and in binary the server parses no
//! UUIDs, numbers or times (text COPY spent a third of its time in their input functions).
//!
//! Each field is written in its column type's binary form ([`Field`]). A value of the wrong
//! width for its column is refused by the server ("incorrect binary data format"), never stored
//! wrong, and every model's rows are compared with its live tables in the tests.

use chrono::{DateTime, NaiveDate, TimeZone as _, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// The file signature, flags and header extension length of the binary COPY format.
const HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";

/// Rows in PostgreSQL's binary COPY format.
#[derive(Debug)]
pub(crate) struct CopyRows {
    buf: Vec<u8>,
    /// Where the current row's field count goes, and the count so far.
    row_start: usize,
    fields: i16,
    rows: usize,
    /// `COPY ... FREEZE`: see [`CopyRows::frozen`].
    freeze: bool,
}

/// A value in its column type's binary COPY form.
pub(crate) trait Field {
    /// Appends the value's bytes (without the length prefix); `false` for NULL.
    fn encode(&self, buf: &mut Vec<u8>) -> bool;
}

impl CopyRows {
    pub(crate) fn new() -> Self {
        let mut buf = Vec::with_capacity(256 * 1024);
        buf.extend_from_slice(HEADER);
        let row_start = buf.len();
        buf.extend_from_slice(&0_i16.to_be_bytes());
        Self { buf, row_start, fields: 0, rows: 0, freeze: false }
    }

    /// Rows for a table created or emptied (`TRUNCATE`) in the same transaction, which the
    /// server then writes frozen and marks all-visible (`COPY ... FREEZE`). No later reader
    /// has to look up the loading transaction and set hint bits on every row, which would
    /// dirty every page once more (the index builds after a rebuild's load are the first
    /// readers), and vacuum finds nothing left to do. The server refuses the COPY for any
    /// other table.
    pub(crate) fn frozen() -> Self {
        Self { freeze: true, ..Self::new() }
    }

    /// Appends a field to the current row.
    pub(crate) fn put(&mut self, value: impl Field) -> &mut Self {
        let length_at = self.buf.len();
        self.buf.extend_from_slice(&(-1_i32).to_be_bytes());
        if value.encode(&mut self.buf) {
            let length = i32::try_from(self.buf.len() - length_at - 4).unwrap_or(i32::MAX);
            self.buf[length_at..length_at + 4].copy_from_slice(&length.to_be_bytes());
        }
        self.fields += 1;
        self
    }

    /// Ends the row.
    pub(crate) fn end_row(&mut self) {
        self.buf[self.row_start..self.row_start + 2].copy_from_slice(&self.fields.to_be_bytes());
        self.rows += 1;
        self.fields = 0;
        self.row_start = self.buf.len();
        self.buf.extend_from_slice(&0_i16.to_be_bytes());
    }

    /// Sends the rows to `table (columns)`.
    pub(crate) async fn send(mut self, tx: &mut PgConnection, table: &str, columns: &str) -> Result<(), sqlx::Error> {
        if self.rows == 0 {
            return Ok(());
        }
        // The trailer (a field count of -1) where the next row would have started.
        self.buf.truncate(self.row_start);
        self.buf.extend_from_slice(&(-1_i16).to_be_bytes());
        let freeze = if self.freeze { ", FREEZE" } else { "" };
        let mut copy = tx.copy_in_raw(&format!("COPY {table} ({columns}) FROM STDIN (FORMAT binary{freeze})")).await?;
        copy.send(self.buf).await?;
        copy.finish().await?;
        Ok(())
    }
}

/// JSON text for a `jsonb` column.
pub(crate) struct Jsonb<'a>(pub(crate) &'a str);

impl<T: Field> Field for Option<T> {
    fn encode(&self, buf: &mut Vec<u8>) -> bool {
        self.as_ref().is_some_and(|v| v.encode(buf))
    }
}

impl<T: Field + ?Sized> Field for &T {
    fn encode(&self, buf: &mut Vec<u8>) -> bool {
        (**self).encode(buf)
    }
}

impl Field for str {
    fn encode(&self, buf: &mut Vec<u8>) -> bool {
        buf.extend_from_slice(self.as_bytes());
        true
    }
}

impl Field for String {
    fn encode(&self, buf: &mut Vec<u8>) -> bool {
        self.as_str().encode(buf)
    }
}

impl Field for Uuid {
    fn encode(&self, buf: &mut Vec<u8>) -> bool {
        buf.extend_from_slice(self.as_bytes());
        true
    }
}

impl Field for bool {
    fn encode(&self, buf: &mut Vec<u8>) -> bool {
        buf.push(u8::from(*self));
        true
    }
}

macro_rules! big_endian {
    ($($t:ty),*) => {$(
        impl Field for $t {
            fn encode(&self, buf: &mut Vec<u8>) -> bool {
                buf.extend_from_slice(&self.to_be_bytes());
                true
            }
        }
    )*};
}
big_endian!(i16, i32, i64, f64);

/// Microseconds since 2000-01-01 UTC, truncated as sqlx truncates a bound `DateTime`, so a row
/// written either way holds the same value.
impl Field for DateTime<Utc> {
    fn encode(&self, buf: &mut Vec<u8>) -> bool {
        let epoch = Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0).single().unwrap_or_default();
        (*self - epoch).num_microseconds().unwrap_or(i64::MAX).encode(buf)
    }
}

/// Days since 2000-01-01.
impl Field for NaiveDate {
    fn encode(&self, buf: &mut Vec<u8>) -> bool {
        let epoch = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or_default();
        i32::try_from((*self - epoch).num_days()).unwrap_or(i32::MAX).encode(buf)
    }
}

impl Field for Jsonb<'_> {
    fn encode(&self, buf: &mut Vec<u8>) -> bool {
        // Version 1 of jsonb's binary input: the JSON text.
        buf.push(1);
        self.0.encode(buf)
    }
}

/// A one-dimensional `uuid[]` without NULLs.
impl Field for [Uuid] {
    fn encode(&self, buf: &mut Vec<u8>) -> bool {
        const UUID_OID: i32 = 2950;
        let dimensions = i32::from(!self.is_empty());
        for header in [dimensions, 0, UUID_OID] {
            header.encode(buf);
        }
        if !self.is_empty() {
            let len = i32::try_from(self.len()).unwrap_or(i32::MAX);
            len.encode(buf);
            1_i32.encode(buf);
        }
        for id in self {
            16_i32.encode(buf);
            id.encode(buf);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;
    use reachspark_store::testing::TestDb;

    type Row = (Uuid, i16, i32, i64, f64, bool, String, DateTime<Utc>, serde_json::Value, Vec<Uuid>, NaiveDate);

    #[tokio::test]
    async fn every_field_reads_back_as_sqlx_would_have_written_it() {
        let db = TestDb::new().await;
        let mut conn = db.pool().acquire().await.unwrap();
        sqlx::query(
            "CREATE TABLE t (n int, id uuid, small smallint, medium int, big bigint, x double precision, flag boolean,
                             words text, at timestamptz, doc jsonb, ids uuid[], day date)",
        )
        .execute(&mut *conn)
        .await
        .unwrap();
        // Nanoseconds that sqlx truncates, a time before 2000, tabs and newlines, an empty array.
        let at = Utc.with_ymd_and_hms(2026, 3, 4, 5, 6, 7).unwrap() + Duration::nanoseconds(123_456_789);
        let old = Utc.with_ymd_and_hms(1999, 12, 31, 23, 59, 59).unwrap() + Duration::microseconds(250);
        let rows: [Row; 2] = [
            (
                Uuid::new_v4(),
                -7,
                1 << 20,
                -(1 << 40),
                0.25,
                true,
                "tab\tnew\nline \\ é".into(),
                at,
                serde_json::json!([{"name": "fit", "weight": 0.5}]),
                vec![Uuid::new_v4(), Uuid::new_v4()],
                NaiveDate::from_ymd_opt(2026, 2, 28).unwrap(),
            ),
            (
                Uuid::nil(),
                i16::MAX,
                i32::MIN,
                i64::MAX,
                -1e300,
                false,
                String::new(),
                old,
                serde_json::json!({}),
                vec![],
                NaiveDate::from_ymd_opt(1999, 12, 31).unwrap(),
            ),
        ];
        let mut copy = CopyRows::new();
        for (n, r) in (1_i32..).zip(&rows) {
            copy.put(n).put(r.0).put(r.1).put(r.2).put(r.3).put(r.4).put(r.5).put(&r.6).put(r.7);
            copy.put(Jsonb(&r.8.to_string())).put(r.9.as_slice()).put(r.10).end_row();
        }
        copy.put(3).put(None::<Uuid>).put(None::<i16>).put(None::<i32>).put(None::<i64>).put(None::<f64>);
        copy.put(None::<bool>).put(None::<&str>).put(None::<DateTime<Utc>>).put(None::<Jsonb<'_>>);
        copy.put(None::<&[Uuid]>).put(None::<NaiveDate>).end_row();
        copy.send(&mut conn, "t", "n, id, small, medium, big, x, flag, words, at, doc, ids, day").await.unwrap();

        for (n, r) in (1_i32..).zip(&rows) {
            let back: Row =
                sqlx::query_as("SELECT id, small, medium, big, x, flag, words, at, doc, ids, day FROM t WHERE n = $1")
                    .bind(n)
                    .fetch_one(&mut *conn)
                    .await
                    .unwrap();
            let bound: bool = sqlx::query_scalar("SELECT at = $1 FROM t WHERE n = $2")
                .bind(r.7)
                .bind(n)
                .fetch_one(&mut *conn)
                .await
                .unwrap();
            assert!(bound, "row {n}: the time equals the same time bound by sqlx");
            let expected = (r.0, r.1, r.2, r.3, r.4, r.5, r.6.clone(), back.7, r.8.clone(), r.9.clone(), r.10);
            assert_eq!(back, expected, "row {n}");
        }
        let nulls: bool = sqlx::query_scalar(
            "SELECT id IS NULL AND small IS NULL AND medium IS NULL AND big IS NULL AND x IS NULL AND flag IS NULL
                    AND words IS NULL AND at IS NULL AND doc IS NULL AND ids IS NULL AND day IS NULL FROM t WHERE n = 3",
        )
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        assert!(nulls);
        let none = CopyRows::new();
        none.send(&mut conn, "t", "n").await.unwrap();
    }
}
