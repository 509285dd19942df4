//! Errors with `extensions.code`. Internal details are logged once and never returned.

use async_graphql::ErrorExtensions;

/// The codes a client can rely on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// No valid token.
    Unauthenticated,
    /// The token's role may not do this.
    Forbidden,
    /// Bad input; the message names the field.
    Validation,
    /// No such thing.
    NotFound,
    /// A version conflict.
    Conflict,
    /// Too many requests.
    RateLimited,
    /// Our fault; details are in the server log.
    Internal,
}

impl Code {
    /// The wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::Forbidden => "FORBIDDEN",
            Self::Validation => "VALIDATION",
            Self::NotFound => "NOT_FOUND",
            Self::Conflict => "CONFLICT",
            Self::RateLimited => "RATE_LIMITED",
            Self::Internal => "INTERNAL",
        }
    }
}

/// An error for the client.
#[derive(Debug)]
pub struct ApiError {
    code: Code,
    message: String,
    /// More machine-readable detail: the invalid `field`, a rejection's `reason`, versions.
    extensions: Vec<(&'static str, async_graphql::Value)>,
}

impl ApiError {
    /// An error with a message the client may see.
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), extensions: Vec::new() }
    }

    /// Adds a machine-readable detail under `extensions.<key>`.
    #[must_use]
    pub fn with(mut self, key: &'static str, value: impl Into<async_graphql::Value>) -> Self {
        self.extensions.push((key, value.into()));
        self
    }

    /// The code.
    pub fn code(&self) -> Code {
        self.code
    }

    /// An internal failure: logged here, shown as a bare "internal error".
    pub fn internal(err: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %err, "internal error while answering a GraphQL request");
        Self::new(Code::Internal, "internal error")
    }

    /// A validation error naming its field, also as `extensions.field`.
    pub fn validation(field: &str, problem: &str) -> Self {
        Self::new(Code::Validation, format!("{field}: {problem}")).with("field", field.to_owned())
    }
}

impl From<ApiError> for async_graphql::Error {
    fn from(e: ApiError) -> Self {
        async_graphql::Error::new(e.message).extend_with(|_, ext| {
            ext.set("code", e.code.as_str());
            for (key, value) in e.extensions {
                ext.set(key, value);
            }
        })
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        Self::internal(&e)
    }
}

impl From<reachspark_store::StoreError> for ApiError {
    fn from(e: reachspark_store::StoreError) -> Self {
        Self::internal(&e)
    }
}
