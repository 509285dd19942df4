//! The Sales Manager's daily operations, run once a day at `report_time`.

use chrono::NaiveDate;

use super::SalesManager;
use crate::client::{ApiClient, ClientError};

impl SalesManager {
    /// Runs the daily operations of `day`: the daily report. Returns how many items it acted on.
    pub(super) async fn daily(&mut self, api: &ApiClient, day: NaiveDate) -> Result<usize, ClientError> {
        self.report(api, day).await
    }
}
