//! Integration tests of the agents crate. The language-model reasoner is tested against a
//! local server speaking the OpenAI chat completions API, over real HTTP through async-openai:
//! nothing of ours is mocked, only the provider is local.

mod llm;
