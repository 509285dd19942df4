//! Logs on stderr: pretty for people, JSON in production; `RUST_LOG` overrides the level.
//! Never log secrets or personal data: fields carry ids, counts and error codes.

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

pub(crate) fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Pretty => builder.init(),
        LogFormat::Json => builder.json().flatten_event(true).init(),
    }
}
