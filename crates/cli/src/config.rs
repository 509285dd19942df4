//! Typed configuration from flags and environment. Every variable is listed in `.env.sample`.

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use reachspark_api::http::rate_limit::{DEFAULT_BURST, DEFAULT_PER_SECOND};
use reachspark_api::http::{Limits, RateLimit, DEFAULT_BODY_LIMIT_BYTES};
use secrecy::SecretString;

/// ReachSpark: an event-sourced backend for an AI sales department.
#[derive(Debug, Parser)]
#[command(name = "reachspark", version, about)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) database: DatabaseArgs,

    /// Log format on stderr.
    #[arg(long, env = "REACHSPARK_LOG_FORMAT", value_enum, default_value_t = LogFormat::Pretty, global = true)]
    pub(crate) log_format: LogFormat,

    /// What to do; `serve` when omitted.
    #[command(subcommand)]
    pub(crate) command: Option<Command>,
}

/// Where the data lives.
#[derive(Debug, Args)]
pub(crate) struct DatabaseArgs {
    /// PostgreSQL URL. Without it, an embedded cluster runs from the machine's PostgreSQL
    /// binaries with its data under --data-dir.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true, global = true)]
    pub(crate) database_url: Option<SecretString>,

    /// Directory for the embedded cluster and the generated master key.
    #[arg(long, env = "REACHSPARK_DATA_DIR", default_value = ".reachspark", global = true)]
    pub(crate) data_dir: PathBuf,

    /// Base64 of 32 bytes that wraps every personal-data key. Without it, one is generated
    /// once into --data-dir/master.key.
    #[arg(long, env = "REACHSPARK_MASTER_KEY", hide_env_values = true, global = true)]
    pub(crate) master_key: Option<SecretString>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum LogFormat {
    /// Human-readable lines.
    Pretty,
    /// One JSON object per line (production).
    Json,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run the server: migrations, then the HTTP API until SIGINT or SIGTERM.
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate,
    /// Integrity of the event log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Read models: status, rebuild, resume.
    #[command(subcommand)]
    Projections(ProjectionsCommand),
    /// Benchmarks; each prints its figures and the ratio to a baseline measured in the same run.
    #[command(subcommand)]
    Bench(BenchCommand),
    /// API tokens (HS256, signed with REACHSPARK_JWT_SECRET).
    #[command(subcommand)]
    Token(TokenCommand),
    /// Run the three agents (Lead Finder, Sales Manager, Outreach) as clients of a running API
    /// until SIGINT or SIGTERM.
    Agents(AgentsArgs),
    /// The whole system on an accelerated clock over a sandbox world, graded against its
    /// hidden truth (runs in a fresh database beside the product's, dropped afterwards).
    Demo(DemoArgs),
}

#[derive(Debug, Clone, Args)]
pub(crate) struct DemoArgs {
    /// People in the sandbox world; the Lead Finder discovers them over the first half of the run.
    #[arg(long, default_value_t = 2000)]
    pub(crate) leads: usize,
    /// Simulated days.
    #[arg(long, default_value_t = 14)]
    pub(crate) days: u32,
    /// Seed of the world (people, hidden truth, replies) and of the agents' choices.
    #[arg(long, default_value_t = 7)]
    pub(crate) seed: u64,
    /// Sandbox LinkedIn sender accounts (20 invitations a day, 100 a week, 45 actions a day each).
    #[arg(long, default_value_t = 5)]
    pub(crate) accounts: usize,
    /// Simulated minutes between the agents' turns during working hours (08:00–18:00 UTC).
    #[arg(long, default_value_t = 10)]
    pub(crate) tick_minutes: u32,
    /// Keep the demo's database afterwards (named `reachspark_demo_<seed>`) for querying.
    #[arg(long)]
    pub(crate) keep: bool,
}

impl Default for Command {
    fn default() -> Self {
        Self::Serve(ServeArgs::default())
    }
}

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Address to listen on (port 0 picks a free port; the chosen address is logged).
    #[arg(long, env = "REACHSPARK_LISTEN", default_value = "127.0.0.1:8080")]
    pub(crate) listen: SocketAddr,

    /// Seconds between audit checkpoints (0 disables them).
    #[arg(long, env = "REACHSPARK_CHECKPOINT_SECS", default_value_t = 300)]
    pub(crate) checkpoint_secs: u64,

    /// Database connections in the server's pool (API requests, projection runners, checkpoints).
    #[arg(long, env = "REACHSPARK_DB_CONNECTIONS", default_value_t = 20)]
    pub(crate) db_connections: u32,

    /// HS256 secret that API tokens are signed with (at least 32 bytes); mint tokens with
    /// `reachspark token issue`. Without it (or a public key) /graphql authenticates nobody.
    #[arg(long, env = "REACHSPARK_JWT_SECRET", hide_env_values = true)]
    pub(crate) jwt_secret: Option<SecretString>,

    /// RS256 public key (PEM text or a file path), instead of the HS256 secret.
    #[arg(long, env = "REACHSPARK_JWT_PUBLIC_KEY_PEM")]
    pub(crate) jwt_public_key: Option<String>,

    /// Largest request body accepted, in bytes; larger ones are answered 413.
    #[arg(long, env = "REACHSPARK_BODY_LIMIT_BYTES", default_value_t = DEFAULT_BODY_LIMIT_BYTES)]
    pub(crate) body_limit_bytes: usize,

    /// Requests per second per token subject (per client address without a valid token);
    /// more are answered 429 with `RATE_LIMITED` and `Retry-After`.
    #[arg(long, env = "REACHSPARK_RATE_LIMIT_PER_SEC", default_value_t = DEFAULT_PER_SECOND)]
    pub(crate) rate_limit_per_sec: NonZeroU32,

    /// Requests a caller may send at once, above the sustained rate.
    #[arg(long, env = "REACHSPARK_RATE_LIMIT_BURST", default_value_t = DEFAULT_BURST)]
    pub(crate) rate_limit_burst: NonZeroU32,

    /// Also run the three agents in this process, as clients of this server with tokens minted
    /// from REACHSPARK_JWT_SECRET (so not with an RS256 public key alone).
    #[arg(long, env = "REACHSPARK_AGENTS", value_parser = clap::builder::BoolishValueParser::new())]
    pub(crate) agents: bool,

    #[command(flatten)]
    pub(crate) agent_options: AgentOptions,
}

/// How the agents run, wherever they run.
#[derive(Debug, Clone, Args)]
pub(crate) struct AgentOptions {
    /// The agents' YAML configuration; all defaults (sandbox channel, rules engine) when the
    /// file does not exist.
    #[arg(
        long = "config",
        visible_alias = "agents-config",
        env = "REACHSPARK_AGENTS_CONFIG",
        default_value = "config/agents.yaml"
    )]
    pub(crate) config: PathBuf,

    /// Where each agent keeps its checkpoint file (cursor, dead letters, learned state).
    #[arg(long = "state-dir", env = "REACHSPARK_AGENTS_STATE_DIR", default_value = ".reachspark/agents")]
    pub(crate) state_dir: PathBuf,

    /// The longest an agent waits between two looks at the log when no event wakes it (the
    /// fallback while the event subscription is down), in seconds.
    #[arg(
        long = "poll-secs",
        visible_alias = "agents-poll-secs",
        env = "REACHSPARK_AGENTS_POLL_SECS",
        default_value_t = 30
    )]
    pub(crate) poll_secs: u64,
}

#[derive(Debug, Args)]
pub(crate) struct AgentsArgs {
    /// The API to work through, e.g. http://127.0.0.1:8080 (`/graphql` is appended).
    #[arg(long, env = "REACHSPARK_API_URL")]
    pub(crate) api: String,

    #[command(flatten)]
    pub(crate) options: AgentOptions,

    /// The Lead Finder's token; without it, one is minted with REACHSPARK_JWT_SECRET.
    #[arg(long, env = "REACHSPARK_AGENT_TOKEN_LEAD_FINDER", hide_env_values = true)]
    pub(crate) lead_finder_token: Option<SecretString>,

    /// The Sales Manager's token; without it, one is minted with REACHSPARK_JWT_SECRET.
    #[arg(long, env = "REACHSPARK_AGENT_TOKEN_SALES_MANAGER", hide_env_values = true)]
    pub(crate) sales_manager_token: Option<SecretString>,

    /// Outreach's token; without it, one is minted with REACHSPARK_JWT_SECRET.
    #[arg(long, env = "REACHSPARK_AGENT_TOKEN_OUTREACH", hide_env_values = true)]
    pub(crate) outreach_token: Option<SecretString>,

    /// The API's HS256 secret, to mint (and renew) the tokens not given.
    #[arg(long, env = "REACHSPARK_JWT_SECRET", hide_env_values = true)]
    pub(crate) jwt_secret: Option<SecretString>,
}

impl ServeArgs {
    /// The HTTP limits these flags describe.
    pub(crate) fn limits(&self) -> Limits {
        Limits {
            body_bytes: self.body_limit_bytes,
            rate: RateLimit { per_second: self.rate_limit_per_sec, burst: self.rate_limit_burst },
        }
    }
}

impl Default for ServeArgs {
    fn default() -> Self {
        // Same defaults as the flags, read from the environment like clap would.
        let parsed = Cli::parse_from(["reachspark", "serve"]);
        match parsed.command {
            Some(Command::Serve(args)) => args,
            _ => unreachable!("`serve` parses as the serve command"),
        }
    }
}

#[derive(Debug, Subcommand)]
pub(crate) enum AuditCommand {
    /// Recompute every hash chain and checkpoint; exit 1 when anything does not match.
    Verify {
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Record a checkpoint over everything appended since the last one.
    Checkpoint,
}

#[derive(Debug, Subcommand)]
pub(crate) enum ProjectionsCommand {
    /// Each projection's position, lag and state.
    Status {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Rebuild one projection (or all) into shadow tables and swap them in.
    Rebuild {
        /// The projection; all when omitted.
        name: Option<String>,
        /// Events per batch.
        #[arg(long, default_value_t = 5_000)]
        batch: i64,
    },
    /// Clear a failed projection so it retries the event it stopped on.
    Resume {
        /// The projection.
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum BenchCommand {
    /// Append throughput through the real store path against plain INSERTs of identical rows.
    Append(AppendBench),
    /// Full rebuild of every read model against reading the log alone.
    Projections(ProjectionsBench),
    /// Commit-to-delivery latency of the `events` subscription under many WebSocket
    /// subscribers, and the server's memory (the server runs as a child process).
    Subscriptions(SubscriptionsBench),
    /// GraphQL reads (`leads` with a filter, `explain`) under load against PostGraphile v5
    /// serving the same `read` schema of the same database.
    Api(ApiBench),
    /// Commands through the API (64 connections) against the same commands through the store's
    /// command path in-process.
    Mutations(MutationsBench),
}

#[derive(Debug, Clone, Args)]
pub(crate) struct MutationsBench {
    /// Concurrent keep-alive connections (API) and concurrent callers (store).
    #[arg(long, default_value_t = 64)]
    pub(crate) connections: usize,
    /// Seconds per side and round.
    #[arg(long, default_value_t = 10)]
    pub(crate) seconds: u64,
    /// Rounds; medians are reported.
    #[arg(long, default_value_t = 3)]
    pub(crate) rounds: usize,
}

#[derive(Debug, Clone, Args)]
pub(crate) struct SubscriptionsBench {
    /// Concurrent WebSocket subscribers, one socket each.
    #[arg(long, default_value_t = 10_000)]
    pub(crate) subscribers: usize,
    /// How many of them follow every event (no filter); the others each follow one lead's
    /// stream (`filter: {streamId}`), and appends go round-robin over those streams.
    #[arg(long, default_value_t = 0)]
    pub(crate) firehose: usize,
    /// Events appended per second (one event per command).
    #[arg(long, default_value_t = 1_000)]
    pub(crate) rate: u64,
    /// How long to append.
    #[arg(long, default_value_t = 30)]
    pub(crate) seconds: u64,
    /// Concurrent appenders sharing the rate.
    #[arg(long, default_value_t = 16)]
    pub(crate) writers: usize,
}

#[derive(Debug, Clone, Args)]
pub(crate) struct ApiBench {
    /// Leads to seed (each with its realistic story of about nine events).
    #[arg(long, default_value_t = 100_000)]
    pub(crate) leads: usize,
    /// Concurrent keep-alive connections of the load generator.
    #[arg(long, default_value_t = 64)]
    pub(crate) connections: u32,
    /// Load generator threads.
    #[arg(long, default_value_t = 2)]
    pub(crate) threads: u32,
    /// Load per round, server and query.
    #[arg(long, default_value = "10s")]
    pub(crate) duration: humantime::Duration,
    /// Rounds; each loads both servers with both queries, alternating which goes first.
    #[arg(long, default_value_t = 5)]
    pub(crate) rounds: usize,
    /// Database connections of each server's pool.
    #[arg(long, default_value_t = 20)]
    pub(crate) pool: u32,
    /// Keep the seeded database afterwards (its name is printed) to reuse with --reuse.
    #[arg(long)]
    pub(crate) keep: bool,
    /// Reuse a database seeded and kept by an earlier run instead of seeding a new one.
    #[arg(long, value_name = "NAME")]
    pub(crate) reuse: Option<String>,
    /// Where node 22 and PostGraphile are installed with npm when missing
    /// (default: ~/.cache/reachspark/postgraphile).
    #[arg(long, env = "REACHSPARK_POSTGRAPHILE_DIR")]
    pub(crate) postgraphile_dir: Option<std::path::PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub(crate) struct ProjectionsBench {
    /// Events to seed (a realistic mix of lead, account and campaign events).
    #[arg(long, default_value_t = 100_000)]
    pub(crate) events: usize,
    /// Events per rebuild batch.
    #[arg(long, default_value_t = 5_000)]
    pub(crate) batch: i64,
    /// Rounds of (read alone, rebuild); medians are reported.
    #[arg(long, default_value_t = 3)]
    pub(crate) rounds: usize,
    /// Keep the seeded database afterwards (its name is printed) to reuse with --reuse.
    #[arg(long)]
    pub(crate) keep: bool,
    /// Reuse a database seeded and kept by an earlier run instead of seeding a new one.
    #[arg(long, value_name = "NAME")]
    pub(crate) reuse: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub(crate) struct AppendBench {
    /// Concurrent writers.
    #[arg(long, default_value_t = 8)]
    pub(crate) writers: usize,
    /// Streams (each writer owns streams so writers never conflict).
    #[arg(long, default_value_t = 256)]
    pub(crate) streams: usize,
    /// Events per append (one command, one transaction).
    #[arg(long, default_value_t = 10)]
    pub(crate) batch: usize,
    /// Events per round and side.
    #[arg(long, default_value_t = 20_000)]
    pub(crate) events: usize,
    /// Rounds; each runs the store and the plain INSERTs side by side; medians are reported.
    #[arg(long, default_value_t = 5)]
    pub(crate) rounds: usize,
}

#[derive(Debug, Subcommand)]
pub(crate) enum TokenCommand {
    /// Mint a token and print it on stdout (nothing else goes there).
    Issue(TokenIssueArgs),
}

#[derive(Debug, Args)]
pub(crate) struct TokenIssueArgs {
    /// What the token may do: admin, operator, agent, auditor, analyst, crm_sync.
    #[arg(long)]
    pub(crate) role: reachspark_api::auth::Role,
    /// The subject: a person's login, an agent's identity or a service name.
    #[arg(long)]
    pub(crate) sub: String,
    /// Extra grant; repeatable. `pii` unmasks personal data.
    #[arg(long = "scope")]
    pub(crate) scopes: Vec<String>,
    /// For `--role agent`: lead_finder, sales_manager or outreach.
    #[arg(long)]
    pub(crate) agent: Option<reachspark_api::auth::AgentName>,
    /// Lifetime, e.g. 15m, 1h, 7d.
    #[arg(long, default_value = "1h")]
    pub(crate) ttl: humantime::Duration,
    /// The server's HS256 secret (at least 32 bytes).
    #[arg(long, env = "REACHSPARK_JWT_SECRET", hide_env_values = true)]
    pub(crate) jwt_secret: Option<SecretString>,
}
