//! The SMTP channel against aiosmtpd on loopback.

use reachspark_agents::channels::{Channel, OutgoingMessage, Smtp};
use reachspark_agents::config::{SmtpConfig, SmtpTls};
use reachspark_domain::lead::{FailureKind, Step};
use uuid::Uuid;

use crate::support::smtp::{private_ca_certificate, SmtpServer};
use crate::support::{closed_port, secret_var};

const USER: &str = "outreach@dataconf.example";

pub(crate) fn config(port: u16, password_env: String) -> SmtpConfig {
    SmtpConfig {
        enabled: true,
        host: "127.0.0.1".into(),
        port,
        tls: SmtpTls::None,
        tls_ca_file: String::new(),
        username: USER.into(),
        password_env,
        from_address: USER.into(),
        from_name: "Ada Brandt, DataConf".into(),
        default_subject: "A quick note from DataConf".into(),
        timeout_seconds: 5,
    }
}

fn message(n: u128, to: &str, subject: Option<&str>, body: &str) -> OutgoingMessage {
    OutgoingMessage {
        message_id: Uuid::from_u128(n),
        to: to.into(),
        recipient_name: "Lena Fischer".into(),
        subject: subject.map(Into::into),
        body: body.into(),
        template_id: "speaker-first-v1".into(),
        step: Step::First,
    }
}

#[tokio::test]
async fn an_email_arrives_with_its_headers_and_body() {
    let mut server = SmtpServer::start(USER, "correct horse battery");
    let smtp = Smtp::from_config(&config(server.port, secret_var("smtp_headers_pw", "correct horse battery"))).unwrap();
    let body = "Hallo Lena,\n\nwould you speak at DataConf 2026? Grüße aus Berlin.\n\n— Ada\nReply \"unsubscribe\" to opt out.";
    let receipt = smtp
        .send(&message(0xA1, "lena.fischer@nordwind.example", Some("Speaking at DataConf 2026"), body))
        .await
        .unwrap();
    let id = Uuid::from_u128(0xA1);
    assert_eq!(receipt.provider_message_id, format!("<{id}@dataconf.example>"));

    let got = server.next().await;
    assert_eq!(got.login.as_deref(), Some(USER), "the server saw our login");
    assert_eq!(got.mail_from, USER);
    assert_eq!(got.rcpt_tos, ["lena.fischer@nordwind.example"]);
    let h = &got.headers;
    assert_eq!(h["From"], "\"Ada Brandt, DataConf\" <outreach@dataconf.example>");
    assert_eq!(h["To"], "Lena Fischer <lena.fischer@nordwind.example>");
    assert_eq!(h["Subject"], "Speaking at DataConf 2026");
    assert_eq!(h["Message-ID"], receipt.provider_message_id);
    assert_eq!(h["Content-Type"].replace('"', ""), "text/plain; charset=utf-8");
    assert_eq!(h["MIME-Version"], "1.0");
    assert!(h.contains_key("Date"), "{h:?}");
    // On the wire lines end in CRLF.
    assert_eq!(got.body.replace("\r\n", "\n").trim_end(), body, "the text arrives intact, non-ASCII included");

    // A draft without a subject takes the configured one.
    smtp.send(&message(0xA2, "lena.fischer@nordwind.example", None, "Following up.")).await.unwrap();
    let got = server.next().await;
    assert_eq!(got.headers["Subject"], "A quick note from DataConf");
    assert_eq!(got.body.trim_end(), "Following up.");
    assert!(smtp.poll_replies(chrono::Utc::now()).await.unwrap().is_empty(), "SMTP reads no mailbox");
}

#[tokio::test]
async fn refusals_are_permanent_or_transient_as_the_server_says() {
    let mut server = SmtpServer::start(USER, "pw-refusals");
    let smtp = Smtp::from_config(&config(server.port, secret_var("smtp_refusals_pw", "pw-refusals"))).unwrap();
    for (to, kind, code) in [
        ("reject-permanent@nordwind.example", FailureKind::Permanent, "smtp_550"),
        ("reject-transient@nordwind.example", FailureKind::Transient, "smtp_451"),
        ("not an address", FailureKind::Permanent, "invalid_address"),
    ] {
        let e = smtp.send(&message(1, to, Some("Hi"), "Hi")).await.unwrap_err();
        assert_eq!((e.kind, e.code.as_str()), (kind, code), "{to}");
    }
    smtp.send(&message(2, "ok@nordwind.example", Some("Hi"), "Hi")).await.unwrap();
    assert_eq!(server.next().await.rcpt_tos, ["ok@nordwind.example"], "only the accepted message arrived");
    assert!(!server.has_more());
}

#[tokio::test]
async fn a_refused_login_and_an_unreachable_server_are_transient() {
    let server = SmtpServer::start(USER, "the-right-one");
    let smtp = Smtp::from_config(&config(server.port, secret_var("smtp_wrong_pw", "the-wrong-one"))).unwrap();
    let e = smtp.send(&message(3, "ok@nordwind.example", Some("Hi"), "Hi")).await.unwrap_err();
    assert_eq!((e.kind, e.code.as_str()), (FailureKind::Transient, "smtp_auth_535"));

    let nowhere = Smtp::from_config(&config(closed_port(), secret_var("smtp_nowhere_pw", "x"))).unwrap();
    let e = nowhere.send(&message(4, "ok@nordwind.example", Some("Hi"), "Hi")).await.unwrap_err();
    assert_eq!((e.kind, e.code.as_str()), (FailureKind::Transient, "connect"));
}

#[test]
fn the_password_never_shows_in_debug_output() {
    let smtp = Smtp::from_config(&config(2525, secret_var("smtp_debug_pw", "hunter2-secret"))).unwrap();
    let shown = format!("{smtp:?}");
    assert!(!shown.contains("hunter2") && shown.contains("127.0.0.1"), "{shown}");
}

#[tokio::test]
async fn starttls_is_required_and_the_certificate_checked() {
    let (_dir, ca, cert, key) = private_ca_certificate();
    let mut server = SmtpServer::start_tls(USER, "pw-tls", &cert, &key);
    let password_env = secret_var("smtp_tls_pw", "pw-tls");
    let trusting = SmtpConfig {
        tls: SmtpTls::Starttls,
        tls_ca_file: ca.display().to_string(),
        ..config(server.port, password_env.clone())
    };
    let smtp = Smtp::from_config(&trusting).unwrap();
    smtp.send(&message(5, "ok@nordwind.example", Some("Over TLS"), "Encrypted.")).await.unwrap();
    let got = server.next().await;
    assert!(got.tls, "the message travelled after STARTTLS");
    assert_eq!((got.login.as_deref(), got.headers["Subject"].as_str()), (Some(USER), "Over TLS"));

    // The same server, without trusting its certificate: nothing is sent, and it may pass later.
    let doubting = Smtp::from_config(&SmtpConfig { tls_ca_file: String::new(), ..trusting.clone() }).unwrap();
    let e = doubting.send(&message(6, "ok@nordwind.example", Some("Hi"), "Hi")).await.unwrap_err();
    assert_eq!((e.kind, e.code.as_str()), (FailureKind::Transient, "tls"));
    assert!(!server.has_more());

    let missing = SmtpConfig { tls_ca_file: "/nonexistent/ca.pem".into(), ..trusting };
    let e = Smtp::from_config(&missing).unwrap_err();
    assert!(
        matches!(e, reachspark_agents::config::ConfigError::Invalid { ref field, .. } if field.ends_with("tls_ca_file"))
    );
}
