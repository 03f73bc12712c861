//! The write transaction and the per-patient change counter.
//!
//! Offline devices pull "rows changed after my cursor", so every write to a
//! patient's synced rows must take a new number from that patient's counter
//! inside the writing transaction and stamp the rows with it. Forgetting it
//! loses a change on every device silently, so it is kept by types: store
//! functions that write synced tables take a [`PatientWrite`], which only
//! [`Tx::patient`] makes, and only [`Db::write`](super::Db::write) makes a
//! [`Tx`]. The counter is bumped in one place, [`PatientWrite::stamp`], at
//! most once per patient per transaction.

use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::prelude::*;

use super::schema::patients as p;
use super::{DbConn, DbError};
use crate::domain::ids::PatientId;

/// One write transaction (`BEGIN IMMEDIATE` on SQLite: a deferred one that
/// reads and then writes fails with SQLITE_BUSY instead of waiting).
pub struct Tx<'c> {
    conn: &'c mut DbConn,
    /// Change numbers this transaction took, per patient.
    stamps: Vec<(PatientId, i64)>,
}

impl<'c> Tx<'c> {
    /// The connection, for reads and for writes of tables devices do not sync.
    pub fn conn(&mut self) -> &mut DbConn {
        self.conn
    }

    /// The handle for writing one patient's synced rows.
    pub fn patient(&mut self, patient_id: &PatientId) -> PatientWrite<'_, 'c> {
        PatientWrite {
            tx: self,
            patient_id: patient_id.clone(),
        }
    }
}

/// Writes of one patient's synced rows inside a [`Tx`].
pub struct PatientWrite<'t, 'c> {
    tx: &'t mut Tx<'c>,
    patient_id: PatientId,
}

impl PatientWrite<'_, '_> {
    pub fn conn(&mut self) -> &mut DbConn {
        self.tx.conn
    }

    pub fn patient_id(&self) -> &PatientId {
        &self.patient_id
    }

    /// The connection and the patient's id, borrowed together (the id for
    /// the `patient_id` column of rows written, and as the owner filter of
    /// writes by record id).
    pub fn split(&mut self) -> (&mut DbConn, &str) {
        (&mut *self.tx.conn, self.patient_id.as_str())
    }

    /// The change number to stamp on rows written now. The first call in a
    /// transaction bumps the patient's counter (on PostgreSQL the row lock
    /// also orders concurrent writers of one patient, so a pull that reads
    /// the counter first never misses a committed change); later calls
    /// reuse the number.
    pub fn stamp(&mut self) -> QueryResult<i64> {
        if let Some((_, seq)) = self.tx.stamps.iter().find(|(id, _)| *id == self.patient_id) {
            return Ok(*seq);
        }
        let id = self.patient_id.as_str();
        let seq = crate::per_backend!(&mut *self.tx.conn, |c| diesel::update(p::table.find(id))
            .set(p::change_seq.eq(p::change_seq + 1))
            .returning(p::change_seq)
            .get_result(c))?;
        self.tx.stamps.push((self.patient_id.clone(), seq));
        Ok(seq)
    }
}

/// Runs `f` in a write transaction: committed when it returns `Ok`, rolled
/// back otherwise.
/// `commit` receives how long the commit (or rollback) took.
pub(super) fn transaction<T, E: DbError>(
    conn: &mut DbConn,
    commit: &mut std::time::Duration,
    f: impl FnOnce(&mut Tx<'_>) -> Result<T, E>,
) -> Result<T, E> {
    match conn {
        DbConn::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?,
        DbConn::Postgres(c) => AnsiTransactionManager::begin_transaction(c)?,
    }
    let mut tx = Tx {
        conn: &mut *conn,
        stamps: Vec::new(),
    };
    let result = f(&mut tx);
    let started = std::time::Instant::now();
    let end = match (&result, &mut *conn) {
        (Ok(_), DbConn::Sqlite(c)) => AnsiTransactionManager::commit_transaction(c),
        (Ok(_), DbConn::Postgres(c)) => AnsiTransactionManager::commit_transaction(c),
        (Err(_), DbConn::Sqlite(c)) => AnsiTransactionManager::rollback_transaction(c),
        (Err(_), DbConn::Postgres(c)) => AnsiTransactionManager::rollback_transaction(c),
    };
    *commit = started.elapsed();
    match (result, end) {
        (Ok(v), Ok(())) => Ok(v),
        (Ok(_), Err(e)) => Err(E::from(e)),
        (Err(e), _) => Err(e),
    }
}
