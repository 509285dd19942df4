//! Hot-lead notifications: a webhook receiver (axum) and an SMTP server (aiosmtpd) on
//! loopback, and the logs they leave.

use std::io::Write;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use reachspark_agents::config::{AgentsConfig, NotifyConfig, NotifyEmailConfig, WebhookConfig};
use reachspark_agents::notify::{signature, HotLeadNotice, HotLeadNotifier, NoticePerson, Target};
use reachspark_domain::lead::{FailureKind, Intent, Sentiment};
use serde_json::Value;
use uuid::Uuid;

use crate::support::smtp::SmtpServer;
use crate::support::{secret_var, serve};

type Posts = Arc<Mutex<Vec<(HeaderMap, Bytes)>>>;

async fn receive(State(posts): State<Posts>, headers: HeaderMap, body: Bytes) -> StatusCode {
    posts.lock().unwrap().push((headers, body));
    StatusCode::NO_CONTENT
}

/// A receiver at `/hooks/<token>` (the token makes the URL a secret, as chat webhooks do) and
/// one at `/broken` that always fails.
async fn receiver() -> (String, Posts) {
    let posts = Posts::default();
    let app = Router::new()
        .route("/hooks/T0K3N", post(receive))
        .route("/broken", post(|| async { StatusCode::INTERNAL_SERVER_ERROR }))
        .with_state(posts.clone());
    (format!("http://{}", serve(app).await), posts)
}

fn notice() -> HotLeadNotice {
    HotLeadNotice {
        notice_id: Uuid::from_u128(0x4E),
        lead_id: Uuid::from_u128(0x1EAD),
        campaign_id: Some(Uuid::from_u128(0xCA)),
        intent: Intent::Interested,
        sentiment: Sentiment::Positive,
        score: Some(8),
        link: Some("https://reachspark.example/leads/1ead".into()),
        person: Some(NoticePerson {
            name: "Lena Fischer".into(),
            position: "Head of Data Platform".into(),
            company: "Nordwind Logistik GmbH".into(),
        }),
    }
}

fn webhook_config(test: &str, url: &str, secret: Option<&str>) -> AgentsConfig {
    let secret_env = secret.map(|s| secret_var(&format!("{test}_secret"), s)).unwrap_or_default();
    AgentsConfig {
        notify: NotifyConfig {
            webhook: WebhookConfig {
                enabled: true,
                url_env: secret_var(&format!("{test}_url"), url),
                secret_env,
                timeout_seconds: 5,
            },
            ..NotifyConfig::default()
        },
        ..AgentsConfig::default()
    }
}

#[tokio::test]
async fn the_webhook_gets_a_signed_notice_without_personal_data() {
    let (base, posts) = receiver().await;
    let config = webhook_config("notify_signed", &format!("{base}/hooks/T0K3N"), Some("hook-signing-key"));
    let notifier = HotLeadNotifier::from_config(&config).unwrap();
    let deliveries = notifier.notify(&notice()).await;
    assert_eq!(deliveries.len(), 1);
    assert_eq!((deliveries[0].target, deliveries[0].result.clone()), (Target::Webhook, Ok(())));

    let posts = posts.lock().unwrap();
    let (headers, body) = &posts[0];
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    assert_eq!(header("content-type"), "application/json");
    assert_eq!(header("idempotency-key"), Uuid::from_u128(0x4E).to_string());
    assert_eq!(header("x-reachspark-signature"), signature(b"hook-signing-key", body));
    let json: Value = serde_json::from_slice(body).unwrap();
    assert_eq!(json["event"], "hot_lead");
    assert_eq!(json["lead_id"], Uuid::from_u128(0x1EAD).to_string());
    assert_eq!((json["intent"].as_str(), json["score"].as_u64()), (Some("interested"), Some(8)));
    assert_eq!(json["link"], "https://reachspark.example/leads/1ead");
    assert!(json.get("person").is_none(), "no personal data unless configured: {json}");
}

#[tokio::test]
async fn the_person_is_included_only_when_configured_and_failures_are_reported() {
    let (base, posts) = receiver().await;
    let mut config = webhook_config("notify_with_person", &format!("{base}/hooks/T0K3N"), None);
    config.notify.include_personal_data = true;
    let deliveries = HotLeadNotifier::from_config(&config).unwrap().notify(&notice()).await;
    assert_eq!(deliveries[0].result, Ok(()));
    let (headers, body) = posts.lock().unwrap()[0].clone();
    assert!(headers.get("x-reachspark-signature").is_none(), "unsigned without a secret");
    let json: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(json["person"]["name"], "Lena Fischer");
    assert_eq!(json["person"]["company"], "Nordwind Logistik GmbH");

    let broken = webhook_config("notify_broken", &format!("{base}/broken"), None);
    let deliveries = HotLeadNotifier::from_config(&broken).unwrap().notify(&notice()).await;
    let e = deliveries[0].result.clone().unwrap_err();
    assert_eq!((e.kind, e.code.as_str()), (FailureKind::Transient, "http_500"));
}

#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn email_notices_reach_every_address_and_the_logs_name_no_one() {
    let user = "alerts@dataconf.example";
    let mut server = SmtpServer::start(user, "alerts-pw");
    let (base, _posts) = receiver().await;
    let mut config = webhook_config("notify_email_hook", &format!("{base}/hooks/T0K3N"), None);
    config.channels.email = crate::smtp::config(server.port, secret_var("notify_email_pw", "alerts-pw"));
    config.channels.email.username = user.into();
    config.channels.email.from_address = user.into();
    config.notify.email =
        NotifyEmailConfig { enabled: true, to: vec!["sales@dataconf.example".into(), "ceo@dataconf.example".into()] };
    config.validate().unwrap();

    let logs = Logs::default();
    let writer = logs.clone();
    // Every level: a debug or trace line counts too.
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let deliveries = HotLeadNotifier::from_config(&config).unwrap().notify(&notice()).await;
    let targets: Vec<Target> = deliveries.iter().map(|d| d.target).collect();
    assert_eq!(targets, [Target::Webhook, Target::Email { index: 0 }, Target::Email { index: 1 }]);
    assert!(deliveries.iter().all(|d| d.result.is_ok()), "{deliveries:?}");

    let mut seen = Vec::new();
    for _ in 0..2 {
        let mail = server.next().await;
        assert_eq!(mail.headers["Subject"], "Hot lead: Interested reply, score 8/10");
        let body = mail.body.replace("\r\n", "\n");
        assert!(body.contains(&Uuid::from_u128(0x1EAD).to_string()) && body.contains("Score: 8/10"), "{body}");
        assert!(body.contains("Open: https://reachspark.example/leads/1ead"), "{body}");
        assert!(!body.contains("Lena"), "no personal data unless configured: {body}");
        seen.extend(mail.rcpt_tos);
    }
    seen.sort();
    assert_eq!(seen, ["ceo@dataconf.example", "sales@dataconf.example"]);

    let logged = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert_eq!(logged.matches("hot lead notified").count(), 3, "{logged}");
    assert!(logged.contains(&Uuid::from_u128(0x1EAD).to_string()), "{logged}");
    for private in ["Lena", "Fischer", "Nordwind", "T0K3N", "dataconf.example", "alerts-pw"] {
        assert!(!logged.contains(private), "{private} reached the logs:\n{logged}");
    }
}
