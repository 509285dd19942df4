//! The Sales Manager's daily operations, run once a day at `report_time`: allocate the backlog
//! as far as the day's budgets go, then report.

use std::collections::HashSet;

use chrono::NaiveDate;
use uuid::Uuid;

use super::{budget, Allocation, SalesManager};
use crate::client::ops::{self, Leads};
use crate::client::{ApiClient, ClientError};

impl SalesManager {
    /// Runs the daily operations of `day`. Returns how many items it acted on.
    pub(super) async fn daily(&mut self, api: &ApiClient, day: NaiveDate) -> Result<usize, ClientError> {
        let allocated = self.allocate_backlog(api, day).await?;
        tracing::info!(agent = crate::actors::SALES_MANAGER, %day, allocated, "backlog allocated");
        Ok(allocated + self.report(api, day).await?)
    }

    /// Allocates scored `New` leads, best scores first, until every channel's budget is
    /// spoken for. Returns how many it allocated.
    async fn allocate_backlog(&mut self, api: &ApiClient, day: NaiveDate) -> Result<usize, ClientError> {
        let channels = budget::channels(api).await?;
        let (mut allocated, mut after, mut exhausted) = (0, None, HashSet::new());
        loop {
            let page = api
                .run::<Leads>(ops::leads::Variables {
                    filter: Some(budget::status_filter("New", Some(1))),
                    first: Some(100),
                    after,
                })
                .await?
                .leads;
            for edge in page.edges {
                let Ok(lead_id) = Uuid::parse_str(&edge.node.id) else { continue };
                let key = format!("{}:daily:{day}:{lead_id}:allocate", crate::actors::SALES_MANAGER);
                match self.allocate(api, lead_id, None, key).await? {
                    Allocation::Allocated => allocated += 1,
                    Allocation::NoBudget(channel) => {
                        exhausted.insert(channel);
                    }
                    Allocation::NotReady | Allocation::OutsideTargeting => {}
                }
                // Every account's budget spent: the rest of the backlog waits for tomorrow.
                if exhausted.is_superset(&channels) {
                    return Ok(allocated);
                }
            }
            if !page.page_info.has_next_page {
                return Ok(allocated);
            }
            after = page.page_info.end_cursor;
        }
    }
}
