//! Keeps a hot statement in diesel's prepared-statement cache where diesel
//! itself would not.
//!
//! diesel prepares every `UPDATE` and every `ON CONFLICT … DO UPDATE` afresh
//! on each run: their SQL can change with the values (a changeset's `None`
//! skips its column), so it marks them unsafe to cache. A PUT's counter
//! bump and upsert were parsed and planned by SQLite on every request,
//! 166 k instructions each (callgrind), and sent unnamed to PostgreSQL, which
//! plans them each time. Statements built from tuples of `.eq(..)` have one
//! SQL text per type: [`cached!`] marks such a statement safe and keys it by
//! a type of its own, so diesel finds it without rebuilding its SQL.

use std::marker::PhantomData;

use diesel::backend::Backend;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::{QueryResult, RunQueryDsl};

/// A statement whose SQL text depends on its type alone, cached under `K`,
/// a type that no other statement uses. Built by [`cached!`].
#[derive(Debug, Clone, Copy)]
pub struct Cached<K, Q> {
    query: Q,
    key: PhantomData<K>,
}

impl<K, Q> Cached<K, Q> {
    /// Use [`cached!`], which makes the key; see it for what is safe.
    #[doc(hidden)]
    pub fn new(query: Q) -> Self {
        Self {
            query,
            key: PhantomData,
        }
    }
}

impl<K: 'static, Q> QueryId for Cached<K, Q> {
    type QueryId = K;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl<K, Q: Query> Query for Cached<K, Q> {
    type SqlType = Q::SqlType;
}

impl<K, Q, DB> QueryFragment<DB> for Cached<K, Q>
where
    DB: Backend,
    Q: QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.query.walk_ast(pass)
    }

    // The reason diesel gives for not caching (SQL that varies with the
    // values) does not hold for the statements `cached!` is used on.
    fn is_safe_to_cache_prepared(&self, _backend: &DB) -> QueryResult<bool> {
        Ok(true)
    }
}

impl<K, Q, Conn> RunQueryDsl<Conn> for Cached<K, Q> {}

/// Wraps a diesel statement so that it is prepared once per connection.
///
/// Only for statements whose SQL text is the same for every run of the call
/// site: columns set with `.eq(value)` (an `Option` binds NULL, it does not
/// drop the column), no `AsChangeset` struct with `Option` fields, no
/// `eq_any` or `Vec` of rows, and not inside a generic function (the key is
/// one type per place in the source). The test below checks the property
/// on a statement of the counter bump's shape.
#[macro_export]
macro_rules! cached {
    ($query:expr) => {{
        struct Key;
        $crate::db::cached::Cached::<Key, _>::new($query)
    }};
}

#[cfg(test)]
mod tests {
    use diesel::prelude::*;
    use diesel::query_builder::QueryFragment;
    use diesel::sqlite::Sqlite;

    use crate::db::schema::patients as p;

    fn bump(id: &str) -> impl QueryFragment<Sqlite> + '_ {
        cached!(diesel::update(p::table.find(id))
            .set(p::change_seq.eq(p::change_seq + 1))
            .returning(p::change_seq))
    }

    #[test]
    fn a_cached_update_is_safe_to_cache_and_its_sql_does_not_depend_on_the_values() {
        let (a, b) = (bump("a"), bump("another id"));
        assert!(a.is_safe_to_cache_prepared(&Sqlite).unwrap());
        assert_eq!(
            diesel::debug_query::<Sqlite, _>(&a)
                .to_string()
                .split(" --")
                .next(),
            diesel::debug_query::<Sqlite, _>(&b)
                .to_string()
                .split(" --")
                .next()
        );
        // diesel would prepare the bare statement on every run.
        let bare = diesel::update(p::table.find("a")).set(p::change_seq.eq(p::change_seq + 1));
        assert!(!bare.is_safe_to_cache_prepared(&Sqlite).unwrap());
    }
}
