//! Running the binary.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_reachspark");

/// The binary with a clean environment: only what the test sets reaches it.
pub(crate) fn reachspark() -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("REACHSPARK_LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        .kill_on_drop(true);
    cmd
}

/// A running `serve`, with the address it logged.
pub(crate) struct Server {
    pub(crate) child: Child,
    pub(crate) base: String,
}

pub(crate) async fn serve(mut cmd: Command) -> Server {
    let mut child =
        cmd.args(["serve", "--listen", "127.0.0.1:0"]).stderr(Stdio::piped()).spawn().expect("start reachspark");
    let stderr = child.stderr.take().expect("piped stderr");
    let mut lines = BufReader::new(stderr).lines();
    let address = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await.expect("read the log") {
            let Ok(entry) = serde_json::from_str::<serde_json::Value>(&line) else { continue };
            if entry["message"] == "listening" {
                return entry["address"].as_str().expect("address field").to_owned();
            }
        }
        panic!("reachspark exited before listening");
    })
    .await
    .expect("reachspark listens within a minute");
    // Keep draining the log so the child never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Server { child, base: format!("http://{address}") }
}

pub(crate) fn terminate(child: &Child) {
    let pid = i32::try_from(child.id().expect("running")).expect("pid fits i32");
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGTERM).expect("send SIGTERM");
}
