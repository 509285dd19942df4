//! The `Date` scalar: a UTC calendar day, the unit the read models count in.

use crate::clock::SharedClock;
use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::{NaiveDate, Utc};

/// A UTC calendar day, `YYYY-MM-DD` (ISO 8601).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Date(pub(crate) NaiveDate);

impl Date {
    /// Today in UTC, on the server's clock (the schema's [`SharedClock`]; the wall clock
    /// when none is set).
    pub(crate) fn today(ctx: &async_graphql::Context<'_>) -> Self {
        let now = ctx.data::<SharedClock>().map_or_else(|_| Utc::now(), |clock| clock.now());
        Self(now.date_naive())
    }
}

/// A UTC calendar day, `YYYY-MM-DD` (ISO 8601), e.g. `2025-03-14`.
#[Scalar(name = "Date", specified_by_url = "https://www.rfc-editor.org/rfc/rfc3339#section-5.6")]
impl ScalarType for Date {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map(Date)
                .map_err(|_| InputValueError::custom("expected a day as YYYY-MM-DD")),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.format("%Y-%m-%d").to_string())
    }
}
