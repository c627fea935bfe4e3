//! SQL of the auth service.

use store::{exec, run, tx_exec, Db, StoreError};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub user_id: String,
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub role: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RefreshRow {
    pub family_id: String,
    pub user_id: String,
    pub expires_at: i64,
    pub used: i64,
    pub revoked: i64,
}

#[derive(Clone)]
pub struct AuthStore {
    pub db: Db,
}

impl AuthStore {
    /// Insert a user and its outbox row; a duplicate email is a unique violation.
    pub async fn insert_user(&self, u: &UserRow) -> Result<(), StoreError> {
        let now = common::time::now_ms();
        let mut tx = self.db.begin().await?;
        tx_exec!(&mut tx, c => sqlx::query(
            "INSERT INTO users (user_id, email, name, password_hash, role, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)")
            .bind(&u.user_id).bind(&u.email).bind(&u.name).bind(&u.password_hash).bind(&u.role).bind(now).bind(now)
            .execute(c))?;
        store::outbox::append(
            &mut tx,
            "user",
            &u.user_id,
            "UserRegistered",
            &serde_json::json!({"userId": u.user_id, "email": u.email, "name": u.name, "role": u.role}),
        )
        .await?;
        tx.commit().await
    }

    /// Create or promote the bootstrap admin.
    pub async fn upsert_admin(&self, u: &UserRow) -> Result<(), StoreError> {
        let now = common::time::now_ms();
        let mut tx = self.db.begin().await?;
        let changed = tx_exec!(&mut tx, c => sqlx::query(
            "UPDATE users SET role = 'ADMIN', password_hash = ?, updated_at = ? WHERE email = ?")
            .bind(&u.password_hash).bind(now).bind(&u.email).execute(c))?;
        if changed == 0 {
            tx_exec!(&mut tx, c => sqlx::query(
                "INSERT INTO users (user_id, email, name, password_hash, role, created_at, updated_at) VALUES (?, ?, ?, ?, 'ADMIN', ?, ?)")
                .bind(&u.user_id).bind(&u.email).bind(&u.name).bind(&u.password_hash).bind(now).bind(now)
                .execute(c))?;
        }
        store::outbox::append(&mut tx, "user", &u.email, "AdminEnsured", &serde_json::json!({"email": u.email})).await?;
        tx.commit().await
    }

    pub async fn user_by_email(&self, email: &str) -> Result<Option<UserRow>, StoreError> {
        run!(self.db.read(), p => sqlx::query_as("SELECT user_id, email, name, password_hash, role FROM users WHERE email = ?")
            .bind(email).fetch_optional(p).await)
        .map_err(Into::into)
    }

    pub async fn user_by_id(&self, id: &str) -> Result<Option<UserRow>, StoreError> {
        run!(self.db.read(), p => sqlx::query_as("SELECT user_id, email, name, password_hash, role FROM users WHERE user_id = ?")
            .bind(id).fetch_optional(p).await)
        .map_err(Into::into)
    }

    /// The accounts among `ids` that exist.
    pub async fn users_by_id(&self, ids: &[String]) -> Result<Vec<UserRow>, StoreError> {
        let mut rows = Vec::new();
        for chunk in ids.chunks(500) {
            let sql = format!(
                "SELECT user_id, email, name, password_hash, role FROM users WHERE user_id IN ({})",
                store::placeholders(chunk.len())
            );
            rows.extend(run!(self.db.read(), p => {
                let mut q = sqlx::query_as(&sql);
                for id in chunk {
                    q = q.bind(id);
                }
                q.fetch_all(p).await
            })?);
        }
        Ok(rows)
    }

    pub async fn insert_refresh(&self, hash: &str, family: &str, user_id: &str, expires_at: i64) -> Result<(), StoreError> {
        let now = common::time::now_ms();
        exec!(self.db.write(), p => sqlx::query(
            "INSERT INTO refresh_tokens (token_hash, family_id, user_id, expires_at, created_at) VALUES (?, ?, ?, ?, ?)")
            .bind(hash).bind(family).bind(user_id).bind(expires_at).bind(now).execute(p))?;
        Ok(())
    }

    pub async fn refresh_by_hash(&self, hash: &str) -> Result<Option<RefreshRow>, StoreError> {
        run!(self.db.read(), p => sqlx::query_as(
            "SELECT family_id, user_id, expires_at, used, revoked FROM refresh_tokens WHERE token_hash = ?")
            .bind(hash).fetch_optional(p).await)
        .map_err(Into::into)
    }

    /// Use a token exactly once and issue its successor, in one transaction. `false` when the token
    /// was already used or revoked (a concurrent refresh won, or the token leaked).
    pub async fn rotate(&self, old_hash: &str, new_hash: &str, family: &str, user_id: &str, expires_at: i64) -> Result<bool, StoreError> {
        let now = common::time::now_ms();
        let mut tx = self.db.begin().await?;
        let n = tx_exec!(&mut tx, c => sqlx::query(
            "UPDATE refresh_tokens SET used = 1 WHERE token_hash = ? AND used = 0 AND revoked = 0 AND expires_at > ?")
            .bind(old_hash).bind(now).execute(c))?;
        if n != 1 {
            return Ok(false);
        }
        tx_exec!(&mut tx, c => sqlx::query(
            "INSERT INTO refresh_tokens (token_hash, family_id, user_id, expires_at, created_at) VALUES (?, ?, ?, ?, ?)")
            .bind(new_hash).bind(family).bind(user_id).bind(expires_at).bind(now).execute(c))?;
        tx.commit().await?;
        Ok(true)
    }

    pub async fn revoke_family(&self, family: &str) -> Result<(), StoreError> {
        let mut tx = self.db.begin().await?;
        tx_exec!(&mut tx, c => sqlx::query("UPDATE refresh_tokens SET revoked = 1 WHERE family_id = ?").bind(family).execute(c))?;
        store::outbox::append(&mut tx, "refresh_family", family, "RefreshFamilyRevoked", &serde_json::json!({"familyId": family})).await?;
        tx.commit().await
    }
}
