//! Fetching a page: http(s) only, a timeout, a size cap, HTML only, and a status other than
//! success is an error (a 404 is not "a page with nobody on it").

use std::time::Duration;

use url::Url;

use super::{extract_people, WebCandidate};

/// Why a page gave no candidates.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebSourceError {
    /// Not an absolute http(s) URL.
    #[error("not an http(s) URL")]
    InvalidUrl,
    /// The server answered with a status other than success.
    #[error("the page answered HTTP {0}")]
    Status(u16),
    /// The page is not HTML.
    #[error("the page is not HTML")]
    NotHtml,
    /// The page is larger than the cap.
    #[error("the page is larger than {0} bytes")]
    TooLarge(usize),
    /// The server could not be reached or did not answer in time.
    #[error("network: {0}")]
    Network(&'static str),
}

/// Fetches pages and extracts people from them.
#[derive(Debug, Clone)]
pub struct WebSource {
    client: reqwest::Client,
    max_bytes: usize,
}

impl WebSource {
    /// Largest page read, in bytes: speaker pages with inline images stay well below it.
    pub const DEFAULT_MAX_BYTES: usize = 4 * 1024 * 1024;

    /// A source whose requests end within `timeout`.
    pub fn new(timeout: Duration) -> Result<Self, WebSourceError> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .user_agent(concat!("reachspark-lead-finder/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|_| WebSourceError::Network("client"))?;
        Ok(Self { client, max_bytes: Self::DEFAULT_MAX_BYTES })
    }

    /// The same source with another size cap.
    pub fn with_max_bytes(self, max_bytes: usize) -> Self {
        Self { max_bytes, ..self }
    }

    /// Fetches `url` and returns the HTML and the final URL (after redirects).
    pub async fn fetch(&self, url: &str) -> Result<(String, Url), WebSourceError> {
        let url = Url::parse(url).map_err(|_| WebSourceError::InvalidUrl)?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(WebSourceError::InvalidUrl);
        }
        let network = |e: reqwest::Error| WebSourceError::Network(if e.is_timeout() { "timeout" } else { "connect" });
        let mut response =
            self.client.get(url).header("Accept", "text/html,application/xhtml+xml").send().await.map_err(network)?;
        if !response.status().is_success() {
            return Err(WebSourceError::Status(response.status().as_u16()));
        }
        let content_type = response.headers().get(reqwest::header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
        if content_type.is_some_and(|t| !(t.contains("text/html") || t.contains("application/xhtml"))) {
            return Err(WebSourceError::NotHtml);
        }
        if response.content_length().is_some_and(|n| n > u64::try_from(self.max_bytes).unwrap_or(u64::MAX)) {
            return Err(WebSourceError::TooLarge(self.max_bytes));
        }
        let final_url = response.url().clone();
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(network)? {
            if body.len() + chunk.len() > self.max_bytes {
                return Err(WebSourceError::TooLarge(self.max_bytes));
            }
            body.extend_from_slice(&chunk);
        }
        // Pages are UTF-8 in practice; a stray byte costs a character, not the page.
        Ok((String::from_utf8_lossy(&body).into_owned(), final_url))
    }

    /// The people on the page at `url`.
    pub async fn fetch_people(&self, url: &str) -> Result<Vec<WebCandidate>, WebSourceError> {
        let (html, final_url) = self.fetch(url).await?;
        Ok(extract_people(&html, &final_url))
    }
}
