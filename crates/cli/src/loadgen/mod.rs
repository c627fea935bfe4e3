//! `ticketing loadgen`: load against a running platform (`--url`, this machine only), with a report
//! per endpoint and an audit at the end. Seven scenarios (`--scenario`):
//!
//! - `sale` (the default), a flash sale: it creates an event of `--seats` seats (or uses `--event`),
//!   registers `--buyers` accounts, then lets them loose: each journey reads the availability,
//!   reserves (specific seats with a hot spot, or best available), and confirms with a good or a
//!   declined card, or abandons the hold. Closed model (`--buyers` concurrent journeys, each
//!   starting when the last ended) by default; open model with `--rate` journeys per second,
//!   however slowly the platform answers. Its audit fails the run (exit code 1) when a seat is sold
//!   twice, when the seat map disagrees with the confirmed bookings, when sold + held exceeds
//!   capacity, or when a successful charge has neither a confirmed booking nor a refund.
//! - `queue`, the waiting room: `--users` fans join before the sale opens, then poll their place,
//!   `--concurrency` requests in flight; with `--poll-rate`, polls go out at that rate instead
//!   (open model) for about `--duration` seconds (or the usual count, if fewer), so poll latency is
//!   measured at a set load rather than at saturation.
//! - `hotspot`, how fast contested reservations are *decided*: every reservation asks for 1-2
//!   seats drawn from the first `--hot-seats` seats of the map, and is never confirmed. Once the
//!   hot set is held, nearly every answer is `409 SEAT_UNAVAILABLE`, which is a decision as good as
//!   a hold: the figure of merit is decisions (201 or that 409) per second.
//! - `field`, how fast holds are *granted*: every reservation asks for one seat that no other
//!   request asks for (the free seats shuffled, handed out once each), so nearly every answer is a
//!   201; the figure of merit is successful holds per second. The run also stops when the seats run
//!   out, so `--seats` must be at least the rate (`--rate`, or the holds/s expected in the closed
//!   model) times `--duration`; an event has at most 100,000 seats.
//! - `contended`, between the two: every reservation asks for 1-4 seats drawn at random out of all
//!   the seats free at the start, so some ask for a seat an earlier request holds and are refused
//!   whole (a multi-seat hold is all or nothing), more and more of them as the event fills up. The
//!   figures are successful holds per second and seats held per second, with the conflict share
//!   (the share of the answers that were `409 SEAT_UNAVAILABLE`) beside them: compare runs at the
//!   same `--seats`, `--duration` and rate, since the share grows with the part of the event held.
//! - `purchase`, how fast seats are *sold*: each journey holds 1-4 seats that no other journey asks
//!   for (handed out from the shuffled free seats, as in `field`), then pays for them at once with
//!   the good card, or the declined one for a share `--declined` of the journeys (none unless
//!   given: the figure is bookings made). The figures are confirmed bookings per second and seats
//!   sold per second.
//! - `checkin`, the doors: it sells the event's seats, then scans the tickets at `--gates` gates,
//!   picking tickets at random so that many are scanned more than once; scans per second, and an
//!   audit that fails the run when a ticket is admitted twice (see `checkin`).
//!
//! `hotspot`, `field` and `contended` share everything else. A share `--availability-share` of the
//! requests read the availability instead, so its latency is measured under the same load. Buyers
//! are `--buyers` identities: tokens minted with `--jwt-secret` (no registration; the gateway still
//! checks every token), or registered accounts without it. `--concurrency` requests in flight
//! (closed model), or `--rate` requests per second (open model), until `--duration` seconds or
//! `--requests` requests. Before the scenario, `GET /health` runs for `--health-secs` seconds at
//! `--concurrency` in flight (closed model either way): the bare HTTP round trip through the
//! gateway on this machine in this run, and every rate is also printed as a ratio to it, so figures
//! from different machines, builds or runs compare. The closed model measures capacity (the ratio
//! that matters); the open model measures latency at a set load, and its rates are the offered
//! ones while the platform keeps up (requests that fall due with 8,192 already in flight are not
//! sent, and counted). Each request's choices come from `--seed` and its index alone, so runs with
//! the same flags ask the same questions in the same order (quote the median of a few).
//!
//! Their audit reads the seat map at the end and fails the run (exit code 1) when a seat appears in
//! two 201 answers (held twice), when the map's held + booked seats (beyond those held before the
//! run) differ in number from the seats of the 201 answers, when a seat of a 201 answer is not held
//! on the map, or when held + booked exceeds the capacity. Holds last 10 minutes by default
//! (`TICKETING_RESERVATION_TTL_SECS`), so none should expire during a run.
//!
//! `purchase` shares with them the `/health` yardstick, the buyers, the two models and the stops,
//! in journeys rather than requests: `--concurrency` journeys in flight or `--rate` journeys per
//! second, until `--duration` seconds, `--requests` requests (two per journey) or the free seats run
//! out (so `--seats` must be about 2.5 x the journeys); a journey started is finished. Confirm sends
//! a fresh `Idempotency-Key` each time. Its buyers are fresh identities each run, so every booking
//! they have is this run's. Its audit first waits (up to 30 s) until no booking of the run is
//! `PENDING`, then reads every buyer's bookings (`GET /api/bookings/me`) and the seat map, and fails
//! the run when a seat is in two confirmed bookings, a confirmed booking's seat is not `BOOKED` on
//! the map, a booking was charged (`paymentStatus` `SUCCESS`) but is not confirmed, a booking is
//! still `PENDING`, a 201 answer's booking is missing from its buyer's list or not `CONFIRMED`
//! there, or (on an event it created) the map's newly booked seats differ in number from the
//! confirmed bookings' seats. With `--event`, other buyers may be booking the same event, so that
//! last difference is only reported.
//!
//! With `--also-url`, hotspot, field, contended and purchase requests go round robin to several
//! processes of one platform (one MySQL + Redis behind them; both requests of a purchase go to the
//! same one), and the audit still reads the one seat map they share. `--baseline` (sale, field)
//! then measures the reservation's SQL alone on the backend at the same concurrency and prints the
//! platform's figure as a share of that ceiling.
//!
//! `--json FILE` writes the report; `--plot FILE.png` draws each endpoint's latency by percentile.
//!
//! Layout: `args` (the flags) -> `driver` (closed and open models) -> `stats` (what a request
//! counts) -> `report` (the table, audits' verdicts, JSON, plot); `platform` sets a run up (event,
//! seat map, buyers); each scenario is its own file (`sale`, `queue`, `spot` for hotspot, field and
//! contended, `purchase`, `checkin`), and says its audit.

mod args;
mod checkin;
mod driver;
mod platform;
mod purchase;
mod queue;
mod report;
mod sale;
mod spot;
mod stats;

pub use args::{LoadgenArgs, Scenario};
use driver::*;
use futures::stream::StreamExt;
use platform::*;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use report::*;
use reqwest::StatusCode;
use serde_json::{json, Value};
use stats::*;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub async fn run(args: LoadgenArgs) -> anyhow::Result<bool> {
    anyhow::ensure!(args.rate.is_none_or(|r| r > 0.0) && args.poll_rate.is_none_or(|r| r > 0.0), "--rate and --poll-rate must be above 0");
    anyhow::ensure!(args.declined.is_none_or(|d| (0.0..=1.0).contains(&d)), "--declined must be between 0 and 1");
    let http = reqwest::Client::builder().pool_max_idle_per_host(4096).timeout(Duration::from_secs(60)).build()?;
    let base = args.url.trim_end_matches('/').to_string();
    let args = LoadgenArgs { url: base.clone(), ..args };
    let (s, login) =
        post(&http, format!("{base}/api/auth/login"), None, json!({"email": args.admin_email, "password": args.admin_password})).await?;
    anyhow::ensure!(s == StatusCode::OK, "admin login at {base} failed ({s}): set --admin-email/--admin-password");
    let admin = login["accessToken"].as_str().unwrap_or_default().to_string();
    match args.scenario {
        Scenario::Sale => sale::run_sale(args, http, admin).await,
        Scenario::Queue => queue::run_queue(args, http, admin).await,
        Scenario::Hotspot | Scenario::Field | Scenario::Contended => spot::run_spot(args, http, admin).await,
        Scenario::Purchase => purchase::run_purchase(args, http, admin).await,
        Scenario::Checkin => checkin::run_checkin(args, http, admin).await,
    }
}
