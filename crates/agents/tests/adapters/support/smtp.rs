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
pub struct Received {
    pub mail_from: String,
    pub rcpt_tos: Vec<String>,
    pub login: Option<String>,
    pub headers: std::collections::HashMap<String, String>,
    pub body: String,
}

/// A running server; stopped when dropped.
#[derive(Debug)]
pub struct SmtpServer {
    pub port: u16,
    child: Child,
    received: mpsc::UnboundedReceiver<Received>,
}

#[derive(Deserialize)]
struct Ready {
    port: u16,
}

impl SmtpServer {
    /// Starts a server that accepts `user` / `password`.
    pub fn start(user: &str, password: &str) -> Self {
        let mut child = Command::new(python())
            .arg(SCRIPT)
            .env("SMTP_TEST_USER", user)
            .env("SMTP_TEST_PASSWORD", password)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the SMTP server");
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
    pub async fn next(&mut self) -> Received {
        tokio::time::timeout(Duration::from_secs(10), self.received.recv())
            .await
            .expect("a message within ten seconds")
            .expect("the server is running")
    }

    /// Whether a message arrived that was not read yet.
    pub fn has_more(&mut self) -> bool {
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
