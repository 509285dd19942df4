use std::path::Path;

use super::*;

const REPO_FILE: &str = include_str!("../../../../config/agents.yaml");

fn invalid_field(yaml: &str) -> String {
    match AgentsConfig::from_yaml(yaml) {
        Err(ConfigError::Invalid { field, .. }) => field,
        other => panic!("expected an invalid field, got {other:?}"),
    }
}

fn parse_error(yaml: &str) -> String {
    match AgentsConfig::from_yaml(yaml) {
        Err(e @ ConfigError::Parse(_)) => e.to_string(),
        other => panic!("expected a parse error, got {other:?}"),
    }
}

#[test]
fn the_repository_file_is_valid_and_spells_out_the_defaults() {
    assert_eq!(AgentsConfig::from_yaml(REPO_FILE).unwrap(), AgentsConfig::default());
}

#[test]
fn no_file_or_an_empty_one_means_defaults() {
    assert_eq!(AgentsConfig::from_yaml("").unwrap(), AgentsConfig::default());
    assert_eq!(AgentsConfig::from_yaml("# nothing yet\n").unwrap(), AgentsConfig::default());
    let missing = AgentsConfig::load(Path::new("/nonexistent/reachspark/agents.yaml")).unwrap();
    assert_eq!(missing, AgentsConfig::default());
}

#[test]
fn a_partial_file_overrides_only_what_it_names() {
    let config = AgentsConfig::from_yaml("outreach:\n  rate_limit_daily: 30\n  llm:\n    provider: openai\n").unwrap();
    assert_eq!(config.outreach.rate_limit_daily, 30);
    assert_eq!(config.outreach.llm.provider, LlmProvider::Openai);
    assert_eq!(config.outreach.llm.model, LlmConfig::default().model);
    assert_eq!(config.lead_finder, LeadFinderConfig::default());
}

#[test]
fn load_reads_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("agents.yaml");
    std::fs::write(&path, "sales_manager:\n  report_time: \"07:30\"\n  report_dir: reports/daily\n").unwrap();
    let config = AgentsConfig::load(&path).unwrap();
    assert_eq!(config.sales_manager.report_dir.as_deref(), Some(Path::new("reports/daily")));
    assert_eq!(config.sales_manager.report_time, ClockTime { hour: 7, minute: 30 });
    assert_eq!(config.sales_manager.report_time.to_string(), "07:30");
}

#[test]
fn unknown_and_mistyped_fields_are_named() {
    let e = parse_error("outreach:\n  rate_limit_dialy: 30\n");
    assert!(e.contains("rate_limit_dialy"), "{e}");
    let e = parse_error("lead_finder:\n  max_leads_per_day: many\n");
    assert!(e.contains("max_leads_per_day"), "{e}");
    let e = parse_error("sales_manager:\n  report_time: \"25:00\"\n");
    assert!(e.contains("HH:MM"), "{e}");
    let e = parse_error("outreach:\n  channel: carrier_pigeon\n");
    assert!(e.contains("carrier_pigeon"), "{e}");
}

#[test]
fn out_of_range_values_are_named_by_their_path() {
    for (yaml, field) in [
        ("outreach:\n  rate_limit_daily: 500\n", "outreach.rate_limit_daily"),
        ("outreach:\n  rate_limit_min_interval_minutes: 20\n", "outreach.rate_limit_max_interval_minutes"),
        ("outreach:\n  follow_up_days: [3, 0]\n", "outreach.follow_up_days[1]"),
        ("outreach:\n  approval:\n    min_confidence: 1.5\n", "outreach.approval.min_confidence"),
        ("outreach:\n  bandit:\n    prior_beta: 0\n", "outreach.bandit.prior_beta"),
        ("lead_finder:\n  quality_threshold: 11\n", "lead_finder.quality_threshold"),
        ("sales_manager:\n  coordination_interval_minutes: 0\n", "sales_manager.coordination_interval_minutes"),
        ("sales_manager:\n  strategy_min_sends: 0\n", "sales_manager.strategy_min_sends"),
        ("sales_manager:\n  report_dir: ''\n", "sales_manager.report_dir"),
        ("sales_manager:\n  llm:\n    provider: openai\n    model: ''\n", "sales_manager.llm.model"),
        ("lead_finder:\n  llm:\n    provider: openai\n    base_url: api.example\n", "lead_finder.llm.base_url"),
        ("outreach:\n  llm:\n    provider: openai\n    temperature: 3\n", "outreach.llm.temperature"),
        (
            "outreach:\n  llm:\n    provider: openai\n    invalid_output_retries: 9\n",
            "outreach.llm.invalid_output_retries",
        ),
        (
            "lead_finder:\n  llm:\n    provider: openai\n    circuit_breaker_failures: 0\n",
            "lead_finder.llm.circuit_breaker_failures",
        ),
        ("lead_finder:\n  llm:\n    provider: openai\n    cache_entries: 0\n", "lead_finder.llm.cache_entries"),
        (
            "llm_prices:\n  gpt-x:\n    prompt_per_1k_usd: 150\n    completion_per_1k_usd: 0.6\n",
            "llm_prices.gpt-x.prompt_per_1k_usd",
        ),
    ] {
        assert_eq!(invalid_field(yaml), field, "{yaml}");
    }
}

#[test]
fn a_key_pasted_where_its_variable_name_belongs_is_refused() {
    let e = AgentsConfig::from_yaml("outreach:\n  llm:\n    api_key_env: sk-proj-abc123\n").unwrap_err();
    let message = e.to_string();
    assert!(message.contains("outreach.llm.api_key_env") && message.contains("NAME"), "{message}");
}

#[test]
fn the_api_key_comes_from_the_named_variable() {
    use secrecy::ExposeSecret;
    let llm = LlmConfig { api_key_env: "REACHSPARK_AGENTS_TEST_KEY_4F1C".into(), ..LlmConfig::default() };
    match llm.api_key("outreach.llm") {
        Err(ConfigError::MissingApiKey { field, var }) => {
            assert_eq!((field.as_str(), var.as_str()), ("outreach.llm.api_key_env", "REACHSPARK_AGENTS_TEST_KEY_4F1C"));
        }
        other => panic!("{other:?}"),
    }
    std::env::set_var("REACHSPARK_AGENTS_TEST_KEY_4F1C", "secret-value");
    assert_eq!(llm.api_key("outreach.llm").unwrap().expose_secret(), "secret-value");
}

#[test]
fn the_bandit_section_builds_a_bandit() {
    let bandit = BanditConfig { prior_alpha: 2.0, ..BanditConfig::default() }.build().unwrap();
    assert_eq!(bandit.arm("speaker", "t"), crate::bandit::Arm { alpha: 2.0, beta: 1.0 });
}

#[test]
fn model_prices_are_listed_by_model_and_unknown_models_have_none() {
    let config = AgentsConfig::from_yaml(
        "llm_prices:\n  local-llama:\n    prompt_per_1k_usd: 0\n    completion_per_1k_usd: 0.001\n",
    )
    .unwrap();
    let price = config.llm_prices.get("local-llama").unwrap();
    assert_eq!((price.prompt_per_1k_usd, price.completion_per_1k_usd), (0.0, 0.001));
    assert_eq!(config.llm_prices.get("gpt-4o-mini"), None, "a listed map replaces the default one");
    assert!(AgentsConfig::default().llm_prices.get("gpt-4o-mini").is_some());
}

#[test]
fn real_channels_must_be_enabled_before_outreach_may_choose_them() {
    assert_eq!(invalid_field("outreach:\n  channel: email\n"), "outreach.channel");
    assert_eq!(invalid_field("outreach:\n  channel: linkedin_provider\n"), "outreach.channel");
    let email =
        "channels:\n  email:\n    enabled: true\n    host: smtp.example.com\n    username: me@example.com\n    \
                 from_address: me@example.com\noutreach:\n  channel: email\n";
    let config = AgentsConfig::from_yaml(email).unwrap();
    assert!(config.channels.email.enabled && config.outreach.channel == ChannelKind::Email);
    let provider =
        "channels:\n  linkedin_provider:\n    enabled: true\n    base_url: https://api.provider.example/v1\n\
                    outreach:\n  channel: linkedin_provider\n";
    assert!(AgentsConfig::from_yaml(provider).unwrap().channels.linkedin_provider.enabled);
}

#[test]
fn channel_and_notification_settings_are_checked() {
    let on = "channels:\n  email:\n    enabled: true\n    host: smtp.example.com\n    username: me@example.com\n    \
              from_address: me@example.com\n";
    for (yaml, field) in [
        ("channels:\n  email:\n    enabled: true\n".to_owned(), "channels.email.host"),
        (format!("{on}    tls: none\n"), "channels.email.tls"),
        (on.replace("from_address: me@example.com", "from_address: me"), "channels.email.from_address"),
        (
            "channels:\n  linkedin_provider:\n    enabled: true\n    base_url: http://api.provider.example\n"
                .to_owned(),
            "channels.linkedin_provider.base_url",
        ),
        ("channels:\n  sandbox:\n    time_scale: 0\n".to_owned(), "channels.sandbox.time_scale"),
        ("notify:\n  email:\n    enabled: true\n    to: [team@example.com]\n".to_owned(), "notify.email.enabled"),
        (format!("{on}notify:\n  email:\n    enabled: true\n"), "notify.email.to"),
        (format!("{on}notify:\n  email:\n    enabled: true\n    to: [a@example.com, nope]\n"), "notify.email.to[1]"),
        ("notify:\n  webhook:\n    url_env: https://hooks.example/T0/B1\n".to_owned(), "notify.webhook.url_env"),
        ("channels:\n  email:\n    password_env: hunter2!\n".to_owned(), "channels.email.password_env"),
    ] {
        assert_eq!(invalid_field(&yaml), field, "{yaml}");
    }
    // Plain SMTP and plain HTTP are fine towards this machine (a local relay, a test server).
    let local = on.replace("smtp.example.com", "127.0.0.1") + "    tls: none\n";
    assert_eq!(AgentsConfig::from_yaml(&local).unwrap().channels.email.tls, SmtpTls::None);
    let local = "channels:\n  linkedin_provider:\n    enabled: true\n    base_url: http://localhost:8080/api\n";
    assert!(AgentsConfig::from_yaml(local).is_ok());
}
