//! The real servers `scripts/services start` runs (Neo4j, PostgreSQL, Redis), for the tests of
//! the production backends: a fresh PostgreSQL database and an emptied Neo4j per test.

use sqlx::{Connection, Executor, PgConnection};

use api::settings::{GraphBackend, Settings};

use crate::helpers::secret;

/// Emptying Neo4j in bounded transactions (a graph left by a full-history bench holds millions
/// of relationships: one transaction for all of them exhausts the test server's heap).
const WIPE_RELATIONSHIPS: &str =
    "MATCH ()-[r]->() CALL { WITH r DELETE r } IN TRANSACTIONS OF 50000 ROWS";
const WIPE_NODES: &str = "MATCH (n) CALL { WITH n DETACH DELETE n } IN TRANSACTIONS OF 20000 ROWS";

/// Tests that use Neo4j take turns: it is one server, emptied by each.
pub static NEO4J: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

pub struct Servers {
    pub neo4j: String,
    pub pg_admin: String,
    pub pg_db: String,
    pub redis: String,
}

impl Servers {
    /// The servers, with a new database and an empty graph; `None` (the test skips, saying
    /// so) when their addresses are not in the environment. Empties Neo4j: hold [`NEO4J`].
    pub async fn up() -> Option<Self> {
        let vars = ["TEST_NEO4J_URI", "TEST_DATABASE_URL", "TEST_REDIS_URL"].map(std::env::var);
        let [Ok(neo4j), Ok(pg_admin), Ok(redis)] = vars else {
            eprintln!("SKIPPED: TEST_NEO4J_URI, TEST_DATABASE_URL, TEST_REDIS_URL are not all set; run `scripts/services start`");
            return None;
        };
        let pg_db = format!("nflp_api_{}", uuid::Uuid::new_v4().simple());
        let mut c = PgConnection::connect(&pg_admin)
            .await
            .expect("PostgreSQL answers");
        c.execute(format!(r#"CREATE DATABASE "{pg_db}""#).as_str())
            .await
            .unwrap();
        let wipe = neo4rs::Graph::new(neo4j.clone(), "neo4j", "unused").unwrap();
        for q in [WIPE_RELATIONSHIPS, WIPE_NODES] {
            wipe.run(neo4rs::query(q)).await.expect("Neo4j answers");
        }
        Some(Self {
            neo4j,
            pg_admin,
            pg_db,
            redis,
        })
    }

    /// The test's PostgreSQL database.
    pub fn pg_url(&self) -> String {
        let base = self.pg_admin.rsplit_once('/').unwrap().0;
        format!("{base}/{}", self.pg_db)
    }

    /// Points `s` at these servers, with cache keys under `namespace`.
    pub fn configure(&self, s: &mut Settings, namespace: &str) {
        s.graph_backend = GraphBackend::Neo4j;
        s.neo4j_uri = self.neo4j.clone();
        s.neo4j_password = secret("unused-auth-disabled");
        s.neo4j_batch_size = 500;
        s.database_url = secret(self.pg_url());
        s.db_pool_min = 1;
        s.db_pool_max = 5;
        s.redis_url = secret(self.redis.clone());
        s.cache_namespace = namespace.into();
    }

    /// The history generation as the shared graph holds it.
    pub async fn generation(&self) -> u64 {
        let g = neo4rs::Graph::new(self.neo4j.clone(), "neo4j", "unused").unwrap();
        let mut rows = g
            .execute(neo4rs::query(
                "MATCH (h:History {id: 'history'}) RETURN h.generation AS n",
            ))
            .await
            .unwrap();
        let row = rows.next().await.unwrap().expect("a History node");
        row.get::<i64>("n").unwrap() as u64
    }

    pub async fn drop_db(&self) {
        let mut c = PgConnection::connect(&self.pg_admin).await.unwrap();
        c.execute(format!(r#"DROP DATABASE IF EXISTS "{}" WITH (FORCE)"#, self.pg_db).as_str())
            .await
            .unwrap();
    }
}
