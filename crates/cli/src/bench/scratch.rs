//! A scratch database on the configured server, migrated, dropped at the end (or kept, or an
//! existing one reused, so a large seeded database can serve several runs while developing).

use anyhow::Context as _;
use secrecy::{ExposeSecret, SecretString};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection, PgPool};

use crate::database::Database;

pub(super) struct Scratch {
    admin: PgConnectOptions,
    server_url: SecretString,
    name: String,
    pub(super) pool: PgPool,
}

impl Scratch {
    pub(super) async fn create(database: &Database, connections: u32) -> anyhow::Result<Self> {
        let admin: PgConnectOptions = database.url().expose_secret().parse().context("DATABASE_URL")?;
        let name = format!("reachspark_bench_{}", uuid::Uuid::new_v4().simple());
        let mut conn = PgConnection::connect_with(&admin).await.context("connecting to PostgreSQL")?;
        sqlx::query(&format!(r#"CREATE DATABASE "{name}""#))
            .execute(&mut conn)
            .await
            .context("creating the scratch database")?;
        conn.close().await.ok();
        Self::open(database, name, connections).await
    }

    /// An existing database on the same server, migrated; [`Scratch::drop`] leaves it alone
    /// only if the caller uses [`Scratch::keep`] instead.
    pub(super) async fn existing(database: &Database, name: &str, connections: u32) -> anyhow::Result<Self> {
        Self::open(database, name.to_owned(), connections).await
    }

    async fn open(database: &Database, name: String, connections: u32) -> anyhow::Result<Self> {
        let admin: PgConnectOptions = database.url().expose_secret().parse().context("DATABASE_URL")?;
        let pool =
            PgPoolOptions::new().max_connections(connections).connect_with(admin.clone().database(&name)).await?;
        reachspark_store::MIGRATOR.run(&pool).await.context("migrating the scratch database")?;
        Ok(Self { admin, server_url: database.url().clone(), name, pool })
    }

    /// The database's name on the server.
    pub(super) fn name(&self) -> &str {
        &self.name
    }

    /// A URL of this database, for child processes (a secret: the server URL may hold a password).
    pub(super) fn url(&self) -> anyhow::Result<SecretString> {
        let mut url = url::Url::parse(self.server_url.expose_secret()).context("DATABASE_URL is not a URL")?;
        url.set_path(&self.name);
        Ok(SecretString::from(url.to_string()))
    }

    /// Closes the pool and leaves the database in place.
    pub(super) async fn keep(self) {
        self.pool.close().await;
    }

    pub(super) async fn drop(self) -> anyhow::Result<()> {
        self.pool.close().await;
        let mut conn = PgConnection::connect_with(&self.admin).await?;
        sqlx::query(&format!(r#"DROP DATABASE IF EXISTS "{}" WITH (FORCE)"#, self.name)).execute(&mut conn).await?;
        Ok(())
    }
}
