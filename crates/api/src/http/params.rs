//! The GraphQL-over-HTTP request parameters (`query`, `operationName`, `variables`,
//! `extensions`), read from a GET query string or a POST `application/json` body, with the
//! spec's answer for each way they can be wrong.

use std::collections::HashMap;

use async_graphql::parser::types::{DocumentOperations, OperationType};
use async_graphql::Variables;
use axum::extract::Query;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode, Uri};
use serde_json::{Map, Value};

/// Why the parameters could not be read. Each maps to one status code and a message that
/// names the parameter; none quotes the request back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParamsError {
    /// A POST without `Content-Type: application/json` (415).
    #[error("a POST to /graphql needs `Content-Type: application/json`")]
    UnsupportedMediaType,
    /// The body is longer than the configured limit (413).
    #[error("the request body is larger than {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The body could not be read from the connection (400).
    #[error("the request body could not be read")]
    Unreadable,
    /// The body is empty, not JSON, or not a JSON object (400).
    #[error("the request body is not a JSON object: {0}")]
    NotJson(&'static str),
    /// A parameter is missing or has the wrong type (400).
    #[error("{parameter}: {problem}")]
    Invalid {
        /// `query`, `operationName`, `variables` or `extensions`.
        parameter: &'static str,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// A GET asked for a mutation or subscription (405; GET must be safe).
    #[error("only queries may be sent with GET; send mutations with POST")]
    MutationOverGet,
}

impl ParamsError {
    /// The HTTP status the spec asks for.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Unreadable | Self::NotJson(_) | Self::Invalid { .. } => StatusCode::BAD_REQUEST,
            Self::MutationOverGet => StatusCode::METHOD_NOT_ALLOWED,
        }
    }
}

/// The request from a GET's query string. `variables` and `extensions` are JSON texts there.
pub fn from_query_string(uri: &Uri) -> Result<async_graphql::Request, ParamsError> {
    let Query(pairs) = Query::<HashMap<String, String>>::try_from_uri(uri)
        .map_err(|_| ParamsError::Invalid { parameter: "query", problem: "the query string is not URL-encoded" })?;
    let json_text = |parameter: &'static str| -> Result<Value, ParamsError> {
        pairs.get(parameter).map_or(Ok(Value::Null), |text| {
            serde_json::from_str(text).map_err(|_| ParamsError::Invalid { parameter, problem: "must be JSON" })
        })
    };
    let params = Map::from_iter([
        ("query".to_owned(), pairs.get("query").cloned().map_or(Value::Null, Value::String)),
        ("operationName".to_owned(), pairs.get("operationName").cloned().map_or(Value::Null, Value::String)),
        ("variables".to_owned(), json_text("variables")?),
        ("extensions".to_owned(), json_text("extensions")?),
    ]);
    let request = from_map(params)?;
    if mutates(&request) {
        return Err(ParamsError::MutationOverGet);
    }
    Ok(request)
}

/// A POST's body must be `application/json`; checked before the body is read.
pub fn require_json(headers: &HeaderMap) -> Result<(), ParamsError> {
    if is_json(headers) {
        Ok(())
    } else {
        Err(ParamsError::UnsupportedMediaType)
    }
}

/// The request from a POST's JSON body (already read within the size limit).
pub fn from_json_body(body: &[u8]) -> Result<async_graphql::Request, ParamsError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ParamsError::NotJson("it is empty"));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(params)) => from_map(params),
        Ok(Value::Array(_)) => Err(ParamsError::NotJson("batched requests are not supported")),
        Ok(_) => Err(ParamsError::NotJson("it is another JSON value")),
        Err(_) => Err(ParamsError::NotJson("it does not parse")),
    }
}

/// `application/json`, with no charset or UTF-8 (JSON is UTF-8 by definition, RFC 8259 §8.1).
fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let mut parts = value.split(';');
    let essence_ok = parts.next().is_some_and(|e| e.trim().eq_ignore_ascii_case("application/json"));
    let charset_ok = parts.filter_map(|p| p.split_once('=')).all(|(k, v)| {
        !k.trim().eq_ignore_ascii_case("charset") || v.trim().trim_matches('"').eq_ignore_ascii_case("utf-8")
    });
    essence_ok && charset_ok
}

fn from_map(mut params: Map<String, Value>) -> Result<async_graphql::Request, ParamsError> {
    let query = match params.remove("query") {
        Some(Value::String(query)) => query,
        None | Some(Value::Null) => return Err(ParamsError::Invalid { parameter: "query", problem: "missing" }),
        Some(_) => return Err(ParamsError::Invalid { parameter: "query", problem: "must be a string" }),
    };
    let mut request = async_graphql::Request::new(query);
    match params.remove("operationName") {
        None | Some(Value::Null) => {}
        Some(Value::String(name)) => request = request.operation_name(name),
        Some(_) => return Err(ParamsError::Invalid { parameter: "operationName", problem: "must be a string" }),
    }
    if let Some(variables) = object(&mut params, "variables")? {
        request = request.variables(Variables::from_json(Value::Object(variables)));
    }
    if let Some(extensions) = object(&mut params, "extensions")? {
        for (key, value) in extensions {
            let value = async_graphql::Value::from_json(value)
                .map_err(|_| ParamsError::Invalid { parameter: "extensions", problem: "must be a map" })?;
            request.extensions.insert(key, value);
        }
    }
    Ok(request)
}

fn object(params: &mut Map<String, Value>, parameter: &'static str) -> Result<Option<Map<String, Value>>, ParamsError> {
    match params.remove(parameter) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map)) => Ok(Some(map)),
        Some(_) => Err(ParamsError::Invalid { parameter, problem: "must be a map" }),
    }
}

/// Whether the operation the request selects is a mutation or a subscription. A document
/// that does not parse, or names no operation unambiguously, is left to execution to report.
fn mutates(request: &async_graphql::Request) -> bool {
    let Ok(document) = async_graphql::parser::parse_query(&request.query) else {
        return false;
    };
    let operation = match (&document.operations, request.operation_name.as_deref()) {
        (DocumentOperations::Single(operation), _) => Some(operation),
        (DocumentOperations::Multiple(operations), Some(name)) => operations.get(name),
        (DocumentOperations::Multiple(_), None) => None,
    };
    operation.is_some_and(|op| op.node.ty != OperationType::Query)
}
