//! The scheduler's clock, injectable so tests can move to "one day before the event" without
//! waiting a day (shared with the queue: [`common::time::Clock`]).

pub use common::time::{Clock, ManualClock, SystemClock};
