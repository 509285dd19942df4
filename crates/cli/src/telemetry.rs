//! Logs on stderr: pretty for people, JSON in production; `RUST_LOG` overrides the level.
//! Never log secrets or personal data: fields carry ids, counts and error codes.

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// `batch`: a command whose statements run long by design (a rebuild streams the log in runs of
/// seconds, builds indexes, copies whole tables), so sqlx's "slow statement" warning, useful
/// for a server, is only noise there.
pub(crate) fn init(format: LogFormat, batch: bool) {
    let default = if batch { "info,sqlx=warn,sqlx::query=error" } else { "info,sqlx=warn" };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Pretty => builder.init(),
        LogFormat::Json => builder.json().flatten_event(true).init(),
    }
}
