//! A private PostgreSQL cluster run from the server binaries installed on the machine, for
//! when no `DATABASE_URL` is given: the product's default, and the tests' fallback.
//!
//! PostgreSQL refuses to run as root, so when this process is root the cluster's files belong
//! to the `postgres` system user and `initdb`/`postgres` run with its uid. The server runs
//! under a tiny `sh` watchdog that reads our end of a pipe: when this process exits, however
//! it exits, the pipe closes and the watchdog stops the server with a fast shutdown.

use std::io::{BufRead, Write as _};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Why the embedded cluster could not run.
#[derive(Debug, thiserror::Error)]
pub enum EmbeddedError {
    /// No PostgreSQL server binaries on this machine.
    #[error(
        "no PostgreSQL server binaries found (looked for initdb and postgres on PATH and under \
         /usr/lib/postgresql/*/bin, /usr/pgsql-*/bin, /usr/local/pgsql/bin, /opt/homebrew/bin). \
         Install PostgreSQL (e.g. `apt-get install postgresql`) or set DATABASE_URL to a server"
    )]
    NoBinaries,
    /// Running as root without a `postgres` user to run the server as.
    #[error("running as root, and PostgreSQL refuses to: create a `postgres` system user, run as another user, or set DATABASE_URL")]
    NoUnprivilegedUser,
    /// A step failed.
    #[error("{step}: {detail}")]
    Step {
        /// What was being done.
        step: &'static str,
        /// What went wrong.
        detail: String,
    },
}

fn step(step: &'static str) -> impl FnOnce(std::io::Error) -> EmbeddedError {
    move |e| EmbeddedError::Step { step, detail: e.to_string() }
}

/// Whether the cluster must survive a power loss (the product) or need not (tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// fsync on: the product's data.
    Durable,
    /// fsync and full-page writes off: throwaway test clusters.
    Ephemeral,
}

/// A running embedded cluster. Dropping it stops the server.
#[derive(Debug)]
pub struct EmbeddedPostgres {
    port: u16,
    data: PathBuf,
    watchdog: Option<Child>,
}

#[derive(Debug, Clone, Copy)]
struct RunAs {
    uid: u32,
    gid: u32,
}

impl EmbeddedPostgres {
    /// Starts (initialising on first use) a cluster under `root`, which is created if needed.
    pub fn start(root: &Path, durability: Durability) -> Result<Self, EmbeddedError> {
        let bin = find_bin_dir().ok_or(EmbeddedError::NoBinaries)?;
        let run_as = unprivileged_user()?;
        std::fs::create_dir_all(root).map_err(step("creating the cluster directory"))?;
        let root = root.canonicalize().map_err(step("resolving the cluster directory"))?;
        let data = root.join("data");
        let sockets = root.join("run");
        std::fs::create_dir_all(&sockets).map_err(step("creating the socket directory"))?;
        if let Some(user) = run_as {
            // The server's user must reach its directories; nothing else of ours lives in `root`.
            if let Some(parent) = root.parent() {
                let mut perms = std::fs::metadata(parent).map_err(step("reading the data directory"))?.permissions();
                if perms.mode() & 0o001 == 0 {
                    perms.set_mode(perms.mode() | 0o711);
                    std::fs::set_permissions(parent, perms)
                        .map_err(step("opening the data directory to the postgres user"))?;
                }
            }
            for dir in [&root, &sockets] {
                std::os::unix::fs::chown(dir, Some(user.uid), Some(user.gid))
                    .map_err(step("handing the cluster directory to the postgres user"))?;
            }
        }
        std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o700))
            .map_err(step("securing the cluster directory"))?;

        if !data.join("PG_VERSION").exists() {
            let mut initdb = command(&bin.join("initdb"), run_as, &root);
            initdb.args(["-D"]).arg(&data).args([
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-instructions",
            ]);
            if durability == Durability::Ephemeral {
                initdb.arg("--no-sync");
            }
            let out = initdb.output().map_err(step("running initdb"))?;
            if !out.status.success() {
                return Err(EmbeddedError::Step {
                    step: "initdb",
                    detail: String::from_utf8_lossy(&out.stderr).into_owned(),
                });
            }
        }
        stop_stale_server(&bin, &data, run_as);

        let port = free_port()?;
        let log = root.join("postgres.log");
        let mut server = command(Path::new("sh"), run_as, &root);
        server
            .arg("-c")
            .arg(r#"pg="$1"; shift; "$pg" "$@" </dev/null >>"$RS_PG_LOG" 2>&1 & pid=$!; read -r _; kill -INT "$pid" 2>/dev/null; wait "$pid""#)
            .arg("reachspark-postgres")
            .arg(bin.join("postgres"))
            .arg("-D")
            .arg(&data)
            .args(["-p", &port.to_string(), "-k"])
            .arg(&sockets)
            .args(["-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200"])
            .env("RS_PG_LOG", &log)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if durability == Durability::Ephemeral {
            server.args(["-c", "fsync=off", "-c", "full_page_writes=off", "-c", "synchronous_commit=off"]);
        }
        let watchdog = server.spawn().map_err(step("starting postgres"))?;
        let mut cluster = Self { port, data, watchdog: Some(watchdog) };
        cluster.wait_ready(&log)?;
        tracing::info!(port, "embedded PostgreSQL is ready");
        Ok(cluster)
    }

    /// The TCP port it listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A connection URL for `database` as the `postgres` superuser.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// Stops the server and waits for it to exit.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(mut watchdog) = self.watchdog.take() {
            if let Some(mut stdin) = watchdog.stdin.take() {
                let _ = stdin.write_all(b"stop\n");
            }
            let _ = watchdog.wait();
        }
    }

    fn wait_ready(&mut self, log: &Path) -> Result<(), EmbeddedError> {
        let deadline = Instant::now() + Duration::from_secs(60);
        let pid_file = self.data.join("postmaster.pid");
        loop {
            let exited = self.watchdog.as_mut().and_then(|w| w.try_wait().ok().flatten()).is_some();
            let status = std::fs::File::open(&pid_file)
                .ok()
                .map(|f| std::io::BufReader::new(f).lines().map_while(Result::ok).collect::<Vec<_>>());
            let ready = status.as_ref().is_some_and(|lines| {
                lines.get(3).is_some_and(|p| p.trim() == self.port.to_string())
                    && lines.get(7).is_some_and(|s| s.trim() == "ready")
            });
            if ready {
                return Ok(());
            }
            if exited || Instant::now() > deadline {
                self.shutdown();
                let tail = std::fs::read_to_string(log).unwrap_or_default();
                let tail: Vec<&str> = tail.lines().rev().take(15).collect();
                let detail = tail.into_iter().rev().collect::<Vec<_>>().join("\n");
                return Err(EmbeddedError::Step {
                    step: "starting postgres",
                    detail: format!("the server did not become ready; its log ({}):\n{detail}", log.display()),
                });
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }
}

impl Drop for EmbeddedPostgres {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn command(program: &Path, run_as: Option<RunAs>, dir: &Path) -> Command {
    let mut cmd = Command::new(program);
    cmd.current_dir(dir);
    if let Some(user) = run_as {
        cmd.uid(user.uid).gid(user.gid);
    }
    cmd
}

/// When this process is root, the `postgres` user to run the server as.
fn unprivileged_user() -> Result<Option<RunAs>, EmbeddedError> {
    if !nix::unistd::geteuid().is_root() {
        return Ok(None);
    }
    let user = nix::unistd::User::from_name("postgres").ok().flatten().ok_or(EmbeddedError::NoUnprivilegedUser)?;
    Ok(Some(RunAs { uid: user.uid.as_raw(), gid: user.gid.as_raw() }))
}

/// A server left running on this data directory (say, after a crash of its watchdog) would
/// hold the lock file: stop it first.
fn stop_stale_server(bin: &Path, data: &Path, run_as: Option<RunAs>) {
    if data.join("postmaster.pid").exists() {
        let _ = command(&bin.join("pg_ctl"), run_as, data)
            .args(["stop", "-m", "fast", "-D"])
            .arg(data)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

fn free_port() -> Result<u16, EmbeddedError> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(step("finding a free port"))?;
    Ok(listener.local_addr().map_err(step("finding a free port"))?.port())
}

/// The directory holding `initdb` and `postgres`: `$REACHSPARK_PG_BIN`, then PATH (through
/// symlinks), then the usual install locations, newest version first.
fn find_bin_dir() -> Option<PathBuf> {
    let has_server =
        |dir: &Path| dir.join("initdb").is_file() && dir.join("postgres").is_file() && dir.join("pg_ctl").is_file();
    if let Some(dir) = std::env::var_os("REACHSPARK_PG_BIN").map(PathBuf::from) {
        return has_server(&dir).then_some(dir);
    }
    let on_path = std::env::var_os("PATH").into_iter().flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>());
    for dir in on_path {
        if let Ok(real) = dir.join("initdb").canonicalize() {
            if let Some(parent) = real.parent().filter(|d| has_server(d)) {
                return Some(parent.to_path_buf());
            }
        }
    }
    let mut candidates: Vec<PathBuf> = Vec::new();
    for (dir, prefix) in [("/usr/lib/postgresql", ""), ("/usr", "pgsql-"), ("/opt/homebrew/opt", "postgresql")] {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            if entry.file_name().to_string_lossy().starts_with(prefix) {
                candidates.push(entry.path().join("bin"));
            }
        }
    }
    candidates.sort_by_key(|p| std::cmp::Reverse(version_of(p)));
    candidates.push(PathBuf::from("/usr/local/pgsql/bin"));
    candidates.into_iter().find(|d| has_server(d))
}

fn version_of(bin: &Path) -> u32 {
    bin.parent()
        .and_then(Path::file_name)
        .map(|n| n.to_string_lossy().chars().filter(char::is_ascii_digit).collect::<String>())
        .and_then(|digits| digits.parse().ok())
        .unwrap_or(0)
}
