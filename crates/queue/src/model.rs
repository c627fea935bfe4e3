//! A place in the queue, a room's state, and how each reads on the wire (shared/API.md §12).

use serde::{Deserialize, Serialize};

/// One fan's place in one event's queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Place {
    /// 0 in the pre-queue; from 1 once the sale has opened. Kept once admitted.
    pub position: u64,
    pub joined_at: i64,
    /// 0 until admitted.
    pub admitted_at: i64,
}

impl Place {
    pub fn expired(&self, now: i64, window_ms: i64) -> bool {
        self.admitted_at > 0 && now >= self.admitted_at + window_ms
    }
}

/// What a place's view needs of its room, read together with the place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RoomHead {
    pub opened: bool,
    pub paused: bool,
    pub rate_override: Option<i64>,
    /// The highest position admitted so far: everyone at or before it has been let in.
    pub admitted_upto: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Snapshot {
    pub place: Place,
    pub room: RoomHead,
}

/// A room's counts, for the admin's view and the metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RoomState {
    pub head: RoomHead,
    /// In the pre-queue (before the sale opened).
    pub pre: u64,
    /// In line after the opening, not yet admitted.
    pub line: u64,
    /// Admitted and still inside their window.
    pub admitted: u64,
    pub admitted_total: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PlaceStatus {
    PreQueue,
    Waiting,
    Admitted,
    Expired,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PlaceView {
    pub event_id: String,
    pub status: PlaceStatus,
    pub position: Option<u64>,
    pub ahead_of_you: Option<u64>,
    pub estimated_wait_secs: Option<u64>,
    pub admitted_at: Option<String>,
    pub admitted_until: Option<String>,
    pub poll_after_ms: Option<u64>,
}

/// Poll often near the front, rarely far back: about ten polls over the expected wait, between 2 s
/// and 30 s, so the request rate of a long queue stays bounded.
pub fn poll_after_ms(estimated_wait_secs: u64) -> u64 {
    (estimated_wait_secs.saturating_mul(100)).clamp(2_000, 30_000)
}

impl PlaceView {
    pub fn new(event_id: &str, s: &Snapshot, rate_per_minute: i64, now: i64, window_ms: i64) -> PlaceView {
        let p = &s.place;
        let rate = rate_per_minute.max(1) as u64;
        let at = |ms: i64| Some(common::time::to_rfc3339(ms));
        let (status, position, ahead, wait, admitted_at, until, poll) = if p.position == 0 {
            (PlaceStatus::PreQueue, None, None, None, None, None, 5_000)
        } else if p.admitted_at == 0 {
            let ahead = p.position.saturating_sub(s.room.admitted_upto + 1);
            if s.room.paused {
                (PlaceStatus::Waiting, Some(p.position), Some(ahead), None, None, None, 10_000)
            } else {
                let wait = ((ahead + 1) * 60).div_ceil(rate);
                (PlaceStatus::Waiting, Some(p.position), Some(ahead), Some(wait), None, None, poll_after_ms(wait))
            }
        } else if !p.expired(now, window_ms) {
            let left = (p.admitted_at + window_ms - now).max(0) as u64;
            (
                PlaceStatus::Admitted,
                Some(p.position),
                Some(0),
                Some(0),
                at(p.admitted_at),
                at(p.admitted_at + window_ms),
                left.clamp(1_000, 30_000),
            )
        } else {
            (PlaceStatus::Expired, Some(p.position), None, None, at(p.admitted_at), at(p.admitted_at + window_ms), 30_000)
        };
        PlaceView {
            event_id: event_id.to_string(),
            status,
            position,
            ahead_of_you: ahead,
            estimated_wait_secs: wait,
            admitted_at,
            admitted_until: until,
            poll_after_ms: Some(poll),
        }
    }
}

/// The admin's view of a room.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RoomView {
    pub event_id: String,
    pub enabled: bool,
    pub admit_per_minute: i64,
    pub paused: bool,
    /// Fans not yet admitted: the pre-queue and the line.
    pub waiting: u64,
    /// Admitted and still inside their window.
    pub admitted: u64,
    pub admitted_total: u64,
}

/// The admin's controls: `{admitPerMinute?, paused?}`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Controls {
    pub admit_per_minute: Option<i64>,
    pub paused: Option<bool>,
}

pub const MAX_RATE: i64 = 1_000_000;

impl Controls {
    pub fn check(&self) -> Result<(), common::ApiError> {
        if let Some(r) = self.admit_per_minute {
            if !(1..=MAX_RATE).contains(&r) {
                return Err(common::ApiError::validation("admitPerMinute", format!("must be between 1 and {MAX_RATE}")));
            }
        }
        Ok(())
    }
}

/// The admission budget: a token bucket filled at `rate` per minute. Returns how many fans to admit
/// now. Shared by the in-memory rooms; the Redis script does the same arithmetic.
pub fn admission_budget(allowance: &mut f64, last_tick: &mut i64, now: i64, rate: i64, paused: bool, waiting: u64) -> u64 {
    let elapsed = (now - *last_tick).max(0);
    *last_tick = (*last_tick).max(now);
    if paused {
        *allowance = allowance.min(1.0);
        return 0;
    }
    let rate = rate.max(1) as f64;
    // At most five seconds' worth at once: a stalled ticker must not let a crowd in together.
    let cap = rate / 12.0 + 1.0;
    *allowance = (*allowance + elapsed as f64 * rate / 60_000.0).min(cap);
    let n = (allowance.floor() as u64).min(waiting);
    *allowance -= n as f64;
    if waiting == n {
        // Nobody left in line: do not save up a burst for the next arrivals.
        *allowance = allowance.min(1.0);
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(position: u64, admitted_at: i64, upto: u64) -> Snapshot {
        Snapshot {
            place: Place { position, joined_at: 0, admitted_at },
            room: RoomHead { opened: true, admitted_upto: upto, ..Default::default() },
        }
    }

    #[test]
    fn views_follow_the_place() {
        let v = PlaceView::new("e", &snap(0, 0, 0), 60, 0, 1000);
        assert_eq!((v.status, v.position, v.ahead_of_you), (PlaceStatus::PreQueue, None, None));
        let v = PlaceView::new("e", &snap(10, 0, 4), 60, 0, 1000);
        assert_eq!((v.status, v.position, v.ahead_of_you, v.estimated_wait_secs), (PlaceStatus::Waiting, Some(10), Some(5), Some(6)));
        let v = PlaceView::new("e", &snap(3, 500, 4), 60, 1000, 1000);
        assert_eq!(v.status, PlaceStatus::Admitted);
        let v = PlaceView::new("e", &snap(3, 500, 4), 60, 1500, 1000);
        assert_eq!(v.status, PlaceStatus::Expired);
    }

    #[test]
    fn poll_grows_with_the_distance() {
        let near = PlaceView::new("e", &snap(2, 0, 0), 1000, 0, 1).poll_after_ms.unwrap();
        let far = PlaceView::new("e", &snap(500_000, 0, 0), 1000, 0, 1).poll_after_ms.unwrap();
        assert_eq!(near, 2_000);
        assert_eq!(far, 30_000);
    }

    #[test]
    fn the_budget_follows_the_rate_and_pauses() {
        let (mut a, mut t) = (1.0, 0);
        assert_eq!(admission_budget(&mut a, &mut t, 0, 60, false, 100), 1);
        let mut total = 0;
        for s in 1..=30 {
            total += admission_budget(&mut a, &mut t, s * 1000, 60, false, 100);
        }
        assert_eq!(total, 30);
        assert_eq!(admission_budget(&mut a, &mut t, 60_000, 60, true, 100), 0);
        // A long stall lets in at most five seconds' worth.
        assert!(admission_budget(&mut a, &mut t, 600_000, 60, false, 100) <= 6);
    }
}
