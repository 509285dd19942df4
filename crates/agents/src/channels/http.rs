//! What an HTTP failure means for a retry, shared by the provider channel and the webhook.

use reqwest::StatusCode;

use super::SendError;

/// How the agents introduce themselves to the servers they call.
pub(crate) const USER_AGENT: &str = concat!("reachspark-agents/", env!("CARGO_PKG_VERSION"));

/// 408, 425, 429 and 5xx may pass on a later try; any other 4xx will not (bad request, bad
/// key, unknown recipient).
pub(crate) fn status_error(status: StatusCode) -> SendError {
    let code = format!("http_{}", status.as_u16());
    let retry = status.is_server_error()
        || matches!(status, StatusCode::REQUEST_TIMEOUT | StatusCode::TOO_EARLY | StatusCode::TOO_MANY_REQUESTS);
    if retry {
        SendError::transient(code)
    } else {
        SendError::permanent(code)
    }
}

/// Network trouble is transient; the error's text (which names the URL) is not kept.
pub(crate) fn request_error(e: &reqwest::Error) -> SendError {
    if e.is_timeout() {
        SendError::transient("timeout")
    } else if e.is_connect() {
        SendError::transient("connect")
    } else if e.is_decode() {
        // The provider answered but not in the agreed shape; a retry with the same idempotency
        // key is safe and may meet a fixed deployment.
        SendError::transient("bad_response")
    } else if e.is_builder() {
        SendError::permanent("bad_request")
    } else {
        SendError::transient("network")
    }
}

/// A client whose every request ends within the timeout: a hung provider must not hold an
/// agent's step forever.
pub(crate) fn client(timeout_seconds: u32) -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(u64::from(timeout_seconds)))
        .connect_timeout(std::time::Duration::from_secs(u64::from(timeout_seconds.min(10))))
        .user_agent(USER_AGENT)
        .build()
}
