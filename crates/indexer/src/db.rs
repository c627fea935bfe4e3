//! SQL of the search database: the record of the indexes built, and the outbox cursors.

use store::outbox::Cursor;
use store::{exec, Db, StoreError};

#[derive(Clone)]
pub struct SearchDb {
    db: Db,
}

impl SearchDb {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Remember that this process built (or opened) the index `index_id`.
    pub async fn record_index(&self, index_id: &str, schema_version: u32) -> Result<(), StoreError> {
        let sql = if self.db.is_mysql() {
            "INSERT IGNORE INTO search_indexes (index_id, schema_version, created_at) VALUES (?, ?, ?)"
        } else {
            "INSERT OR IGNORE INTO search_indexes (index_id, schema_version, created_at) VALUES (?, ?, ?)"
        };
        let now = common::time::now_ms();
        exec!(self.db.write(), p => sqlx::query(sql).bind(index_id).bind(schema_version as i64).bind(now).execute(p))?;
        Ok(())
    }

    pub fn cursor(&self, name: &str) -> Cursor {
        Cursor::new(self.db.clone(), name)
    }

    pub async fn ping(&self) -> Result<(), StoreError> {
        self.db.ping().await
    }
}
