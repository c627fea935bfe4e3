//! The rules of accounts and tokens.

use crate::store::{AuthStore, UserRow};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use common::auth::{JwtKeys, Role};
use common::{ApiError, ErrorCode};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::sync::Arc;

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserView {
    pub user_id: String,
    pub email: String,
    pub name: String,
    pub role: String,
}

impl From<&UserRow> for UserView {
    fn from(u: &UserRow) -> Self {
        UserView { user_id: u.user_id.clone(), email: u.email.clone(), name: u.name.clone(), role: u.role.clone() }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    #[schema(example = "bearer")]
    pub token_type: &'static str,
    pub expires_in: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<UserView>,
}

pub struct AuthService {
    store: AuthStore,
    keys: Arc<JwtKeys>,
    refresh_ttl_ms: i64,
    /// Verified against when an email is unknown, so a login takes as long either way.
    dummy_hash: String,
    /// Failed logins per email and client IP.
    login_limit: crate::login_limit::LoginLimiter,
}

/// An email, trimmed and lowercased, of a plausible shape (zero2prod's "parse, don't validate").
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Email, ApiError> {
        let e = raw.trim().to_lowercase();
        let bad = || ApiError::validation("email", "is not a valid email address");
        if e.is_empty() {
            return Err(ApiError::validation("email", "must not be empty"));
        }
        if e.len() > 254 || e.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad());
        }
        let (local, domain) = e.rsplit_once('@').ok_or_else(bad)?;
        if local.is_empty()
            || local.len() > 64
            || local.contains('@')
            || domain.len() < 3
            || !domain.contains('.')
            || domain.starts_with('.')
            || domain.ends_with('.')
            || domain.contains("..")
            || !domain.chars().all(|c| c.is_alphanumeric() || c == '.' || c == '-')
        {
            return Err(bad());
        }
        Ok(Email(e))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

pub fn check_password(pw: &str) -> Result<(), ApiError> {
    if pw.chars().count() < 8 {
        return Err(ApiError::validation("password", "must be at least 8 characters"));
    }
    if pw.len() > 1024 {
        return Err(ApiError::validation("password", "must be at most 1024 bytes"));
    }
    Ok(())
}

fn sha256_hex(s: &str) -> String {
    Sha256::digest(s.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

async fn hash_password(pw: String) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
        Argon2::default().hash_password(pw.as_bytes(), &salt).map(|h| h.to_string())
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)
}

async fn verify_password(pw: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash).map(|h| Argon2::default().verify_password(pw.as_bytes(), &h).is_ok()).unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

fn bad_credentials() -> ApiError {
    ApiError::unauthorized("invalid email or password")
}

impl AuthService {
    pub async fn new(db: store::Db, keys: Arc<JwtKeys>, refresh_ttl_secs: u64) -> Result<Self, ApiError> {
        let dummy_hash = hash_password(common::ids::random_token(16)).await?;
        Ok(Self {
            store: AuthStore { db },
            keys,
            refresh_ttl_ms: refresh_ttl_secs as i64 * 1000,
            dummy_hash,
            login_limit: Default::default(),
        })
    }

    pub fn db(&self) -> &store::Db {
        &self.store.db
    }

    pub fn login_limit(&self) -> &crate::login_limit::LoginLimiter {
        &self.login_limit
    }

    pub async fn register(&self, email: &str, password: &str, name: &str) -> Result<UserView, ApiError> {
        let email = Email::parse(email)?;
        check_password(password)?;
        let name = common::extract::text_field("name", name, 1, 200)?;
        let user = UserRow {
            user_id: common::ids::new_id(),
            email: email.as_str().to_string(),
            name,
            password_hash: hash_password(password.to_string()).await?,
            role: Role::User.as_str().to_string(),
        };
        match self.store.insert_user(&user).await {
            Ok(()) => Ok(UserView::from(&user)),
            Err(e) if e.is_unique_violation() => Err(ApiError::new(ErrorCode::EmailTaken, "an account with this email already exists")),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn ensure_admin(&self, email: &str, password: &str) -> Result<(), ApiError> {
        let email = Email::parse(email).map_err(|_| ApiError::validation("TICKETING_ADMIN_EMAIL", "is not a valid email"))?;
        let user = UserRow {
            user_id: common::ids::new_id(),
            email: email.as_str().to_string(),
            name: "Administrator".into(),
            password_hash: hash_password(password.to_string()).await?,
            role: Role::Admin.as_str().to_string(),
        };
        // Copies of the service starting together upsert the same row: a deadlock between them
        // rolls one back whole, and it tries again.
        store::retry(5, || self.store.upsert_admin(&user)).await.map_err(Into::into)
    }

    pub async fn login(&self, email: &str, password: &str) -> Result<TokenPair, ApiError> {
        // Unknown email and wrong password answer alike, and take alike long.
        let user = match Email::parse(email) {
            Ok(e) => self.store.user_by_email(e.as_str()).await?,
            Err(_) => None,
        };
        let hash = user.as_ref().map(|u| u.password_hash.clone()).unwrap_or_else(|| self.dummy_hash.clone());
        let ok = verify_password(password.to_string(), hash).await;
        let user = match (ok, user) {
            (true, Some(u)) => u,
            _ => return Err(bad_credentials()),
        };
        let mut pair = self.issue(&user, &common::ids::new_id()).await?;
        pair.user = Some(UserView::from(&user));
        Ok(pair)
    }

    async fn issue(&self, user: &UserRow, family: &str) -> Result<TokenPair, ApiError> {
        let role = Role::parse(&user.role).unwrap_or(Role::User);
        let refresh = common::ids::random_token(32);
        self.store.insert_refresh(&sha256_hex(&refresh), family, &user.user_id, common::time::now_ms() + self.refresh_ttl_ms).await?;
        Ok(TokenPair {
            access_token: self.keys.issue(&user.user_id, role),
            refresh_token: refresh,
            token_type: "bearer",
            expires_in: self.keys.access_ttl_secs,
            user: None,
        })
    }

    pub async fn refresh(&self, token: &str) -> Result<TokenPair, ApiError> {
        let invalid = || ApiError::unauthorized("invalid refresh token");
        if token.is_empty() || token.len() > 256 {
            return Err(invalid());
        }
        let hash = sha256_hex(token);
        let row = self.store.refresh_by_hash(&hash).await?.ok_or_else(invalid)?;
        if row.revoked != 0 {
            return Err(invalid());
        }
        if row.used != 0 {
            // Reuse of a rotated token: it leaked, or a client replays it. Revoke the family.
            tracing::warn!(user_id = %row.user_id, "refresh token reused; revoking its family");
            self.store.revoke_family(&row.family_id).await?;
            return Err(invalid());
        }
        if row.expires_at <= common::time::now_ms() {
            return Err(ApiError::unauthorized("refresh token expired"));
        }
        let user = self.store.user_by_id(&row.user_id).await?.ok_or_else(invalid)?;
        let role = Role::parse(&user.role).unwrap_or(Role::User);
        let next = common::ids::random_token(32);
        let expires = common::time::now_ms() + self.refresh_ttl_ms;
        if !self.store.rotate(&hash, &sha256_hex(&next), &row.family_id, &user.user_id, expires).await? {
            // Lost a race with another use of the same token: that is reuse too.
            self.store.revoke_family(&row.family_id).await?;
            return Err(invalid());
        }
        Ok(TokenPair {
            access_token: self.keys.issue(&user.user_id, role),
            refresh_token: next,
            token_type: "bearer",
            expires_in: self.keys.access_ttl_secs,
            user: None,
        })
    }

    pub async fn logout(&self, caller: &str, token: &str) -> Result<(), ApiError> {
        if token.is_empty() || token.len() > 256 {
            return Err(ApiError::validation("refreshToken", "is not a refresh token"));
        }
        match self.store.refresh_by_hash(&sha256_hex(token)).await? {
            Some(row) if row.user_id == caller => self.store.revoke_family(&row.family_id).await.map_err(Into::into),
            Some(_) => Err(ApiError::forbidden("not your refresh token")),
            // Logging out with an unknown token leaves nothing to do.
            None => Ok(()),
        }
    }

    pub async fn me(&self, user_id: &str) -> Result<UserView, ApiError> {
        let u = self.store.user_by_id(user_id).await?.ok_or_else(|| ApiError::unauthorized("account no longer exists"))?;
        Ok(UserView::from(&u))
    }

    /// Where to reach an account holder (for the notification service); `None` when unknown.
    pub async fn contact(&self, user_id: &str) -> Result<Option<common::clients::UserContact>, ApiError> {
        Ok(self.store.user_by_id(user_id).await?.as_ref().map(contact_of))
    }
}

fn contact_of(u: &UserRow) -> common::clients::UserContact {
    let v = UserView::from(u);
    common::clients::UserContact { user_id: v.user_id, email: v.email, name: v.name }
}

#[async_trait::async_trait]
impl common::clients::UserDirectory for AuthService {
    async fn contact(&self, user_id: &str) -> Result<Option<common::clients::UserContact>, ApiError> {
        AuthService::contact(self, user_id).await
    }
    async fn contacts(&self, user_ids: &[String]) -> Result<Vec<common::clients::UserContact>, ApiError> {
        Ok(self.store.users_by_id(user_ids).await?.iter().map(contact_of).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::Email;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(Email::parse("  Fan@Example.COM ").unwrap().as_str(), "fan@example.com");
        for bad in ["", "x", "a@b", "a@.com", "a b@c.com", "@c.com", "a@c..com", "a@c.com."] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }
}
