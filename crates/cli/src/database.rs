//! Opening the database: `DATABASE_URL`, or the embedded cluster under the data directory;
//! and the master key: `REACHSPARK_MASTER_KEY`, or one generated once into the data directory.

use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use anyhow::{bail, Context as _};
use reachspark_store::embedded::{Durability, EmbeddedPostgres};
use reachspark_store::{MasterKey, Store};
use secrecy::{ExposeSecret, SecretString};
use sqlx::{Connection, PgConnection};

use crate::config::DatabaseArgs;

/// The product's database name inside the embedded cluster.
const EMBEDDED_DATABASE: &str = "reachspark";

pub(crate) struct Database {
    url: SecretString,
    master_key: SecretString,
    embedded: Option<EmbeddedPostgres>,
}

impl Database {
    /// The connection URL (a secret: it may hold a password).
    pub(crate) fn url(&self) -> &SecretString {
        &self.url
    }

    /// A migrated store with its own pool.
    pub(crate) async fn store(&self) -> anyhow::Result<Store> {
        self.store_with_pool(20).await
    }

    pub(crate) async fn store_with_pool(&self, connections: u32) -> anyhow::Result<Store> {
        let master = self.master_key()?;
        let store =
            Store::connect(self.url.expose_secret(), connections, master).await.context("connecting to PostgreSQL")?;
        store.migrate().await.context("applying migrations")?;
        Ok(store)
    }

    pub(crate) fn master_key(&self) -> anyhow::Result<MasterKey> {
        MasterKey::from_base64(self.master_key.expose_secret()).context("REACHSPARK_MASTER_KEY")
    }

    /// A fresh, empty database named `name` on the same server (created; an existing one of
    /// that name is dropped first), with this one's master key: for runs that must start clean,
    /// like the demo. [`Database::drop_scratch`] removes it.
    pub(crate) async fn scratch(&self, name: &str) -> anyhow::Result<Database> {
        let url = database_url(self.url.expose_secret(), name)?;
        let mut admin = PgConnection::connect(self.url.expose_secret()).await.context("connecting to PostgreSQL")?;
        sqlx::query(&format!(r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#)).execute(&mut admin).await?;
        sqlx::query(&format!(r#"CREATE DATABASE "{name}""#)).execute(&mut admin).await?;
        admin.close().await.ok();
        Ok(Database { url: SecretString::from(url), master_key: self.master_key.clone(), embedded: None })
    }

    /// Drops the scratch database `name` made by [`Database::scratch`].
    pub(crate) async fn drop_scratch(&self, name: &str) -> anyhow::Result<()> {
        let mut admin = PgConnection::connect(self.url.expose_secret()).await.context("connecting to PostgreSQL")?;
        sqlx::query(&format!(r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#)).execute(&mut admin).await?;
        admin.close().await.ok();
        Ok(())
    }

    /// Stops the embedded cluster, if this process started one.
    pub(crate) async fn close(mut self) {
        if let Some(cluster) = self.embedded.take() {
            let _ = tokio::task::spawn_blocking(move || cluster.stop()).await;
            tracing::info!("embedded PostgreSQL stopped");
        }
    }
}

pub(crate) async fn open(args: &DatabaseArgs) -> anyhow::Result<Database> {
    let master_key = match &args.master_key {
        Some(key) => key.clone(),
        None => load_or_create_master_key(&args.data_dir)?,
    };
    if let Some(url) = &args.database_url {
        return Ok(Database { url: url.clone(), master_key, embedded: None });
    }
    let root = args.data_dir.join("postgres");
    let cluster = tokio::task::spawn_blocking(move || EmbeddedPostgres::start(&root, Durability::Durable))
        .await
        .context("starting the embedded PostgreSQL")??;
    create_database_if_missing(&cluster.url("postgres"), EMBEDDED_DATABASE).await?;
    let url = SecretString::from(cluster.url(EMBEDDED_DATABASE));
    Ok(Database { url, master_key, embedded: Some(cluster) })
}

/// `url` with its database replaced by `name`.
fn database_url(url: &str, name: &str) -> anyhow::Result<String> {
    anyhow::ensure!(
        name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
        "a scratch database name may hold letters, digits and underscores only: {name}"
    );
    let mut parsed = url::Url::parse(url).context("DATABASE_URL is not a URL")?;
    parsed.set_path(&format!("/{name}"));
    Ok(parsed.to_string())
}

async fn create_database_if_missing(admin_url: &str, name: &str) -> anyhow::Result<()> {
    let mut admin = PgConnection::connect(admin_url).await.context("connecting to the embedded PostgreSQL")?;
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
        .bind(name)
        .fetch_one(&mut admin)
        .await?;
    if !exists {
        sqlx::query(&format!(r#"CREATE DATABASE "{name}""#)).execute(&mut admin).await?;
    }
    admin.close().await.ok();
    Ok(())
}

fn load_or_create_master_key(data_dir: &Path) -> anyhow::Result<SecretString> {
    let path = data_dir.join("master.key");
    if path.exists() {
        let key = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
        return Ok(SecretString::from(key.trim().to_owned()));
    }
    std::fs::create_dir_all(data_dir).with_context(|| format!("creating {}", data_dir.display()))?;
    let key = MasterKey::generate().to_base64();
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(key.as_bytes())?;
    if key.is_empty() {
        bail!("generated an empty master key");
    }
    tracing::warn!(path = %path.display(), "generated a new master key; back it up: without it, personal data cannot be read");
    Ok(SecretString::from(key))
}

#[cfg(test)]
mod tests {
    use super::database_url;

    #[test]
    fn scratch_urls_keep_everything_but_the_database() {
        assert_eq!(
            database_url("postgres://u:p@127.0.0.1:5432/app?sslmode=disable", "demo_7").unwrap(),
            "postgres://u:p@127.0.0.1:5432/demo_7?sslmode=disable"
        );
        assert!(database_url("postgres://127.0.0.1/app", "bad\"name").is_err());
    }
}
