//! Time as the queue sees it, injectable so tests move it by hand (no sleeping for admission
//! windows): [`common::time::Clock`].

pub use common::time::{Clock, ManualClock, SystemClock};
