//! Where the queues live: in this process's memory (written through to the database), or in Redis
//! (shared by every queue process). The service speaks to either through [`Backend`].

use crate::model::{RoomState, Snapshot};
use async_trait::async_trait;
use common::ApiError;

#[async_trait]
pub trait Backend: Send + Sync {
    /// The fan's place, made if they have none or theirs has expired (then at the back). The
    /// `bool` is true when a new place was made.
    async fn join(&self, event: &str, user: &str, now: i64, window_ms: i64) -> Result<(Snapshot, bool), ApiError>;
    async fn place(&self, event: &str, user: &str) -> Result<Option<Snapshot>, ApiError>;
    /// A room's counts (all zero for a room nobody joined).
    async fn room(&self, event: &str, now: i64, window_ms: i64) -> Result<RoomState, ApiError>;
    async fn set_controls(&self, event: &str, rate: Option<i64>, paused: Option<bool>, now: i64) -> Result<(), ApiError>;
    /// The sale opened: shuffle the pre-queue into the first places. Returns how many were shuffled
    /// when this call opened the room, `None` when it was open already.
    async fn open(&self, event: &str, now: i64) -> Result<Option<u64>, ApiError>;
    /// Admit the next fans in line as the budget allows. Returns when each admitted fan joined.
    async fn admit(&self, event: &str, now: i64, default_rate: i64) -> Result<Vec<i64>, ApiError>;
    /// Rooms anyone ever joined.
    async fn rooms(&self) -> Result<Vec<String>, ApiError>;
    /// When the fan was admitted (`None` when not admitted or not in the queue).
    async fn admitted_at(&self, event: &str, user: &str) -> Result<Option<i64>, ApiError>;
    async fn ping(&self) -> Result<(), String>;
    /// Wait until everything accepted so far is durable.
    async fn flush(&self) {}
    /// Is the answer of [`Backend::admitted_at`] a network call (worth caching)?
    fn remote(&self) -> bool {
        false
    }
}
