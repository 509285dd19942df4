//! Checks of the `channels` and `notify` sections. Credentials are not read here (validation
//! stays pure); building a channel reads them and fails when they are missing.

use reachspark_domain::identity::Email;

use super::types::ChannelKind;
use super::validate::{invalid, positive, secret_env};
use super::{AgentsConfig, ConfigError, ProviderConfig, SmtpConfig, SmtpTls};

/// Whether `host` is this machine: the only place an unencrypted connection may go.
pub(crate) fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn smtp(c: &SmtpConfig) -> Result<(), ConfigError> {
    secret_env("channels.email.password_env", &c.password_env)?;
    if !c.enabled {
        return Ok(());
    }
    if c.host.trim().is_empty() {
        return Err(invalid("channels.email.host", "is required when email is enabled"));
    }
    if c.port == 0 {
        return Err(invalid("channels.email.port", "must be a port number"));
    }
    if c.tls == SmtpTls::None && !is_loopback_host(&c.host) {
        return Err(invalid("channels.email.tls", "none is allowed only towards localhost; use starttls or tls"));
    }
    if c.username.trim().is_empty() {
        return Err(invalid("channels.email.username", "is required when email is enabled"));
    }
    if Email::parse(&c.from_address).is_err() {
        return Err(invalid("channels.email.from_address", "must be an email address"));
    }
    if c.default_subject.trim().is_empty() {
        return Err(invalid("channels.email.default_subject", "must not be empty"));
    }
    positive("channels.email.timeout_seconds", c.timeout_seconds)
}

fn provider(c: &ProviderConfig) -> Result<(), ConfigError> {
    secret_env("channels.linkedin_provider.api_key_env", &c.api_key_env)?;
    if !c.enabled {
        return Ok(());
    }
    let field = "channels.linkedin_provider.base_url";
    let url = url::Url::parse(&c.base_url).map_err(|_| invalid(field, "must be an http(s) URL"))?;
    match (url.scheme(), url.host_str()) {
        ("https", Some(_)) => {}
        ("http", Some(host)) if is_loopback_host(host) => {}
        ("http", Some(_)) => return Err(invalid(field, "must be https (the bearer key would travel in clear)")),
        _ => return Err(invalid(field, "must be an http(s) URL")),
    }
    positive("channels.linkedin_provider.timeout_seconds", c.timeout_seconds)
}

/// Checks `channels`, `notify`, and that the chosen outreach channel is enabled.
pub(super) fn channels(config: &AgentsConfig) -> Result<(), ConfigError> {
    let ch = &config.channels;
    if !(ch.sandbox.time_scale.is_finite() && ch.sandbox.time_scale > 0.0) {
        return Err(invalid("channels.sandbox.time_scale", "must be a positive number"));
    }
    smtp(&ch.email)?;
    provider(&ch.linkedin_provider)?;
    let enabled = match config.outreach.channel {
        ChannelKind::Sandbox => true,
        ChannelKind::Email => ch.email.enabled,
        ChannelKind::LinkedinProvider => ch.linkedin_provider.enabled,
    };
    if !enabled {
        let section = match config.outreach.channel {
            ChannelKind::Email => "channels.email",
            _ => "channels.linkedin_provider",
        };
        return Err(invalid(
            "outreach.channel",
            format!("sends to real people, so {section}.enabled must be set to true as well"),
        ));
    }

    let n = &config.notify;
    secret_env("notify.webhook.url_env", &n.webhook.url_env)?;
    if !n.webhook.secret_env.is_empty() {
        secret_env("notify.webhook.secret_env", &n.webhook.secret_env)?;
    }
    positive("notify.webhook.timeout_seconds", n.webhook.timeout_seconds)?;
    if n.email.enabled {
        if !ch.email.enabled {
            return Err(invalid("notify.email.enabled", "email notifications need channels.email enabled"));
        }
        if n.email.to.is_empty() {
            return Err(invalid("notify.email.to", "name at least one address"));
        }
        if let Some(i) = n.email.to.iter().position(|a| Email::parse(a).is_err()) {
            return Err(invalid(&format!("notify.email.to[{i}]"), "must be an email address"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::is_loopback_host;

    #[test]
    fn loopback_hosts() {
        for host in ["localhost", "127.0.0.1", "127.3.4.5", "::1", "[::1]", "LocalHost"] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in ["smtp.example.com", "10.0.0.1", "localhost.example.com", ""] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }
}
