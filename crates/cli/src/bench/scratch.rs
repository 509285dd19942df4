//! A scratch database on the configured server, migrated, dropped at the end.

use anyhow::Context as _;
use secrecy::ExposeSecret;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection, PgPool};

use crate::database::Database;

pub(super) struct Scratch {
    admin: PgConnectOptions,
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
        let pool =
            PgPoolOptions::new().max_connections(connections).connect_with(admin.clone().database(&name)).await?;
        reachspark_store::MIGRATOR.run(&pool).await.context("migrating the scratch database")?;
        Ok(Self { admin, name, pool })
    }

    /// Its connection URL, for a child process (the server under test).
    pub(super) fn url(&self, database: &Database) -> anyhow::Result<String> {
        let mut url = url::Url::parse(database.url().expose_secret()).context("DATABASE_URL")?;
        url.set_path(&self.name);
        Ok(url.to_string())
    }

    pub(super) async fn drop(self) -> anyhow::Result<()> {
        self.pool.close().await;
        let mut conn = PgConnection::connect_with(&self.admin).await?;
        sqlx::query(&format!(r#"DROP DATABASE IF EXISTS "{}" WITH (FORCE)"#, self.name)).execute(&mut conn).await?;
        Ok(())
    }
}
