//! The daily report, performance alerts and strategy updates.

use chrono::NaiveDate;

use super::SalesManager;
use crate::client::{ApiClient, ClientError};

impl SalesManager {
    /// Publishes the daily report of `day`. Returns how many items it published.
    pub(super) async fn report(&mut self, _api: &ApiClient, _day: NaiveDate) -> Result<usize, ClientError> {
        Ok(0)
    }
}
