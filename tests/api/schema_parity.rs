//! The two migration trees (`migrations/sqlite`, `migrations/postgres`) and
//! `src/db/schema.rs` must describe one schema. Both trees are applied the way
//! the server applies them (`Db::migrate`), introspected from the database
//! catalogues, reduced to a comparable model, and compared: tables, columns
//! (type class and nullability), primary keys, indexes (columns, uniqueness,
//! partial-index predicate, name) and foreign keys (columns, referenced table
//! and columns, ON DELETE / ON UPDATE). Tables, columns and primary keys are
//! also compared with the `diesel::table!` blocks of `schema.rs`, and every
//! `diesel::joinable!` there must be backed by a foreign key.

use std::collections::BTreeMap;
use std::time::Duration;

use aftercare::config::DatabaseUrl;
use aftercare::db::Db;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Nullable, Text};

use crate::helpers::{fresh_database_url, Backend};

/// Differences between the trees (or between a tree and `schema.rs`) that are
/// known and accepted. Each entry is one line exactly as `differences` words
/// it. Anything not listed fails the parity test, and so does an entry that is
/// no longer reported (remove it once the trees agree again).
///
/// Empty: the trees and `schema.rs` agree. Note that the `INTEGER PRIMARY KEY`
/// rowid alias of SQLite is classed as `bigint, not null` (see
/// `sqlite_column`), which is what makes SQLite's
/// `id INTEGER PRIMARY KEY AUTOINCREMENT` match PostgreSQL's `BIGSERIAL`.
const KNOWN_DIFFERENCES: &[&str] = &[];

// ---------------------------------------------------------------------------
// The comparable model
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq)]
struct Column {
    /// Type class: integer, bigint, smallint, text, double, float, bool, date,
    /// time, timestamp, timestamptz, binary, numeric, or `unknown …`.
    class: String,
    nullable: bool,
}

impl Column {
    fn nullability(&self) -> &'static str {
        if self.nullable {
            "nullable"
        } else {
            "not null"
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Index {
    /// `None` for an index that backs a UNIQUE constraint: its name is made up
    /// by the database (`sqlite_autoindex_t_1`, `t_col_key`).
    name: Option<String>,
    columns: Vec<String>,
    unique: bool,
    /// Normalised predicate of a partial index.
    predicate: Option<String>,
}

impl Index {
    /// What pairs an index of one side with one of the other.
    fn key(&self) -> String {
        match &self.name {
            Some(name) => name.clone(),
            None => format!("unique constraint ({})", self.columns.join(", ")),
        }
    }

    /// The index without its name.
    fn shape(&self) -> String {
        let mut s = format!(
            "{}({})",
            if self.unique { "unique " } else { "" },
            self.columns.join(", ")
        );
        if let Some(p) = &self.predicate {
            s.push_str(" where ");
            s.push_str(p);
        }
        s
    }

    fn label(&self) -> String {
        match &self.name {
            Some(name) => format!("index {name} {}", self.shape()),
            None => self.key(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct ForeignKey {
    columns: Vec<String>,
    references: String,
    ref_columns: Vec<String>,
    on_delete: String,
    on_update: String,
}

impl ForeignKey {
    fn key(&self) -> String {
        format!("({}) → {}", self.columns.join(", "), self.references)
    }

    /// Everything but the key's columns.
    fn target(&self) -> String {
        let mut s = format!(
            "{} ({}) on delete {}",
            self.references,
            self.ref_columns.join(", "),
            self.on_delete
        );
        if self.on_update != "NO ACTION" {
            s.push_str(&format!(" on update {}", self.on_update));
        }
        s
    }
}

#[derive(Debug, Default)]
struct Table {
    columns: BTreeMap<String, Column>,
    primary_key: Vec<String>,
    indexes: BTreeMap<String, Index>,
    foreign_keys: BTreeMap<String, ForeignKey>,
}

#[derive(Debug)]
struct Schema {
    /// "sqlite", "postgres" or "schema.rs": used in the messages.
    source: &'static str,
    tables: BTreeMap<String, Table>,
    /// False for `schema.rs`, which does not describe indexes or foreign keys.
    has_keys: bool,
    /// `diesel::joinable!(child -> parent (column))` of `schema.rs`.
    joinables: Vec<(String, String, String)>,
}

// ---------------------------------------------------------------------------
// The comparison
// ---------------------------------------------------------------------------

/// Every way `a` and `b` differ, one readable line each, in a stable order.
fn differences(a: &Schema, b: &Schema) -> Vec<String> {
    let (an, bn) = (a.source, b.source);
    let mut out = Vec::new();
    for (name, _) in only_in(&a.tables, &b.tables) {
        out.push(format!("{an}: has table {name} that {bn} lacks"));
    }
    for (name, _) in only_in(&b.tables, &a.tables) {
        out.push(format!("{bn}: has table {name} that {an} lacks"));
    }
    for (t, ta) in &a.tables {
        let Some(tb) = b.tables.get(t) else { continue };
        for (side, other, cols, other_cols) in [
            (an, bn, &ta.columns, &tb.columns),
            (bn, an, &tb.columns, &ta.columns),
        ] {
            for (c, col) in only_in(cols, other_cols) {
                out.push(format!(
                    "{side}: table {t} has column {c} ({}, {}) that {other} lacks",
                    col.class,
                    col.nullability()
                ));
            }
        }
        for (c, ca) in &ta.columns {
            let Some(cb) = tb.columns.get(c) else {
                continue;
            };
            if ca.class != cb.class {
                out.push(format!(
                    "column {t}.{c}: {} on {an}, {} on {bn}",
                    ca.class, cb.class
                ));
            }
            if ca.nullable != cb.nullable {
                out.push(format!(
                    "column {t}.{c}: {} on {an}, {} on {bn}",
                    ca.nullability(),
                    cb.nullability()
                ));
            }
        }
        if ta.primary_key != tb.primary_key {
            out.push(format!(
                "table {t}: primary key ({}) on {an}, ({}) on {bn}",
                ta.primary_key.join(", "),
                tb.primary_key.join(", ")
            ));
        }
        if !(a.has_keys && b.has_keys) {
            continue;
        }
        for (side, other, ix, other_ix) in [
            (an, bn, &ta.indexes, &tb.indexes),
            (bn, an, &tb.indexes, &ta.indexes),
        ] {
            for (_, i) in only_in(ix, other_ix) {
                out.push(format!(
                    "{side}: table {t} has {} that {other} lacks",
                    i.label()
                ));
            }
        }
        for (k, ia) in &ta.indexes {
            let Some(ib) = tb.indexes.get(k) else {
                continue;
            };
            if ia != ib {
                out.push(format!(
                    "index {t}.{k}: {} on {an}, {} on {bn}",
                    ia.shape(),
                    ib.shape()
                ));
            }
        }
        for (side, other, fks, other_fks) in [
            (an, bn, &ta.foreign_keys, &tb.foreign_keys),
            (bn, an, &tb.foreign_keys, &ta.foreign_keys),
        ] {
            for (_, fk) in only_in(fks, other_fks) {
                out.push(format!(
                    "{side}: table {t} has foreign key ({}) → {} that {other} lacks",
                    fk.columns.join(", "),
                    fk.target()
                ));
            }
        }
        for (k, fa) in &ta.foreign_keys {
            let Some(fb) = tb.foreign_keys.get(k) else {
                continue;
            };
            if fa != fb {
                out.push(format!(
                    "foreign key {t} {k}: {} on {an}, {} on {bn}",
                    fa.target(),
                    fb.target()
                ));
            }
        }
    }
    out
}

fn only_in<'a, V>(
    a: &'a BTreeMap<String, V>,
    b: &'a BTreeMap<String, V>,
) -> impl Iterator<Item = (&'a String, &'a V)> {
    a.iter().filter(|(k, _)| !b.contains_key(*k))
}

/// Each `diesel::joinable!` of `declared` must be a foreign key of `actual`
/// from that one column to the parent's primary key.
fn joinable_differences(declared: &Schema, actual: &Schema) -> Vec<String> {
    let mut out = Vec::new();
    for (child, parent, column) in &declared.joinables {
        let parent_pk = actual
            .tables
            .get(parent)
            .map(|t| t.primary_key.clone())
            .unwrap_or_default();
        let backed = actual.tables.get(child).is_some_and(|t| {
            t.foreign_keys.values().any(|fk| {
                fk.columns == [column.clone()]
                    && &fk.references == parent
                    && fk.ref_columns == parent_pk
            })
        });
        if !backed {
            out.push(format!(
                "{}: joinable!({child} -> {parent} ({column})) has no matching foreign key on {}",
                declared.source, actual.source
            ));
        }
    }
    out
}

/// Drops the known differences.
fn without_known(found: Vec<String>) -> Vec<String> {
    found
        .into_iter()
        .filter(|f| !KNOWN_DIFFERENCES.contains(&f.as_str()))
        .collect()
}

// ---------------------------------------------------------------------------
// Type classes
// ---------------------------------------------------------------------------

/// SQLite declared types are free text: upper-case them, drop length
/// arguments (`VARCHAR(64)`) and collapse spaces before classing.
fn sqlite_class(declared: &str) -> String {
    let upper = declared.to_ascii_uppercase();
    let base = upper.split('(').next().unwrap_or_default();
    let base = base.split_whitespace().collect::<Vec<_>>().join(" ");
    let class = match base.as_str() {
        "INTEGER" | "INT" | "INT4" | "MEDIUMINT" => "integer",
        "BIGINT" | "INT8" | "UNSIGNED BIG INT" => "bigint",
        "SMALLINT" | "INT2" | "TINYINT" => "smallint",
        "TEXT" | "VARCHAR" | "CHARACTER VARYING" | "CHAR" | "CHARACTER" | "NVARCHAR" | "NCHAR"
        | "CLOB" => "text",
        // SQLite's REAL is always 8 bytes.
        "DOUBLE" | "DOUBLE PRECISION" | "REAL" | "FLOAT" | "FLOAT8" => "double",
        "BOOLEAN" | "BOOL" => "bool",
        "DATE" => "date",
        "TIME" => "time",
        "TIMESTAMP" | "DATETIME" => "timestamp",
        "BLOB" | "BINARY" | "BYTEA" => "binary",
        "NUMERIC" | "DECIMAL" => "numeric",
        _ => return format!("unknown sqlite type {declared:?}"),
    };
    class.into()
}

/// The class of a PostgreSQL column from its `pg_type.typname`.
fn postgres_class(typname: &str) -> String {
    let class = match typname {
        "int2" => "smallint",
        "int4" => "integer",
        "int8" => "bigint",
        "text" | "varchar" | "bpchar" => "text",
        "float4" => "float",
        "float8" => "double",
        "bool" => "bool",
        "date" => "date",
        "time" => "time",
        "timestamp" => "timestamp",
        "timestamptz" => "timestamptz",
        "bytea" => "binary",
        "numeric" => "numeric",
        _ => return format!("unknown postgres type {typname:?}"),
    };
    class.into()
}

/// The class of a diesel SQL type named in `schema.rs`.
fn diesel_class(sql_type: &str) -> String {
    let name = sql_type.rsplit("::").next().unwrap_or_default();
    let class = match name {
        "SmallInt" | "Int2" => "smallint",
        "Integer" | "Int4" => "integer",
        "BigInt" | "Int8" => "bigint",
        "Text" | "VarChar" | "Varchar" => "text",
        "Float" | "Float4" => "float",
        "Double" | "Float8" => "double",
        "Bool" => "bool",
        "Date" => "date",
        "Time" => "time",
        "Timestamp" => "timestamp",
        "Timestamptz" => "timestamptz",
        "Binary" | "Bytea" | "Blob" => "binary",
        "Numeric" => "numeric",
        _ => return format!("unknown diesel type {sql_type:?}"),
    };
    class.into()
}

/// A partial-index predicate in a form both backends print alike: without
/// PostgreSQL's casts (`'resolved'::text`) and added parentheses, identifier
/// quotes, `!=` spelled `<>`, lower case, single spaces. (PostgreSQL rewrites
/// `x IN (…)` as `x = ANY (ARRAY[…])`; such a predicate would need more.)
fn normalise_predicate(raw: &str) -> String {
    let mut s = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c == ':' && chars.peek() == Some(&':') {
            chars.next();
            while chars
                .peek()
                .is_some_and(|c| c.is_ascii_alphanumeric() || *c == '_')
            {
                chars.next();
            }
        } else if c == '(' || c == ')' || c == '"' {
            s.push(' ');
        } else {
            s.push(c.to_ascii_lowercase());
        }
    }
    s.replace("!=", "<>")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The `WHERE …` part of a SQLite `CREATE INDEX` statement.
fn sqlite_index_predicate(sql: &str) -> Option<String> {
    let upper = sql.to_ascii_uppercase();
    let bytes = upper.as_bytes();
    let boundary = |i: usize| {
        bytes
            .get(i)
            .is_none_or(|b| b.is_ascii_whitespace() || *b == b'(' || *b == b')')
    };
    upper
        .match_indices("WHERE")
        .map(|(i, _)| i)
        .find(|&i| i > 0 && boundary(i - 1) && boundary(i + 5))
        .map(|i| normalise_predicate(&sql[i + 5..]))
}

fn on_action_postgres(code: &str) -> String {
    match code {
        "a" => "NO ACTION",
        "r" => "RESTRICT",
        "c" => "CASCADE",
        "n" => "SET NULL",
        "d" => "SET DEFAULT",
        other => return format!("unknown action {other:?}"),
    }
    .into()
}

// ---------------------------------------------------------------------------
// Introspection
// ---------------------------------------------------------------------------

#[derive(QueryableByName)]
struct ColumnRow {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Integer)]
    without_rowid: i32,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    declared_type: String,
    #[diesel(sql_type = Integer)]
    not_null: i32,
    /// 1-based position in the primary key, 0 if not part of it.
    #[diesel(sql_type = Integer)]
    pk_position: i32,
}

#[derive(QueryableByName)]
struct IndexRow {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    index_name: String,
    #[diesel(sql_type = Integer)]
    is_unique: i32,
    #[diesel(sql_type = Integer)]
    from_constraint: i32,
    #[diesel(sql_type = Integer)]
    is_primary: i32,
    /// SQLite: the whole `CREATE INDEX` of a partial index; PostgreSQL: the
    /// predicate expression.
    #[diesel(sql_type = Nullable<Text>)]
    predicate: Option<String>,
    #[diesel(sql_type = Integer)]
    position: i32,
    /// NULL (SQLite) or the expression (PostgreSQL) for an expression column.
    #[diesel(sql_type = Nullable<Text>)]
    column_name: Option<String>,
}

#[derive(QueryableByName)]
struct ForeignKeyRow {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    fk_id: String,
    #[diesel(sql_type = Integer)]
    position: i32,
    #[diesel(sql_type = Text)]
    ref_table: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    /// NULL on SQLite when the reference names no column (the parent's key).
    #[diesel(sql_type = Nullable<Text>)]
    ref_column: Option<String>,
    #[diesel(sql_type = Text)]
    on_update: String,
    #[diesel(sql_type = Text)]
    on_delete: String,
}

const SQLITE_COLUMNS: &str = r#"
SELECT t.name AS table_name, t.wr AS without_rowid, c.name AS column_name,
       c.type AS declared_type, c."notnull" AS not_null, c.pk AS pk_position
FROM pragma_table_list AS t JOIN pragma_table_info(t.name) AS c
WHERE t.schema = 'main' AND t.type = 'table'
  AND t.name NOT LIKE 'sqlite\_%' ESCAPE '\'
  AND t.name <> '__diesel_schema_migrations'
"#;

const SQLITE_INDEXES: &str = r#"
SELECT m.name AS table_name, il.name AS index_name, il."unique" AS is_unique,
       il.origin = 'u' AS from_constraint, il.origin = 'pk' AS is_primary,
       CASE WHEN il.partial THEN
         (SELECT s.sql FROM sqlite_master AS s WHERE s.type = 'index' AND s.name = il.name)
       END AS predicate,
       ii.seqno + 1 AS position, ii.name AS column_name
FROM sqlite_master AS m
JOIN pragma_index_list(m.name) AS il
JOIN pragma_index_info(il.name) AS ii
WHERE m.type = 'table'
"#;

const SQLITE_FOREIGN_KEYS: &str = r#"
SELECT m.name AS table_name, CAST(fk.id AS TEXT) AS fk_id, fk.seq AS position,
       fk."table" AS ref_table, fk."from" AS column_name, fk."to" AS ref_column,
       fk.on_update AS on_update, fk.on_delete AS on_delete
FROM sqlite_master AS m JOIN pragma_foreign_key_list(m.name) AS fk
WHERE m.type = 'table'
"#;

const POSTGRES_COLUMNS: &str = r#"
SELECT cl.relname::text AS table_name, 0 AS without_rowid, a.attname::text AS column_name,
       t.typname::text AS declared_type, a.attnotnull::int4 AS not_null,
       COALESCE((SELECT k.i FROM unnest(pk.indkey::int2[]) WITH ORDINALITY AS k(attnum, i)
                 WHERE k.attnum = a.attnum), 0)::int4 AS pk_position
FROM pg_class AS cl
JOIN pg_namespace AS n ON n.oid = cl.relnamespace
JOIN pg_attribute AS a ON a.attrelid = cl.oid AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_type AS t ON t.oid = a.atttypid
LEFT JOIN pg_index AS pk ON pk.indrelid = cl.oid AND pk.indisprimary
WHERE n.nspname = current_schema() AND cl.relkind IN ('r', 'p')
  AND cl.relname <> '__diesel_schema_migrations'
"#;

const POSTGRES_INDEXES: &str = r#"
SELECT cl.relname::text AS table_name, ic.relname::text AS index_name,
       ix.indisunique::int4 AS is_unique,
       (EXISTS (SELECT 1 FROM pg_constraint AS c
                WHERE c.conindid = ix.indexrelid AND c.conrelid = ix.indrelid
                  AND c.contype IN ('p', 'u', 'x')))::int4 AS from_constraint,
       ix.indisprimary::int4 AS is_primary,
       pg_get_expr(ix.indpred, ix.indrelid) AS predicate,
       k.k::int4 AS position,
       pg_get_indexdef(ix.indexrelid, k.k, true) AS column_name
FROM pg_index AS ix
JOIN pg_class AS cl ON cl.oid = ix.indrelid
JOIN pg_class AS ic ON ic.oid = ix.indexrelid
JOIN pg_namespace AS n ON n.oid = cl.relnamespace
CROSS JOIN LATERAL generate_series(1, ix.indnkeyatts::int4) AS k(k)
WHERE n.nspname = current_schema()
"#;

const POSTGRES_FOREIGN_KEYS: &str = r#"
SELECT cl.relname::text AS table_name, c.conname::text AS fk_id, k.i::int4 AS position,
       rf.relname::text AS ref_table, a.attname::text AS column_name,
       ra.attname::text AS ref_column,
       c.confupdtype::text AS on_update, c.confdeltype::text AS on_delete
FROM pg_constraint AS c
JOIN pg_class AS cl ON cl.oid = c.conrelid
JOIN pg_namespace AS n ON n.oid = cl.relnamespace
JOIN pg_class AS rf ON rf.oid = c.confrelid
CROSS JOIN LATERAL unnest(c.conkey, c.confkey) WITH ORDINALITY AS k(col, refcol, i)
JOIN pg_attribute AS a ON a.attrelid = c.conrelid AND a.attnum = k.col
JOIN pg_attribute AS ra ON ra.attrelid = c.confrelid AND ra.attnum = k.refcol
WHERE c.contype = 'f' AND n.nspname = current_schema()
"#;

/// The class and nullability of one SQLite column. SQLite's `INTEGER PRIMARY
/// KEY` (the only form AUTOINCREMENT accepts) is an alias of the 64-bit rowid,
/// which cannot hold NULL, so it is `bigint, not null` whatever
/// `pragma_table_info` says; any other declared type is classed as written.
fn sqlite_column(row: &ColumnRow, sole_pk: bool) -> Column {
    let rowid_alias = row.without_rowid == 0
        && sole_pk
        && row.pk_position == 1
        && row.declared_type.trim().eq_ignore_ascii_case("INTEGER");
    if rowid_alias {
        Column {
            class: "bigint".into(),
            nullable: false,
        }
    } else {
        Column {
            class: sqlite_class(&row.declared_type),
            nullable: row.not_null == 0,
        }
    }
}

/// Builds the model from one backend's catalogue rows (`source` says which).
fn assemble(
    source: &'static str,
    columns: Vec<ColumnRow>,
    indexes: Vec<IndexRow>,
    foreign_keys: Vec<ForeignKeyRow>,
) -> Schema {
    let mut pk_width: BTreeMap<String, usize> = BTreeMap::new();
    for row in columns.iter().filter(|r| r.pk_position > 0) {
        *pk_width.entry(row.table_name.clone()).or_default() += 1;
    }
    let mut tables: BTreeMap<String, Table> = BTreeMap::new();
    let mut pk_positions: BTreeMap<String, Vec<(i32, String)>> = BTreeMap::new();
    for row in &columns {
        let column = if source == "sqlite" {
            sqlite_column(row, pk_width.get(&row.table_name) == Some(&1))
        } else {
            Column {
                class: postgres_class(&row.declared_type),
                nullable: row.not_null == 0,
            }
        };
        if row.pk_position > 0 {
            pk_positions
                .entry(row.table_name.clone())
                .or_default()
                .push((row.pk_position, row.column_name.clone()));
        }
        tables
            .entry(row.table_name.clone())
            .or_default()
            .columns
            .insert(row.column_name.clone(), column);
    }
    for (table, mut positions) in pk_positions {
        positions.sort();
        tables.get_mut(&table).unwrap().primary_key =
            positions.into_iter().map(|(_, c)| c).collect();
    }

    // Indexes, leaving out the primary key's (compared as `primary_key`) and
    // those of tables outside the model (diesel's, SQLite's own).
    let mut grouped: BTreeMap<(String, String), Vec<IndexRow>> = BTreeMap::new();
    for row in indexes {
        if row.is_primary == 0 && tables.contains_key(&row.table_name) {
            grouped
                .entry((row.table_name.clone(), row.index_name.clone()))
                .or_default()
                .push(row);
        }
    }
    for ((table, name), mut rows) in grouped {
        rows.sort_by_key(|r| r.position);
        let first = &rows[0];
        let predicate = first.predicate.as_deref().and_then(|p| {
            if source == "sqlite" {
                sqlite_index_predicate(p)
            } else {
                Some(normalise_predicate(p))
            }
        });
        let index = Index {
            name: (first.from_constraint == 0).then_some(name),
            unique: first.is_unique != 0,
            predicate,
            columns: rows
                .iter()
                .map(|r| {
                    let c = r.column_name.as_deref().unwrap_or("<expression>");
                    c.trim_matches('"').to_string()
                })
                .collect(),
        };
        tables
            .get_mut(&table)
            .unwrap()
            .indexes
            .insert(index.key(), index);
    }

    let mut grouped: BTreeMap<(String, String), Vec<ForeignKeyRow>> = BTreeMap::new();
    for row in foreign_keys {
        if tables.contains_key(&row.table_name) {
            grouped
                .entry((row.table_name.clone(), row.fk_id.clone()))
                .or_default()
                .push(row);
        }
    }
    for ((table, _), mut rows) in grouped {
        rows.sort_by_key(|r| r.position);
        let first = &rows[0];
        // A reference without columns means the parent's primary key.
        let parent_pk = tables
            .get(&first.ref_table)
            .map(|t| t.primary_key.clone())
            .unwrap_or_default();
        let (on_delete, on_update) = if source == "sqlite" {
            (first.on_delete.clone(), first.on_update.clone())
        } else {
            (
                on_action_postgres(&first.on_delete),
                on_action_postgres(&first.on_update),
            )
        };
        let fk = ForeignKey {
            columns: rows.iter().map(|r| r.column_name.clone()).collect(),
            references: first.ref_table.clone(),
            ref_columns: if rows.iter().all(|r| r.ref_column.is_none()) {
                parent_pk
            } else {
                rows.iter()
                    .map(|r| r.ref_column.clone().unwrap_or_default())
                    .collect()
            },
            on_delete,
            on_update,
        };
        tables
            .get_mut(&table)
            .unwrap()
            .foreign_keys
            .insert(fk.key(), fk);
    }

    Schema {
        source,
        tables,
        has_keys: true,
        joinables: Vec::new(),
    }
}

/// A database migrated with the server's own migrations, and a plain
/// connection to it for introspection and tampering.
enum Migrated {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
}

impl Migrated {
    fn new(backend: Backend) -> Self {
        let url = fresh_database_url(backend);
        let parsed = DatabaseUrl::parse(Some(&url)).expect("test database URL");
        Db::new(parsed, 1, Duration::from_secs(10))
            .migrate()
            .unwrap_or_else(|e| panic!("{backend:?} migrations: {e}"));
        match backend {
            Backend::Sqlite => Self::Sqlite(SqliteConnection::establish(&url).unwrap()),
            Backend::Postgres => Self::Postgres(PgConnection::establish(&url).unwrap()),
        }
    }

    fn execute(&mut self, sql: &str) {
        match self {
            Self::Sqlite(c) => c.batch_execute(sql),
            Self::Postgres(c) => c.batch_execute(sql),
        }
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    fn introspect(&mut self) -> Schema {
        match self {
            Self::Sqlite(c) => assemble(
                "sqlite",
                diesel::sql_query(SQLITE_COLUMNS).load(c).unwrap(),
                diesel::sql_query(SQLITE_INDEXES).load(c).unwrap(),
                diesel::sql_query(SQLITE_FOREIGN_KEYS).load(c).unwrap(),
            ),
            Self::Postgres(c) => assemble(
                "postgres",
                diesel::sql_query(POSTGRES_COLUMNS).load(c).unwrap(),
                diesel::sql_query(POSTGRES_INDEXES).load(c).unwrap(),
                diesel::sql_query(POSTGRES_FOREIGN_KEYS).load(c).unwrap(),
            ),
        }
    }
}

// ---------------------------------------------------------------------------
// schema.rs
// ---------------------------------------------------------------------------

const SCHEMA_RS: &str = include_str!("../../src/db/schema.rs");

/// Reads the `diesel::table!` and `diesel::joinable!` declarations of
/// `schema.rs`. Panics on anything it does not understand, so a new form of
/// declaration is noticed rather than skipped.
fn schema_rs() -> Schema {
    let mut tables = BTreeMap::new();
    let mut rest = SCHEMA_RS;
    while let Some(at) = rest.find("diesel::table!") {
        rest = &rest[at + "diesel::table!".len()..];
        let outer = rest.find('{').expect("table! {");
        let inner = outer + 1 + rest[outer + 1..].find('{').expect("table! body");
        let close = inner + rest[inner..].find('}').expect("end of table! body");
        let header: String = rest[outer + 1..inner]
            .lines()
            .map(str::trim)
            .filter(|l| !l.starts_with('#') && !l.starts_with("//") && !l.starts_with("use "))
            .collect::<Vec<_>>()
            .join(" ");
        let (name, pk) = header
            .split_once('(')
            .unwrap_or_else(|| panic!("table! header without a key: {header:?}"));
        let mut table = Table {
            primary_key: pk
                .trim_end_matches(')')
                .split(',')
                .map(|c| c.trim().to_string())
                .filter(|c| !c.is_empty())
                .collect(),
            ..Table::default()
        };
        let mut sql_name = None;
        for line in rest[inner + 1..close].lines().map(str::trim) {
            if line.is_empty() || line.starts_with("//") {
                continue;
            }
            if let Some(attr) = line.strip_prefix("#[sql_name = \"") {
                sql_name = Some(attr.trim_end_matches("\"]").to_string());
                continue;
            }
            assert!(!line.starts_with('#'), "unhandled attribute {line:?}");
            let (column, ty) = line
                .split_once("->")
                .unwrap_or_else(|| panic!("unhandled line in table! {name}: {line:?}"));
            let ty = ty.trim().trim_end_matches(',').trim();
            let (nullable, inner_ty) = match ty.strip_prefix("Nullable<") {
                Some(t) => (true, t.strip_suffix('>').expect("Nullable<…>")),
                None => (false, ty),
            };
            let column = sql_name.take().unwrap_or_else(|| column.trim().to_string());
            table.columns.insert(
                column,
                Column {
                    class: diesel_class(inner_ty),
                    nullable,
                },
            );
        }
        tables.insert(name.trim().to_string(), table);
        rest = &rest[close..];
    }

    let mut joinables = Vec::new();
    for decl in SCHEMA_RS.split("diesel::joinable!(").skip(1) {
        let decl = &decl[..decl.find(");").expect("joinable!(…);")];
        let (child, rest) = decl.split_once("->").expect("joinable! child -> parent");
        let (parent, column) = rest.split_once('(').expect("joinable! (column)");
        joinables.push((
            child.trim().to_string(),
            parent.trim().to_string(),
            column.trim_end_matches(')').trim().to_string(),
        ));
    }

    Schema {
        source: "schema.rs",
        tables,
        has_keys: false,
        joinables,
    }
}

// ---------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------

/// Guards against an introspection query that silently returns nothing (two
/// empty lists compare equal): what the migrations are known to contain.
fn assert_introspected(s: &Schema) {
    let flags = s.tables.get("flags").expect("table flags");
    assert!(s.tables.len() >= 19, "{}: {:?}", s.source, s.tables.keys());
    assert_eq!(flags.primary_key, ["id"], "{}", s.source);
    assert!(
        flags.indexes.values().any(|i| i.unique
            && i.name.as_deref() == Some("flags_one_active")
            && i.predicate.as_deref() == Some("status <> 'resolved'")),
        "{}: {:?}",
        s.source,
        flags.indexes
    );
    assert!(
        s.tables["daily_logs"]
            .indexes
            .values()
            .any(|i| i.name.is_none() && i.columns == ["treatment_id", "log_date"]),
        "{}: {:?}",
        s.source,
        s.tables["daily_logs"].indexes
    );
    assert!(
        flags
            .foreign_keys
            .values()
            .any(|fk| fk.references == "treatments"
                && fk.ref_columns == ["id"]
                && fk.on_delete == "CASCADE"),
        "{}: {:?}",
        s.source,
        flags.foreign_keys
    );
}

#[test]
fn migrations_and_schema_rs_agree() {
    let sqlite = Migrated::new(Backend::Sqlite).introspect();
    let postgres = Migrated::new(Backend::Postgres).introspect();
    let declared = schema_rs();
    assert_introspected(&sqlite);
    assert_introspected(&postgres);
    assert!(declared.tables.len() >= 19 && declared.joinables.len() >= 6);

    let count = |s: &Schema| {
        s.tables.values().fold([0; 4], |[t, c, i, f], table| {
            [
                t + 1,
                c + table.columns.len(),
                i + table.indexes.len(),
                f + table.foreign_keys.len(),
            ]
        })
    };
    for s in [&sqlite, &postgres, &declared] {
        let [t, c, i, f] = count(s);
        println!(
            "{}: {t} tables, {c} columns, {i} indexes, {f} foreign keys",
            s.source
        );
    }

    let mut found = differences(&sqlite, &postgres);
    for tree in [&sqlite, &postgres] {
        found.extend(differences(tree, &declared));
        found.extend(joinable_differences(&declared, tree));
    }
    for known in KNOWN_DIFFERENCES {
        assert!(
            found.iter().any(|f| f == known),
            "KNOWN_DIFFERENCES lists {known:?}, which is no longer reported: remove it"
        );
    }
    let new = without_known(found);
    assert!(
        new.is_empty(),
        "the migration trees and src/db/schema.rs disagree ({} differences):\n  {}",
        new.len(),
        new.join("\n  ")
    );
}

/// Tampers with a migrated database of `backend` and checks that exactly the
/// tampering is reported, against the other tree and against `schema.rs`.
fn tampering_is_reported(backend: Backend) {
    let (name, other, other_name) = match backend {
        Backend::Sqlite => ("sqlite", Backend::Postgres, "postgres"),
        Backend::Postgres => ("postgres", Backend::Sqlite, "sqlite"),
    };
    let mut tampered = Migrated::new(backend);
    tampered.execute(
        "ALTER TABLE treatments ADD COLUMN extra INTEGER;
         DROP INDEX flags_queue;
         CREATE INDEX flags_queue ON flags (clinic_id, status);
         DROP INDEX flags_one_active;
         CREATE UNIQUE INDEX flags_one_active ON flags (treatment_id, reason);",
    );
    // (sqlite's side, postgres's side) of each changed index.
    let queue = [
        "(clinic_id, status)",
        "(clinic_id, status, severity_rank, opened_at)",
    ];
    let one_active = [
        "unique (treatment_id, reason)",
        "unique (treatment_id, reason) where status <> 'resolved'",
    ];
    let [queue_s, queue_p, active_s, active_p] = match backend {
        Backend::Sqlite => [queue[0], queue[1], one_active[0], one_active[1]],
        Backend::Postgres => [queue[1], queue[0], one_active[1], one_active[0]],
    };
    let mut expected_pair = vec![
        format!(
            "{name}: table treatments has column extra (integer, nullable) that {other_name} lacks"
        ),
        format!("index flags.flags_queue: {queue_s} on sqlite, {queue_p} on postgres"),
        format!("index flags.flags_one_active: {active_s} on sqlite, {active_p} on postgres"),
    ];
    let mut expected_schema_rs = vec![format!(
        "{name}: table treatments has column extra (integer, nullable) that schema.rs lacks"
    )];
    if backend == Backend::Postgres {
        // SQLite cannot alter a column or a foreign key in place; PostgreSQL
        // shows that nullability, type and ON DELETE changes are caught too.
        tampered.execute(
            "ALTER TABLE daily_logs ALTER COLUMN note SET NOT NULL;
             ALTER TABLE flags ALTER COLUMN severity_rank TYPE BIGINT;
             ALTER TABLE flag_events DROP CONSTRAINT flag_events_flag_id_fkey,
                 ADD CONSTRAINT flag_events_flag_id_fkey
                 FOREIGN KEY (flag_id) REFERENCES flags (id);",
        );
        expected_pair.extend([
            "column daily_logs.note: nullable on sqlite, not null on postgres".to_string(),
            "column flags.severity_rank: integer on sqlite, bigint on postgres".to_string(),
            "foreign key flag_events (flag_id) → flags: flags (id) on delete CASCADE on sqlite, \
             flags (id) on delete NO ACTION on postgres"
                .to_string(),
        ]);
        expected_schema_rs.extend([
            "column daily_logs.note: not null on postgres, nullable on schema.rs".to_string(),
            "column flags.severity_rank: bigint on postgres, integer on schema.rs".to_string(),
        ]);
    }

    let tampered = tampered.introspect();
    let untouched = Migrated::new(other).introspect();
    let (sqlite, postgres) = match backend {
        Backend::Sqlite => (&tampered, &untouched),
        Backend::Postgres => (&untouched, &tampered),
    };
    let mut found = without_known(differences(sqlite, postgres));
    found.sort();
    expected_pair.sort();
    assert_eq!(found, expected_pair);

    let mut found = without_known(differences(&tampered, &schema_rs()));
    found.sort();
    expected_schema_rs.sort();
    assert_eq!(found, expected_schema_rs);
}

mod tampering_is_reported {
    #[test]
    fn sqlite() {
        super::tampering_is_reported(crate::helpers::Backend::Sqlite)
    }

    #[test]
    fn postgres() {
        super::tampering_is_reported(crate::helpers::Backend::Postgres)
    }
}
