//! A fresh database per test, on one PostgreSQL server per test process: `DATABASE_URL` when
//! set, otherwise an embedded cluster in a temporary directory. Databases are dropped when the
//! [`TestDb`] is dropped.

use std::sync::OnceLock;

use sqlx::{Connection, Executor, PgConnection, PgPool};
use uuid::Uuid;

use crate::embedded::{Durability, EmbeddedPostgres};
use crate::{connect_pool, MasterKey, Store, MIGRATOR};

enum Server {
    External(url::Url),
    Embedded { cluster: EmbeddedPostgres, _dir: tempfile::TempDir },
}

impl Server {
    fn url(&self, database: &str) -> String {
        match self {
            Self::External(base) => {
                let mut url = base.clone();
                url.set_path(database);
                url.to_string()
            }
            Self::Embedded { cluster, .. } => cluster.url(database),
        }
    }

    fn admin_url(&self) -> String {
        match self {
            Self::External(base) => base.to_string(),
            Self::Embedded { cluster, .. } => cluster.url("postgres"),
        }
    }
}

fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| match std::env::var("DATABASE_URL") {
        Ok(url) => Server::External(url.parse().expect("DATABASE_URL is not a URL")),
        Err(_) => {
            let dir = tempfile::Builder::new().prefix("reachspark-test-pg").tempdir().expect("a temporary directory");
            let cluster = EmbeddedPostgres::start(&dir.path().join("pg"), Durability::Ephemeral).unwrap_or_else(|e| {
                panic!("tests need PostgreSQL: set DATABASE_URL or install its server binaries: {e}")
            });
            Server::Embedded { cluster, _dir: dir }
        }
    })
}

/// A migrated database that exists for one test.
#[derive(Debug)]
pub struct TestDb {
    name: String,
    url: String,
    admin_url: String,
    pool: PgPool,
}

impl TestDb {
    /// Creates and migrates a fresh database.
    pub async fn new() -> Self {
        let server = server();
        let name = format!("rs_test_{}", Uuid::new_v4().simple());
        let admin_url = server.admin_url();
        let mut admin = PgConnection::connect(&admin_url).await.expect("connect to the test server");
        admin.execute(format!(r#"CREATE DATABASE "{name}""#).as_str()).await.expect("create the test database");
        admin.close().await.ok();
        let url = server.url(&name);
        let pool = connect_pool(&url, 20).await.expect("connect to the test database");
        MIGRATOR.run(&pool).await.expect("migrate the test database");
        Self { name, url, admin_url, pool }
    }

    /// Its connection URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A pool on it.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// A store on it with a fresh master key.
    pub async fn store(&self) -> Store {
        self.store_with(MasterKey::generate()).await
    }

    /// A store on it with `master`.
    pub async fn store_with(&self, master: MasterKey) -> Store {
        Store::new(self.pool.clone(), master).await.expect("start the store")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        // Drop cannot await; a short-lived runtime on its own thread does the work.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            runtime.block_on(async {
                let mut admin = PgConnection::connect(&admin_url).await.ok()?;
                admin.execute(format!(r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#).as_str()).await.ok()
            })
        })
        .join();
        if !matches!(dropped, Ok(Some(_))) {
            tracing::warn!(database = %self.name, "could not drop the test database");
        }
    }
}

/// Waits until every committed event is visible to gap-free readers. Their barrier is the
/// oldest running transaction of the whole server, and other tests' databases share the server,
/// so a test that appends and then reads must wait for it.
pub async fn settle(store: &Store) {
    for _ in 0..1000 {
        let visible: bool = sqlx::query_scalar(
            "SELECT count(*) FILTER (WHERE transaction_id < pg_snapshot_xmin(pg_current_snapshot())) = count(*) FROM events",
        )
        .fetch_one(store.pool())
        .await
        .expect("count visible events");
        if visible {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("committed events never became visible to gap-free readers");
}
