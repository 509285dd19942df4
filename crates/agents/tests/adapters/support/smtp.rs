//! A real SMTP server for the tests: Python's aiosmtpd running `smtp_server.py`.
//!
//! The interpreter is the system's `python3` when it has aiosmtpd; otherwise a virtual
//! environment under Cargo's target temp dir (outside the repository), created on first use
//! with `pip install aiosmtpd`. The tests never skip: without Python or PyPI they fail, naming
//! what is missing.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use serde::Deserialize;
use tokio::sync::mpsc;

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/adapters/support/smtp_server.py");
const AIOSMTPD: &str = "aiosmtpd==1.4.6";

fn has_aiosmtpd(python: &Path) -> bool {
    Command::new(python).args(["-c", "import aiosmtpd"]).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
}

fn run(command: &mut Command, what: &str) {
    let out = command.output().unwrap_or_else(|e| panic!("{what}: cannot start: {e}"));
    assert!(out.status.success(), "{what} failed:\n{}", String::from_utf8_lossy(&out.stderr));
}

/// A Python interpreter that can import aiosmtpd.
fn python() -> &'static Path {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(|| {
        let system = PathBuf::from("python3");
        if has_aiosmtpd(&system) {
            return system;
        }
        let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("aiosmtpd-venv");
        let venv_python = venv.join("bin/python");
        if has_aiosmtpd(&venv_python) {
            return venv_python;
        }
        // Built beside the final place and renamed into it, so a concurrent test run never
        // sees half an environment.
        let building = venv.with_extension(format!("building-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&building);
        run(Command::new("python3").args(["-m", "venv"]).arg(&building), "python3 -m venv");
        run(
            Command::new(building.join("bin/python")).args(["-m", "pip", "install", "--quiet", AIOSMTPD]),
            "pip install aiosmtpd",
        );
        if std::fs::rename(&building, &venv).is_err() {
            let _ = std::fs::remove_dir_all(&building);
        }
        assert!(has_aiosmtpd(&venv_python), "aiosmtpd is not importable from {}", venv_python.display());
        venv_python
    })
}

/// A message as the server received it.
#[derive(Debug, Deserialize)]
pub(crate) struct Received {
    pub(crate) mail_from: String,
    pub(crate) rcpt_tos: Vec<String>,
    pub(crate) login: Option<String>,
    pub(crate) tls: bool,
    pub(crate) headers: std::collections::HashMap<String, String>,
    pub(crate) body: String,
}

/// A running server; stopped when dropped.
#[derive(Debug)]
pub(crate) struct SmtpServer {
    pub(crate) port: u16,
    child: Child,
    received: mpsc::UnboundedReceiver<Received>,
}

#[derive(Deserialize)]
struct Ready {
    port: u16,
}

impl SmtpServer {
    /// Starts a plain server that accepts `user` / `password`.
    pub(crate) fn start(user: &str, password: &str) -> Self {
        Self::spawn(Command::new(python()).arg(SCRIPT).env("SMTP_TEST_USER", user).env("SMTP_TEST_PASSWORD", password))
    }

    /// Starts a server that requires STARTTLS with `cert` (PEM) and `key` before login.
    pub(crate) fn start_tls(user: &str, password: &str, cert: &Path, key: &Path) -> Self {
        let mut command = Command::new(python());
        command.arg(SCRIPT).env("SMTP_TEST_USER", user).env("SMTP_TEST_PASSWORD", password);
        Self::spawn(command.env("SMTP_TEST_CERT", cert).env("SMTP_TEST_KEY", key))
    }

    fn spawn(command: &mut Command) -> Self {
        let mut child = command.stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().expect("start the SMTP server");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let first = lines.next().expect("the server prints its port").expect("read the port line");
        let Ready { port } = serde_json::from_str(&first).expect("a port line");
        let (tx, received) = mpsc::unbounded_channel();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                let message = serde_json::from_str(&line).expect("a message line");
                if tx.send(message).is_err() {
                    break;
                }
            }
        });
        Self { port, child, received }
    }

    /// The next message the server accepts (fails the test after ten seconds).
    pub(crate) async fn next(&mut self) -> Received {
        tokio::time::timeout(Duration::from_secs(10), self.received.recv())
            .await
            .expect("a message within ten seconds")
            .expect("the server is running")
    }

    /// Whether a message arrived that was not read yet.
    pub(crate) fn has_more(&mut self) -> bool {
        !self.received.is_empty()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A private certificate authority and a certificate it issued for 127.0.0.1, made with the
/// `openssl` command in a fresh temporary directory: (directory, CA, certificate, key).
pub(crate) fn private_ca_certificate() -> (tempfile::TempDir, PathBuf, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = |name: &str| dir.path().join(name);
    let openssl = |args: &str| {
        let mut command = Command::new("openssl");
        command.current_dir(dir.path()).args(args.split_whitespace());
        run(&mut command, "openssl");
    };
    let rsa = "-newkey rsa:2048 -nodes -days 1";
    openssl(&format!("req -x509 {rsa} -subj /CN=ReachSpark-Test-CA -keyout ca.key -out ca.pem"));
    openssl(&format!("req {rsa} -subj /CN=127.0.0.1 -keyout key.pem -out cert.csr"));
    std::fs::write(path("ext.cnf"), "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n").expect("write ext");
    openssl("x509 -req -in cert.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 -extfile ext.cnf -out cert.pem");
    let (ca, cert, key) = (path("ca.pem"), path("cert.pem"), path("key.pem"));
    (dir, ca, cert, key)
}
