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

use std::collections::HashMap;

use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::prelude::*;

use super::schema::patients as p;
use super::{DbConn, DbError};
use crate::domain::ids::PatientId;

/// One write transaction (`BEGIN IMMEDIATE` on SQLite: a deferred one that
/// reads and then writes fails with SQLITE_BUSY instead of waiting).
pub struct Tx<'c> {
    conn: &'c mut DbConn,
    /// Change numbers this transaction took, per patient (a map: a batch
    /// job stamps hundreds of patients in one transaction).
    stamps: HashMap<String, i64>,
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

    /// The handle for writing the synced rows of many patients at once (a
    /// batch job). On PostgreSQL their rows are locked here, in id order:
    /// two batches never deadlock, a request writing one of them waits for
    /// the batch, and what the batch reads from now on includes every
    /// committed change of theirs (writers bump the counter first).
    pub fn patients(&mut self, ids: &[&str]) -> QueryResult<PatientsWrite<'_, 'c>> {
        lock_in_order(self.conn, ids)?;
        Ok(PatientsWrite { tx: self })
    }
}

/// Patients per statement of a batch (far below SQLite's 32,766 variables).
const CHUNK: usize = 500;

/// PostgreSQL: locks the patients' rows in id order (an `UPDATE … IN`
/// locks them in whatever order its plan visits them). SQLite: nothing,
/// its single writer already excludes every other writer.
fn lock_in_order(conn: &mut DbConn, ids: &[&str]) -> QueryResult<()> {
    let DbConn::Postgres(c) = conn else {
        return Ok(());
    };
    let mut sorted = ids.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    for chunk in sorted.chunks(CHUNK) {
        p::table
            .filter(p::account_id.eq_any(chunk))
            .order(p::account_id)
            .select(p::account_id)
            .for_update()
            .load::<String>(c)?;
    }
    Ok(())
}

/// Writes of many patients' synced rows inside a [`Tx`] (see [`Tx::patients`]).
pub struct PatientsWrite<'t, 'c> {
    tx: &'t mut Tx<'c>,
}

impl PatientsWrite<'_, '_> {
    pub fn conn(&mut self) -> &mut DbConn {
        self.tx.conn
    }

    /// The change numbers to stamp on rows written now, one per id in the
    /// order given: [`PatientWrite::stamp`] for many patients, with one
    /// `UPDATE … RETURNING` per 500 of them instead of one statement each.
    pub fn stamp(&mut self, ids: &[&str]) -> QueryResult<Vec<i64>> {
        let stamps = &mut self.tx.stamps;
        let mut fresh: Vec<&str> = ids
            .iter()
            .copied()
            .filter(|id| !stamps.contains_key(*id))
            .collect();
        fresh.sort_unstable();
        fresh.dedup();
        lock_in_order(self.tx.conn, &fresh)?;
        for chunk in fresh.chunks(CHUNK) {
            let seqs: Vec<(String, i64)> = crate::per_backend!(&mut *self.tx.conn, |c| {
                diesel::update(p::table.filter(p::account_id.eq_any(chunk)))
                    .set(p::change_seq.eq(p::change_seq + 1))
                    .returning((p::account_id, p::change_seq))
                    .load(c)
            })?;
            self.tx.stamps.extend(seqs);
        }
        let stamps = &self.tx.stamps;
        ids.iter()
            .map(|id| stamps.get(*id).copied().ok_or(diesel::NotFound))
            .collect()
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
        if let Some(seq) = self.tx.stamps.get(self.patient_id.as_str()) {
            return Ok(*seq);
        }
        let id = self.patient_id.as_str();
        let seq = crate::per_backend!(&mut *self.tx.conn, |c| crate::cached!(diesel::update(
            p::table.find(id)
        )
        .set(p::change_seq.eq(p::change_seq + 1))
        .returning(p::change_seq))
        .get_result(c))?;
        self.tx.stamps.insert(id.to_owned(), seq);
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
        stamps: HashMap::new(),
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
