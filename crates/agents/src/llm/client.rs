//! One request to an OpenAI-compatible chat completions endpoint, through async-openai, and
//! what its failure means: worth retrying (timeouts, 429, 5xx, connection trouble) or not
//! (any other 4xx, such as a bad key).
//!
//! async-openai's own retry layer is replaced by a bare transport (`with_http_service`), so
//! that retries, their backoff and the circuit breaker are ours and counted in one place.
//! Nothing here logs or returns the key, the prompt or the provider's error text (OpenAI's 401
//! message quotes part of the key); failures are described by status code only.

use std::time::Duration;

use async_openai::config::OpenAIConfig;
use async_openai::error::OpenAIError;
use async_openai::middleware::ReqwestService;
use async_openai::types::chat::{
    ChatCompletionRequestMessage, ChatCompletionRequestSystemMessage, ChatCompletionRequestUserMessage,
    CreateChatCompletionRequest, ResponseFormat, ResponseFormatJsonSchema,
};
use async_openai::Client;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

/// What the engine asks: instructions, the case as JSON, and the JSON Schema of the answer.
#[derive(Debug, Clone)]
pub(crate) struct Prompt {
    /// The schema's name (`[a-z_]`), also the task's name in logs.
    pub(crate) task: &'static str,
    pub(crate) system: String,
    pub(crate) user: String,
    pub(crate) schema: serde_json::Value,
}

/// The model's reply and the tokens it cost, when the server says.
#[derive(Debug, Clone)]
pub(crate) struct Completion {
    pub(crate) content: Option<String>,
    pub(crate) usage: Option<(u64, u64)>,
}

/// Why a request brought no completion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SendError {
    /// May work if tried again: timeout, connection trouble, 408, 429, 5xx.
    Transient(String),
    /// Will not work if tried again: any other 4xx (bad key, unknown model, bad request).
    Permanent(String),
    /// A 2xx whose body is not a chat completion.
    Malformed,
}

/// A client for one agent's endpoint, model and key.
#[derive(Debug)]
pub(crate) struct Provider {
    client: Client<OpenAIConfig>,
    model: String,
    max_tokens: u32,
    temperature: f32,
    timeout: Duration,
}

/// Whether `key` can travel in an `Authorization` header (async-openai would panic otherwise).
pub(crate) fn usable_key(key: &SecretString) -> bool {
    let key = key.expose_secret();
    !key.is_empty() && key.bytes().all(|b| b.is_ascii_graphic())
}

impl Provider {
    /// A client for `base_url` (e.g. `http://127.0.0.1:8080/v1`). The key must satisfy
    /// [`usable_key`].
    pub(crate) fn new(
        base_url: &str,
        api_key: &SecretString,
        model: &str,
        max_tokens: u32,
        temperature: f32,
        timeout: Duration,
    ) -> Self {
        // reqwest is built without a TLS provider of its own; ring is the one already linked.
        // Err means one is installed already, which is as good.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let config = OpenAIConfig::new()
            .with_api_base(base_url.trim_end_matches('/'))
            .with_api_key(api_key.expose_secret())
            // Not taken from OPENAI_ORG_ID / OPENAI_PROJECT_ID: a local server must not get them.
            .with_org_id("")
            .with_project_id("");
        let client = Client::with_config(config).with_http_service(ReqwestService::default());
        Self { client, model: model.to_owned(), max_tokens, temperature, timeout }
    }

    /// The request for `prompt`: strict JSON-Schema output, the configured length and
    /// temperature.
    pub(crate) fn request(&self, prompt: &Prompt) -> CreateChatCompletionRequest {
        let messages: Vec<ChatCompletionRequestMessage> = vec![
            ChatCompletionRequestSystemMessage::from(prompt.system.as_str()).into(),
            ChatCompletionRequestUserMessage::from(prompt.user.as_str()).into(),
        ];
        CreateChatCompletionRequest {
            messages,
            model: self.model.clone(),
            max_completion_tokens: Some(self.max_tokens),
            temperature: Some(self.temperature),
            response_format: Some(ResponseFormat::JsonSchema {
                json_schema: ResponseFormatJsonSchema {
                    description: None,
                    name: prompt.task.to_owned(),
                    schema: prompt.schema.clone(),
                    strict: Some(true),
                },
            }),
            ..CreateChatCompletionRequest::default()
        }
    }

    /// Sends one request, bounded by the timeout.
    pub(crate) async fn send(&self, request: CreateChatCompletionRequest) -> Result<Completion, SendError> {
        let answer = tokio::time::timeout(self.timeout, self.client.chat().create(request)).await;
        let response = match answer {
            Err(_) => return Err(SendError::Transient(format!("no answer within {:?}", self.timeout))),
            Ok(Err(e)) => return Err(classify(&e)),
            Ok(Ok(response)) => response,
        };
        let content = response.choices.into_iter().next().and_then(|c| c.message.content);
        let usage = response.usage.map(|u| (u64::from(u.prompt_tokens), u64::from(u.completion_tokens)));
        Ok(Completion { content, usage })
    }
}

fn classify(error: &OpenAIError) -> SendError {
    match error {
        OpenAIError::ApiError(e) => {
            let status = e.status_code.as_u16();
            if status == 408 || status == 429 || e.status_code.is_server_error() {
                SendError::Transient(format!("HTTP {status}"))
            } else {
                SendError::Permanent(format!("HTTP {status}"))
            }
        }
        OpenAIError::Reqwest(e) if e.is_builder() => SendError::Permanent("the request could not be built".to_owned()),
        OpenAIError::Reqwest(e) if e.is_timeout() => SendError::Transient("timed out".to_owned()),
        OpenAIError::Reqwest(e) if e.is_connect() => SendError::Transient("could not connect".to_owned()),
        OpenAIError::Reqwest(_) => SendError::Transient("the connection failed".to_owned()),
        OpenAIError::JSONDeserialize(..) => SendError::Malformed,
        _ => SendError::Permanent("the client refused the request".to_owned()),
    }
}

/// SHA-256, hex: how prompts and responses are identified in decisions and in the cache.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The hash of exactly what is sent (model, temperature, length, messages, schema), so that a
/// change to any of them is a different prompt.
pub(crate) fn prompt_hash(request: &CreateChatCompletionRequest) -> String {
    sha256_hex(&serde_json::to_vec(request).unwrap_or_default())
}

/// The provider's name for decisions: the endpoint's host, e.g. `api.openai.com` or
/// `127.0.0.1:8080` (never a path, query or credentials).
pub(crate) fn provider_name(base_url: &str) -> String {
    let rest = base_url.split_once("://").map_or(base_url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    let host = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    format!("openai-compatible:{host}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_provider_is_named_by_host_only() {
        assert_eq!(provider_name("https://api.openai.com/v1"), "openai-compatible:api.openai.com");
        assert_eq!(provider_name("http://user:pw@127.0.0.1:8080/v1?x=1"), "openai-compatible:127.0.0.1:8080");
    }

    #[test]
    fn keys_that_cannot_be_sent_are_refused() {
        assert!(usable_key(&SecretString::from("sk-abc123")));
        assert!(!usable_key(&SecretString::from("")));
        assert!(!usable_key(&SecretString::from("sk-abc\n123")));
        assert!(!usable_key(&SecretString::from("sk abc")));
    }
}
