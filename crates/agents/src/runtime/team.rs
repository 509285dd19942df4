//! The three agents built from one [`AgentsConfig`], each a [`Worker`] with its own client,
//! token and checkpoint file, run side by side until a shutdown. `reachspark agents --api URL`
//! and `reachspark serve --agents` both start the agents through here; only where the tokens
//! come from differs.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt as _;

use super::{run, CheckpointFile, RetryPolicy, Worker};
use crate::bandit::BanditError;
use crate::channels;
use crate::client::{ApiClient, ClientError, Tokens};
use crate::config::{AgentsConfig, ChannelKind, ConfigError, LeadSourceKind};
use crate::lead_finder::{Discovery, LeadFinder};
use crate::notify::HotLeadNotifier;
use crate::outreach::Outreach;
use crate::sales_manager::SalesManager;
use crate::sandbox::World;
use crate::sources::sandbox::SandboxSource;

/// Each agent's token source.
#[derive(Debug, Clone)]
pub struct TeamTokens {
    /// For the Lead Finder.
    pub lead_finder: Arc<dyn Tokens>,
    /// For the Sales Manager.
    pub sales_manager: Arc<dyn Tokens>,
    /// For Outreach.
    pub outreach: Arc<dyn Tokens>,
}

/// Why the agents could not be started.
#[derive(Debug, thiserror::Error)]
pub enum TeamError {
    /// The configuration cannot be used (a real channel without its secret, ...).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The bandit's prior is invalid.
    #[error("outreach.bandit: {0}")]
    Bandit(#[from] BanditError),
    /// The API address is not usable.
    #[error("api: {0}")]
    Client(#[from] ClientError),
    /// A checkpoint file could not be read.
    #[error("checkpoint {path}: {source}")]
    Checkpoint {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// The three workers, ready to run.
#[derive(Debug)]
pub struct Team {
    lead_finder: Worker<LeadFinder>,
    sales_manager: Worker<SalesManager>,
    outreach: Worker<Outreach>,
    /// Each one's longest wait between steps, in the order above.
    waits: [Duration; 3],
}

/// The checkpoint file of `agent` in `state_dir`.
pub fn checkpoint_path(state_dir: &Path, agent: &str) -> PathBuf {
    state_dir.join(format!("{agent}.json"))
}

impl Team {
    /// Builds the agents of `config` as clients of the API at `api` (e.g. `http://127.0.0.1:8080`),
    /// resuming each from its checkpoint in `state_dir`. `poll` is the longest a worker waits
    /// between steps when no event wakes it (the fallback when the subscription is down).
    pub fn build(
        config: &AgentsConfig,
        api: &str,
        tokens: TeamTokens,
        state_dir: &Path,
        poll: Duration,
    ) -> Result<Self, TeamError> {
        let clock = channels::sandbox_clock(config);
        let lf = &config.lead_finder;
        let sandbox = config.outreach.channel == ChannelKind::Sandbox || lf.source == LeadSourceKind::Sandbox;
        let people = if sandbox { usize::try_from(lf.sandbox_people).unwrap_or(usize::MAX) } else { 0 };
        let world = Arc::new(World::generate(lf.sandbox_seed, people));
        let channel = channels::build(config, Arc::clone(&world), Arc::clone(&clock))?;
        let notifier = || HotLeadNotifier::from_config(config);
        let outreach = Outreach::new(
            channel,
            config.outreach.bandit.build()?,
            config.outreach.approval.min_confidence,
            clock.now(),
        )
        .with_clock(Arc::clone(&clock))
        .with_notifier(notifier()?);
        // The daily search of the sandbox world, when a campaign is named for it.
        let mut finder = LeadFinder::new();
        if let (LeadSourceKind::Sandbox, Some(campaign_id)) = (lf.source, lf.campaign_id) {
            finder = finder.with_discovery(Discovery {
                source: SandboxSource::new(Arc::clone(&world), people),
                campaign_id,
                per_day: usize::try_from(lf.max_leads_per_day).unwrap_or(usize::MAX),
                clock: Arc::clone(&clock),
            });
        }
        let retry = RetryPolicy::default();
        let worker = |agent: &str, tokens: Arc<dyn Tokens>| -> Result<_, TeamError> {
            let path = checkpoint_path(state_dir, agent);
            Ok((ApiClient::with_tokens(api, tokens)?, CheckpointFile::new(path)))
        };
        let opened = |path: &Path| {
            let path = path.to_owned();
            move |source| TeamError::Checkpoint { path, source }
        };
        let (client, file) = worker(crate::actors::LEAD_FINDER, tokens.lead_finder)?;
        let path = file.path().to_owned();
        let lead_finder = Worker::new(finder, client, file, retry).map_err(opened(&path))?;
        let (client, file) = worker(crate::actors::SALES_MANAGER, tokens.sales_manager)?;
        let path = file.path().to_owned();
        let manager = SalesManager::new(config.sales_manager.clone(), Arc::clone(&clock)).with_notifier(notifier()?);
        let sales_manager = Worker::new(manager, client, file, retry).map_err(opened(&path))?;
        let (client, file) = worker(crate::actors::OUTREACH, tokens.outreach)?;
        let path = file.path().to_owned();
        let outreach = Worker::new(outreach, client, file, retry).map_err(opened(&path))?;
        // The configured intervals, capped by `poll`: a quiet agent still looks every `poll`.
        let hours = |h: u32| Duration::from_secs(u64::from(h) * 3600);
        let waits = [
            poll.min(hours(config.lead_finder.search_interval_hours)),
            poll.min(Duration::from_secs(u64::from(config.sales_manager.coordination_interval_minutes) * 60)),
            poll.min(hours(config.outreach.response_check_interval_hours)),
        ];
        Ok(Self { lead_finder, sales_manager, outreach, waits })
    }

    /// Runs the three until `shutdown` resolves; each finishes the event in hand and saves its
    /// checkpoint before it returns.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        let stop = shutdown.shared();
        let [lf, sm, out] = self.waits;
        tracing::info!("agents running");
        tokio::join!(
            run(self.lead_finder, lf, stop.clone()),
            run(self.sales_manager, sm, stop.clone()),
            run(self.outreach, out, stop),
        );
    }
}
