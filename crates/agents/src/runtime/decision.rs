//! A domain [`Decision`](reachspark_domain::Decision) as the `DecisionInput` of a given
//! mutation (each generated operation module has its own copy of the input types).

/// `decision_input!(module, &decision)` builds `ops::module::DecisionInput`.
macro_rules! decision_input {
    ($m:ident, $d:expr) => {{
        use $crate::client::ops::$m as m;
        let d: &reachspark_domain::Decision = $d;
        let engine = match &d.engine {
            reachspark_domain::decision::Engine::Llm { provider, model, prompt_hash, response_hash } => {
                m::EngineInput::Llm(m::LlmEngineInput {
                    provider: provider.clone(),
                    model: model.clone(),
                    prompt_hash: prompt_hash.clone(),
                    response_hash: response_hash.clone(),
                })
            }
            reachspark_domain::decision::Engine::Rules { policy_version } => {
                m::EngineInput::Rules(m::RulesEngineInput { policy_version: policy_version.clone() })
            }
            reachspark_domain::decision::Engine::Human => {
                m::EngineInput::Rules(m::RulesEngineInput { policy_version: "human".to_owned() })
            }
        };
        m::DecisionInput {
            based_on: d.based_on.iter().map(ToString::to_string).collect(),
            factors: d
                .factors
                .iter()
                .map(|f| m::FactorInput { name: f.name.clone(), value: f.value.clone(), contribution: f.contribution })
                .collect(),
            confidence: d.confidence,
            rationale: d.rationale.clone(),
            engine: Some(engine),
            propensity: d.propensity,
        }
    }};
}

pub(crate) use decision_input;
