//! The SQLite and PostgreSQL schemas agree after every migration: the same tables, the same columns (name,
//! nullability, type class), the same unique keys, and the same explicitly named indexes (columns, uniqueness,
//! partial or not), except for the engine-specific pieces [`INTENDED`] lists with their reasons. Queries are written
//! once for both engines (docs/DESIGN.md §7.1), so a column that is `NOT NULL` on one engine and nullable on the
//! other, or an index only one engine has, is a bug this test catches.
//!
//! The SQLite half always runs (its schema is read and sanity-checked, and the comparison is shown to catch a
//! difference). The PostgreSQL half needs `YUNDONG_TEST_POSTGRES` (a server URL; a fresh database is created per run,
//! as the testkit does); without it the comparison is skipped with a message.

use std::collections::{BTreeMap, BTreeSet};

use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Row};
use yundong_store::{Backend, migrator};

const POSTGRES_ENV: &str = "YUNDONG_TEST_POSTGRES";

/// The differences that are meant, each with its reason. The test fails if one of them goes away too, so that this
/// list stays true.
const INTENDED: [(&str, &str); 2] = [
    // PostgreSQL hands out event ids in insert order but commits in any order, so a node reads the change feed by
    // transaction id (`xid8`, filled by `pg_current_xact_id()`); SQLite commits one writer at a time and reads by id.
    (
        "cache_events.xid: only on PostgreSQL",
        "the change feed's transaction ids",
    ),
    (
        "index cache_events_xid: only on PostgreSQL",
        "reading the change feed by transaction id",
    ),
];

/// The storage class of a column, the way both engines agree on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Integer,
    Text,
    Blob,
    Real,
    Numeric,
    Boolean,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Column {
    class: Class,
    not_null: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Index {
    table: String,
    columns: Vec<String>,
    unique: bool,
    partial: bool,
}

#[derive(Debug, Default, Clone)]
struct Schema {
    /// table → column → column facts.
    tables: BTreeMap<String, BTreeMap<String, Column>>,
    /// table → the column lists that are unique (primary keys, UNIQUE constraints, unique indexes).
    uniques: BTreeMap<String, BTreeSet<Vec<String>>>,
    /// Indexes created by name (`CREATE [UNIQUE] INDEX name …`), not the ones engines make for constraints.
    indexes: BTreeMap<String, Index>,
}

/// SQLite's type affinity rules (section 3.1 of its datatype documentation), from the declared type.
fn sqlite_class(declared: &str) -> Class {
    let t = declared.to_ascii_uppercase();
    if t.contains("INT") {
        Class::Integer
    } else if t.contains("CHAR") || t.contains("CLOB") || t.contains("TEXT") {
        Class::Text
    } else if t.is_empty() || t.contains("BLOB") {
        Class::Blob
    } else if t.contains("REAL") || t.contains("FLOA") || t.contains("DOUB") {
        Class::Real
    } else if t.contains("BOOL") {
        // SQLite gives BOOLEAN numeric affinity; kept apart so a PostgreSQL boolean is not silently "agreed" with.
        Class::Boolean
    } else {
        Class::Numeric
    }
}

fn postgres_class(data_type: &str) -> Class {
    match data_type {
        "bigint" | "integer" | "smallint" => Class::Integer,
        "text" | "character varying" | "character" => Class::Text,
        "bytea" => Class::Blob,
        "double precision" | "real" => Class::Real,
        "boolean" => Class::Boolean,
        _ => Class::Numeric,
    }
}

async fn pool(url: &str) -> AnyPool {
    sqlx::any::install_default_drivers();
    AnyPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .expect("connect")
}

async fn sqlite_schema(pool: &AnyPool) -> Schema {
    let mut schema = Schema::default();
    let tables: Vec<String> = sqlx::query(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
         AND name <> '_sqlx_migrations' ORDER BY name",
    )
    .fetch_all(pool)
    .await
    .expect("list tables")
    .iter()
    .map(|r| r.get::<String, _>(0))
    .collect();
    for table in tables {
        let mut columns = BTreeMap::new();
        let mut pk: Vec<(i64, String)> = Vec::new();
        for r in sqlx::query("SELECT name, type, \"notnull\", pk FROM pragma_table_info($1)")
            .bind(&table)
            .fetch_all(pool)
            .await
            .expect("table_info")
        {
            let name: String = r.get(0);
            let declared: String = r.get(1);
            let not_null: i64 = r.get(2);
            let pk_pos: i64 = r.get(3);
            if pk_pos > 0 {
                pk.push((pk_pos, name.clone()));
            }
            // A primary-key column is NOT NULL on PostgreSQL by definition; on SQLite an INTEGER PRIMARY KEY is the
            // rowid (never NULL) and yundong declares no other nullable key, so both count as NOT NULL here.
            let column = Column {
                class: sqlite_class(&declared),
                not_null: not_null != 0 || pk_pos > 0,
            };
            columns.insert(name, column);
        }
        let mut uniques = BTreeSet::new();
        if !pk.is_empty() {
            pk.sort();
            uniques.insert(pk.into_iter().map(|(_, n)| n).collect::<Vec<_>>());
        }
        for r in sqlx::query("SELECT name, \"unique\", origin, partial FROM pragma_index_list($1)")
            .bind(&table)
            .fetch_all(pool)
            .await
            .expect("index_list")
        {
            let name: String = r.get(0);
            let unique: i64 = r.get(1);
            let origin: String = r.get(2);
            let partial: i64 = r.get(3);
            let cols: Vec<String> = sqlx::query("SELECT name FROM pragma_index_info($1) ORDER BY seqno")
                .bind(&name)
                .fetch_all(pool)
                .await
                .expect("index_info")
                .iter()
                .map(|r| r.get::<String, _>(0))
                .collect();
            if unique != 0 && partial == 0 {
                uniques.insert(cols.clone());
            }
            if origin == "c" {
                let index = Index {
                    table: table.clone(),
                    columns: cols,
                    unique: unique != 0,
                    partial: partial != 0,
                };
                schema.indexes.insert(name, index);
            }
        }
        schema.tables.insert(table.clone(), columns);
        schema.uniques.insert(table, uniques);
    }
    schema
}

async fn postgres_schema(pool: &AnyPool) -> Schema {
    let mut schema = Schema::default();
    for r in sqlx::query(
        "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text \
         FROM information_schema.columns c \
         WHERE table_schema = 'public' AND table_name <> '_sqlx_migrations' \
           AND EXISTS (SELECT 1 FROM information_schema.tables t WHERE t.table_schema = 'public' \
                       AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE')",
    )
    .fetch_all(pool)
    .await
    .expect("list columns")
    {
        let table: String = r.get(0);
        let column = Column {
            class: postgres_class(&r.get::<String, _>(2)),
            not_null: r.get::<String, _>(3) == "NO",
        };
        schema.tables.entry(table.clone()).or_default().insert(r.get(1), column);
        schema.uniques.entry(table).or_default();
    }
    // Every index of a public table, its key columns in order. `conname` is set when the index backs a constraint
    // (primary key, UNIQUE), which PostgreSQL names itself; only the others are indexes created by name.
    let rows = sqlx::query(
        "SELECT t.relname::text, i.relname::text, ix.indisunique, ix.indpred IS NOT NULL, \
                a.attname::text, k.ord, (SELECT COUNT(*) FROM pg_constraint c WHERE c.conindid = ix.indexrelid) \
         FROM pg_index ix \
         JOIN pg_class t ON t.oid = ix.indrelid \
         JOIN pg_class i ON i.oid = ix.indexrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = 'public' \
         CROSS JOIN LATERAL unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) \
         JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum \
         WHERE t.relname <> '_sqlx_migrations' \
         ORDER BY i.relname, k.ord",
    )
    .fetch_all(pool)
    .await
    .expect("list indexes");
    let mut all: BTreeMap<String, (Index, bool)> = BTreeMap::new();
    for r in rows {
        let name: String = r.get(1);
        let entry = all.entry(name).or_insert_with(|| {
            let index = Index {
                table: r.get(0),
                columns: Vec::new(),
                unique: r.get(2),
                partial: r.get(3),
            };
            (index, r.get::<i64, _>(6) > 0)
        });
        entry.0.columns.push(r.get(4));
    }
    for (name, (index, constraint)) in all {
        if index.unique && !index.partial {
            schema
                .uniques
                .entry(index.table.clone())
                .or_default()
                .insert(index.columns.clone());
        }
        if !constraint {
            schema.indexes.insert(name, index);
        }
    }
    schema
}

/// Every way `a` (SQLite) and `b` (PostgreSQL) differ, one line each; empty when they agree.
fn differences(a: &Schema, b: &Schema) -> Vec<String> {
    let mut out = Vec::new();
    let names = |s: &Schema| s.tables.keys().cloned().collect::<BTreeSet<_>>();
    for t in names(a).symmetric_difference(&names(b)) {
        let only = if a.tables.contains_key(t) {
            "SQLite"
        } else {
            "PostgreSQL"
        };
        out.push(format!("table {t}: only on {only}"));
    }
    for (t, ca) in &a.tables {
        let Some(cb) = b.tables.get(t) else { continue };
        for (c, x) in ca {
            match cb.get(c) {
                None => out.push(format!("{t}.{c}: only on SQLite")),
                Some(y) if x != y => out.push(format!("{t}.{c}: SQLite {x:?}, PostgreSQL {y:?}")),
                Some(_) => {}
            }
        }
        for c in cb.keys().filter(|c| !ca.contains_key(*c)) {
            out.push(format!("{t}.{c}: only on PostgreSQL"));
        }
        let (ua, ub) = (&a.uniques[t], &b.uniques[t]);
        if ua != ub {
            out.push(format!("{t}: unique keys differ: SQLite {ua:?}, PostgreSQL {ub:?}"));
        }
    }
    for (n, x) in &a.indexes {
        match b.indexes.get(n) {
            None => out.push(format!("index {n}: only on SQLite")),
            Some(y) if x != y => out.push(format!("index {n}: SQLite {x:?}, PostgreSQL {y:?}")),
            Some(_) => {}
        }
    }
    for n in b.indexes.keys().filter(|n| !a.indexes.contains_key(*n)) {
        out.push(format!("index {n}: only on PostgreSQL"));
    }
    out
}

async fn migrated_sqlite() -> (Schema, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite:{}?mode=rwc", dir.path().join("schema.sqlite").display());
    let pool = pool(&url).await;
    migrator(Backend::Sqlite).run(&pool).await.expect("migrate SQLite");
    let schema = sqlite_schema(&pool).await;
    pool.close().await;
    (schema, dir)
}

#[tokio::test]
async fn sqlite_and_postgres_schemas_agree() {
    let (sqlite, _dir) = migrated_sqlite().await;
    // The reader sees the schema the migrations built (so an empty read cannot pass as agreement).
    for table in [
        "apps",
        "users",
        "sessions",
        "daily_steps",
        "check_ins",
        "share_messages",
        "request_journal",
    ] {
        assert!(
            sqlite.tables.contains_key(table),
            "SQLite schema lacks {table}: {:?}",
            sqlite.tables.keys()
        );
    }
    assert!(
        sqlite.indexes.contains_key("request_journal_rid"),
        "{:?}",
        sqlite.indexes.keys()
    );

    let Some(server) = std::env::var(POSTGRES_ENV).ok().filter(|v| !v.is_empty()) else {
        eprintln!("schema_agree: {POSTGRES_ENV} is unset; the PostgreSQL half (the comparison) is skipped");
        return;
    };
    let name = format!(
        "yd_schema_{}_{}",
        std::process::id(),
        std::time::UNIX_EPOCH.elapsed().unwrap().as_nanos()
    );
    let admin = pool(&server).await;
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&admin)
        .await
        .expect("create db");
    let (prefix, _) = server.rsplit_once('/').expect("postgres URL with a database name");
    let pg = pool(&format!("{prefix}/{name}")).await;
    migrator(Backend::Postgres).run(&pg).await.expect("migrate PostgreSQL");
    let postgres = postgres_schema(&pg).await;
    pg.close().await;
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE {name}")))
        .execute(&admin)
        .await
        .expect("drop db");

    let diff = differences(&sqlite, &postgres);
    let intended: Vec<&str> = INTENDED.iter().map(|(d, _)| *d).collect();
    assert_eq!(
        diff,
        intended,
        "the schemas differ other than as INTENDED lists:\n{}",
        diff.join("\n")
    );
}

/// The comparison reports each kind of difference it claims to check.
#[tokio::test]
async fn the_comparison_catches_differences() {
    let (base, _dir) = migrated_sqlite().await;
    assert!(differences(&base, &base).is_empty());

    let mut other = base.clone();
    other
        .tables
        .get_mut("apps")
        .unwrap()
        .get_mut("category")
        .unwrap()
        .not_null = true;
    assert_eq!(
        differences(&base, &other),
        ["apps.category: SQLite Column { class: Text, not_null: false }, \
                                            PostgreSQL Column { class: Text, not_null: true }"]
    );

    let mut other = base.clone();
    other
        .tables
        .get_mut("apps")
        .unwrap()
        .get_mut("created_at")
        .unwrap()
        .class = Class::Text;
    assert_eq!(differences(&base, &other).len(), 1);

    let mut other = base.clone();
    other.tables.get_mut("apps").unwrap().remove("name");
    assert_eq!(differences(&base, &other), ["apps.name: only on SQLite"]);

    let mut other = base.clone();
    other.tables.remove("apps");
    assert_eq!(differences(&base, &other), ["table apps: only on SQLite"]);

    let mut other = base.clone();
    other.uniques.get_mut("apps").unwrap().insert(vec!["name".into()]);
    assert_eq!(differences(&base, &other).len(), 1);

    let mut other = base.clone();
    other.indexes.get_mut("request_journal_rid").unwrap().partial = false;
    assert_eq!(differences(&base, &other).len(), 1);
    other.indexes.remove("request_journal_rid");
    assert_eq!(
        differences(&base, &other),
        ["index request_journal_rid: only on SQLite"]
    );
}

#[test]
fn type_classes_map_between_engines() {
    assert_eq!(sqlite_class("INTEGER"), postgres_class("bigint"));
    assert_eq!(sqlite_class("BIGINT"), postgres_class("integer"));
    assert_eq!(sqlite_class("TEXT"), postgres_class("text"));
    assert_eq!(sqlite_class("BLOB"), postgres_class("bytea"));
    assert_eq!(sqlite_class("REAL"), postgres_class("double precision"));
    assert_ne!(sqlite_class("TEXT"), postgres_class("bytea"));
    assert_ne!(sqlite_class("INTEGER"), postgres_class("boolean"));
}
