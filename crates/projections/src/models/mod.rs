//! The read models. Each module owns its tables in schema `read` (see docs/READ_MODELS.md).

mod agent_activity;
mod agent_errors;
mod decisions;
mod leads;
mod pipeline_daily;
mod sender_usage;
mod template_performance;
mod timeline;

use std::sync::Arc;

pub use agent_activity::AgentActivity;
pub use agent_errors::AgentErrors;
pub use decisions::Decisions;
pub use leads::Leads;
pub use pipeline_daily::PipelineDaily;
pub use sender_usage::SenderUsage;
pub use template_performance::TemplatePerformance;
pub use timeline::Timeline;

use crate::Projection;

/// Every read model.
pub(crate) fn all() -> Vec<Arc<dyn Projection>> {
    let mut models: Vec<Arc<dyn Projection>> = vec![Arc::new(Leads), Arc::new(Timeline), Arc::new(Decisions)];
    models.push(Arc::new(PipelineDaily));
    models.push(Arc::new(SenderUsage));
    models.push(Arc::new(AgentActivity));
    models.push(Arc::new(AgentErrors));
    models.push(Arc::new(TemplatePerformance));
    models
}

/// A domain enum's persisted (snake_case) name, as in the event log: `linked_in`, `first`, ...
pub fn label<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

/// The seed sheet's spelling of a value shown in its columns (classification, contact status,
/// sentiment, intent): the persisted name in UpperCamelCase, e.g. `Speaker`, `OptedOut`,
/// `NotInterested`.
pub fn sheet_label<T: serde::Serialize>(value: &T) -> String {
    label(value)
        .split('_')
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map(|c| c.to_uppercase().chain(chars).collect::<String>()).unwrap_or_default()
        })
        .collect()
}
