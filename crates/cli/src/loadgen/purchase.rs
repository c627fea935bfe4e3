//! The `purchase` scenario: holds paid for at once, bookings and seats sold per second against
//! `/health`, and the audit of the bookings against the seat map.

use super::*;

/// The test cards (shared/API.md §7): always accepted, always declined.
const GOOD_CARD: &str = "4242424242424242";
const DECLINED_CARD: &str = "4000000000000002";

/// `GET /api/bookings/me` lists a buyer's newest 500 bookings: a buyer with that many may have more
/// than the audit can see.
const LISTED_AT_MOST: usize = 500;

/// How long the audit waits for the run's bookings to leave `PENDING`, and how often it looks.
const SETTLE_WAIT: Duration = Duration::from_secs(30);
const SETTLE_POLL: Duration = Duration::from_millis(500);

/// One journey, chosen before it starts.
struct Journey {
    /// The process (`--url`, `--also-url`) both of its requests go to.
    to: usize,
    buyer: usize,
    /// Its seats, by their index in `Ctx::seats`.
    seats: std::ops::Range<usize>,
    declined: bool,
}

/// The URLs of one process of the platform.
struct Target {
    reserve: String,
    confirm: String,
}

/// A confirm the run sent, and what it was told: what the audit checks the bookings against.
#[derive(Debug)]
struct Confirm {
    buyer: usize,
    idempotency_key: String,
    declined: bool,
    /// The status with the error code, or the transport error (as in the table).
    outcome: String,
    /// From the answer: the 201 booking's, or the one an error names (402 does); None without an
    /// answer (a timeout), the buyer's list then tells.
    booking_id: Option<String>,
    /// The seats of a 201 answer's booking.
    seats: usize,
}

/// A `purchase` run in progress.
struct Purchase {
    ctx: Ctx,
    tokens: Vec<String>,
    /// `--url` first, then each `--also-url`.
    targets: Vec<Target>,
    declined: f64,
    /// The next seat of `ctx.seats` to hand out.
    next_seat: AtomicUsize,
    confirms: Mutex<Vec<Confirm>>,
}

impl Purchase {
    /// Journey `i`, drawn from `--seed` and `i` alone (its seats are the next ones of the shuffled
    /// free seats, so they too depend on `i` alone); None once the run is over: past the deadline,
    /// past `--requests` (two per journey), or out of seats.
    fn pick(&self, i: u64) -> Option<Journey> {
        let (args, seats) = (&self.ctx.args, &self.ctx.seats);
        if i.saturating_mul(2) >= args.requests || Instant::now() >= self.ctx.deadline {
            return None;
        }
        let mut rng = request_rng(args.seed, i);
        let n = rng.gen_range(1..=4usize);
        let k = self.next_seat.fetch_add(n, Ordering::Relaxed);
        if k >= seats.len() {
            return None;
        }
        Some(Journey {
            to: (i % self.targets.len() as u64) as usize,
            buyer: rng.gen_range(0..self.tokens.len()),
            seats: k..(k + n).min(seats.len()),
            declined: rng.gen_bool(self.declined),
        })
    }

    /// Hold the seats, then pay for them at once; a journey started is finished (past the
    /// deadline too), so no hold of the run is left to expire.
    async fn journey(&self, j: Journey) {
        let c = &self.ctx;
        let (target, token) = (&self.targets[j.to], &self.tokens[j.buyer]);
        let req = c.http.post(&target.reserve).bearer_auth(token).json(&json!({"eventId": c.event, "seatNumbers": &c.seats[j.seats]}));
        let Some((status, held)) = c.call("reserve", req).await else { return };
        if status != StatusCode::CREATED {
            return;
        }
        let ids: Vec<&Value> = held["reservations"].as_array().into_iter().flatten().map(|r| &r["reservationId"]).collect();
        let card = if j.declined { DECLINED_CARD } else { GOOD_CARD };
        let key = common::ids::new_id();
        let pay = json!({"reservationIds": ids, "paymentMethod": {"type": "CREDIT_CARD", "cardNumber": card, "expiryMonth": 12, "expiryYear": 2035, "cvv": "123"}});
        let req = c.http.post(&target.confirm).bearer_auth(token).header("Idempotency-Key", &key).json(&pay);
        let (outcome, answer) = c.call_outcome("confirm", req).await;
        let booking_id = answer.as_ref().and_then(|(_, b)| b["bookingId"].as_str()).map(String::from);
        let seats = match &answer {
            Some((s, b)) if *s == StatusCode::CREATED => b["seats"].as_array().map_or(0, Vec::len),
            _ => 0,
        };
        self.confirms.lock().expect("confirms").push(Confirm {
            buyer: j.buyer,
            idempotency_key: key,
            declined: j.declined,
            outcome,
            booking_id,
            seats,
        });
    }
}

/// A booking as `GET /api/bookings/me` lists it (the fields the audit reads).
#[derive(serde::Deserialize, Clone, Debug)]
#[serde(rename_all = "camelCase")]
struct Booking {
    booking_id: String,
    /// None until the booking has read its holds (one refused before that never gets one).
    #[serde(default)]
    event_id: Option<String>,
    status: String,
    #[serde(default)]
    payment_status: String,
    #[serde(default)]
    seats: Vec<BookedSeat>,
}

#[derive(serde::Deserialize, Clone, Debug)]
#[serde(rename_all = "camelCase")]
struct BookedSeat {
    seat_id: String,
}

/// A buyer's bookings, newest first (at most `LISTED_AT_MOST`).
async fn bookings_of(http: &reqwest::Client, base: &str, token: &str) -> anyhow::Result<Vec<Booking>> {
    #[derive(serde::Deserialize)]
    struct List {
        bookings: Vec<Booking>,
    }
    let resp = http.get(format!("{base}/api/bookings/me")).bearer_auth(token).send().await?;
    anyhow::ensure!(resp.status() == StatusCode::OK, "GET /api/bookings/me: {}", resp.status());
    Ok(resp.json::<List>().await?.bookings)
}

/// The bookings of these buyers, 32 lists read at a time.
async fn read_bookings(
    http: &reqwest::Client,
    base: &str,
    tokens: &[String],
    buyers: &[usize],
) -> anyhow::Result<Vec<(usize, Vec<Booking>)>> {
    let lists: Vec<anyhow::Result<(usize, Vec<Booking>)>> = futures::stream::iter(buyers)
        .map(|&b| async move { Ok((b, bookings_of(http, base, &tokens[b]).await?)) })
        .buffer_unordered(32)
        .collect()
        .await;
    lists.into_iter().collect()
}

/// The audit of `purchase` (see the module doc of `loadgen`).
#[derive(serde::Serialize, Default, Debug)]
struct BookingAudit {
    capacity: usize,
    booked_before_run: usize,
    booked_on_map: usize,
    /// The bookings of the run (its buyers' bookings of this event).
    bookings: usize,
    confirmed_bookings: usize,
    seats_in_confirmed_bookings: usize,
    failed_bookings: usize,
    cancelled_bookings: usize,
    pending_bookings: usize,
    seats_sold_twice: usize,
    confirmed_but_not_booked_on_map: usize,
    charged_without_seats: usize,
    answered_201_but_not_confirmed: usize,
    /// The map's newly booked seats minus the seats of the run's confirmed bookings: a problem on
    /// an event the run created, only information on a shared one (`--event`).
    booked_difference: i64,
    problems: Vec<String>,
}

/// `before` and `after`: the seat map at the start and at the end (after the wait); `confirms`:
/// every confirm the run sent; `bookings`: every booking of the run, with its buyer; `own_event`:
/// the run created the event, so every booking of it is the run's.
fn audit_bookings(
    before: &[MapSeat],
    after: &[MapSeat],
    confirms: &[Confirm],
    bookings: &[(usize, Booking)],
    own_event: bool,
) -> BookingAudit {
    let booked = |map: &[MapSeat]| map.iter().filter(|s| s.status == "BOOKED").count();
    let mut a = BookingAudit {
        capacity: before.len(),
        booked_before_run: booked(before),
        booked_on_map: booked(after),
        bookings: bookings.len(),
        ..BookingAudit::default()
    };
    let mut sold: HashMap<&str, u32> = HashMap::new();
    let (mut pending, mut charged) = (Vec::new(), Vec::new());
    for (_, b) in bookings {
        match b.status.as_str() {
            "CONFIRMED" => {
                a.confirmed_bookings += 1;
                for s in &b.seats {
                    *sold.entry(s.seat_id.as_str()).or_default() += 1;
                    a.seats_in_confirmed_bookings += 1;
                }
            }
            "FAILED" => a.failed_bookings += 1,
            "CANCELLED" => a.cancelled_bookings += 1,
            "PENDING" => pending.push(b.booking_id.as_str()),
            _ => {}
        }
        // A refunded charge (paymentStatus REFUNDED) is fine: only SUCCESS must have its seats.
        if b.payment_status == "SUCCESS" && b.status != "CONFIRMED" {
            charged.push(b.booking_id.as_str());
        }
    }
    a.pending_bookings = pending.len();
    if !pending.is_empty() {
        a.problems.push(format!("{} bookings are still PENDING after the wait, e.g. {}", pending.len(), examples(pending)));
    }
    a.charged_without_seats = charged.len();
    if !charged.is_empty() {
        a.problems.push(format!(
            "{} bookings were charged (paymentStatus SUCCESS) but are not CONFIRMED, e.g. {}",
            charged.len(),
            examples(charged)
        ));
    }
    let twice: Vec<&str> = sold.iter().filter(|(_, n)| **n > 1).map(|(id, _)| *id).collect();
    a.seats_sold_twice = twice.len();
    if !twice.is_empty() {
        a.problems.push(format!("{} seats are in two or more CONFIRMED bookings, e.g. {}", twice.len(), examples(twice)));
    }
    let booked_now: HashSet<&str> = after.iter().filter(|s| s.status == "BOOKED").map(|s| s.seat_id.as_str()).collect();
    let not_booked: Vec<&str> = sold.keys().filter(|id| !booked_now.contains(*id)).copied().collect();
    a.confirmed_but_not_booked_on_map = not_booked.len();
    if !not_booked.is_empty() {
        a.problems.push(format!(
            "{} seats of CONFIRMED bookings are not BOOKED on the map, e.g. {}",
            not_booked.len(),
            examples(not_booked)
        ));
    }
    let listed: HashMap<(usize, &str), &str> =
        bookings.iter().map(|(buyer, b)| ((*buyer, b.booking_id.as_str()), b.status.as_str())).collect();
    let mut unconfirmed = Vec::new();
    for c in confirms.iter().filter(|c| c.outcome == "201") {
        let id = c.booking_id.as_deref().unwrap_or("(none in the answer)");
        match listed.get(&(c.buyer, id)) {
            Some(&"CONFIRMED") => {}
            Some(status) => unconfirmed.push(format!("booking {id} (key {}) is {status}", c.idempotency_key)),
            None => unconfirmed.push(format!("booking {id} (key {}) is not in buyer {}'s list", c.idempotency_key, c.buyer)),
        }
    }
    a.answered_201_but_not_confirmed = unconfirmed.len();
    if !unconfirmed.is_empty() {
        let n = unconfirmed.len();
        unconfirmed.truncate(3);
        a.problems
            .push(format!("{n} confirms answered 201 but their booking is not CONFIRMED in the buyer's list: {}", unconfirmed.join("; ")));
    }
    a.booked_difference = (a.booked_on_map as i64 - a.booked_before_run as i64) - a.seats_in_confirmed_bookings as i64;
    if own_event && a.booked_difference != 0 {
        a.problems.push(format!(
            "the map booked {} seats during the run, the run's CONFIRMED bookings hold {}",
            a.booked_on_map as i64 - a.booked_before_run as i64,
            a.seats_in_confirmed_bookings
        ));
    }
    a
}

/// `purchase` (see the module doc of `loadgen`): /health, the journeys, the table, the audit.
pub(super) async fn run_purchase(args: LoadgenArgs, http: reqwest::Client, admin: String) -> anyhow::Result<bool> {
    anyhow::ensure!(args.buyers >= 1, "--buyers must be at least 1");
    let base = args.url.clone();
    let event = match &args.event {
        Some(e) => e.clone(),
        None => setup_event(&args, &http, &admin).await?,
    };
    let before = seat_map(&http, &base, &event).await?;
    anyhow::ensure!(!before.is_empty(), "event {event} has no seats");
    let mut seats: Vec<String> = before.iter().filter(|s| s.status == "AVAILABLE").map(|s| s.seat_number.clone()).collect();
    seats.shuffle(&mut StdRng::seed_from_u64(args.seed));
    anyhow::ensure!(!seats.is_empty(), "event {event} has no free seat");
    let model = Model::new(args.rate, args.concurrency);
    if let Some(rate) = args.rate {
        if rate * args.duration as f64 * 2.5 > seats.len() as f64 {
            eprintln!(
                "note: {} free seats, fewer than 2.5 x rate x duration ({:.0}): the run stops when they run out",
                seats.len(),
                2.5 * rate * args.duration as f64
            );
        }
    }
    // Fresh identities each run: every booking the buyers have is then this run's, which the audit
    // relies on (registered buyers are new accounts each run anyway).
    let tokens = buyer_tokens(&args, &http, &format!("loadgen-purchase-{}", common::ids::random_token(4))).await?;
    let declined = args.declined_share();
    let journeys = match model {
        Model::Closed(n) => format!("closed model, {n} journeys in flight"),
        Model::Open(r) => format!("open model, {r} journeys/s"),
    };
    println!("purchase: event {event}, {} seats; 1-4 seats a journey out of {} free, each asked for once, then paid ({:.0}% with the declined card); \
        {} buyers ({}); {journeys}; {} s or {} requests; seed {}",
        before.len(), seats.len(), declined * 100.0, args.buyers, if args.jwt_secret.is_some() { "minted tokens" } else { "registered" },
        args.duration, args.requests, args.seed);
    let health = measure_health(&args, &http).await;

    let targets = processes(&args)
        .map(|u| Target { reserve: format!("{u}/api/inventory/reservations"), confirm: format!("{u}/api/bookings/confirm") })
        .collect();
    let run = Purchase {
        ctx: Ctx::new(&args, &http, &event, seats),
        tokens,
        targets,
        declined,
        next_seat: AtomicUsize::new(0),
        confirms: Mutex::new(Vec::new()),
    };
    let driven = drive(model, |i| run.pick(i).map(|j| run.journey(j)), |()| {}).await;
    run.ctx.progress.finish_and_clear();
    let secs = driven.secs;

    let health_rate = health.per_sec;
    let mut rows = vec![health];
    let mut errors = BTreeMap::new();
    {
        let stats = run.ctx.stats.lock().expect("stats");
        rows.extend(stats.rows(&["reserve", "confirm"], secs));
        for (outcome, k) in stats.codes.get("reserve").into_iter().flatten() {
            if outcome != "201" {
                errors.insert(format!("reserve {outcome}"), *k);
            }
        }
    }
    for r in &mut rows {
        r.ratio_to_health = ratio(r.per_sec, health_rate);
    }
    print_table(&rows);
    let confirms = std::mem::take(&mut *run.confirms.lock().expect("confirms"));
    // A confirm is fine when the card decided it: 201 with the good card, 402 with the declined one.
    for c in &confirms {
        let error = match (c.outcome.as_str(), c.declined) {
            ("201", false) | ("402 PAYMENT_FAILED", true) => continue,
            ("201", true) => "confirm 201 with the declined card".to_string(),
            ("402 PAYMENT_FAILED", false) => "confirm 402 PAYMENT_FAILED with the good card".to_string(),
            (outcome, _) => format!("confirm {outcome}"),
        };
        *errors.entry(error).or_insert(0u64) += 1;
    }
    let sold: Vec<&Confirm> = confirms.iter().filter(|c| c.outcome == "201").collect();
    let seats_sold: usize = sold.iter().map(|c| c.seats).sum();
    let (bookings_per_sec, seats_per_sec) = (sold.len() as f64 / secs.max(1e-9), seats_sold as f64 / secs.max(1e-9));
    let (bookings_ratio, seats_ratio) = (ratio(bookings_per_sec, health_rate), ratio(seats_per_sec, health_rate));
    let confirm_row = rows.iter().find(|r| r.endpoint == "confirm");
    let [p50, p95, p99] = confirm_row.map_or([0.0; 3], |r| [r.p50_ms, r.p95_ms, r.p99_ms]);
    println!(
        "\npurchase: {bookings_per_sec:.1} confirmed bookings/s (201; {} in {secs:.1} s) = {} x /health",
        sold.len(),
        fmt_ratio(bookings_ratio)
    );
    println!("purchase: {seats_per_sec:.1} seats sold/s ({seats_sold} seats) = {} x /health; confirm p50 {p50:.2} ms, p95 {p95:.2} ms, p99 {p99:.2} ms",
        fmt_ratio(seats_ratio));
    let listed: Vec<String> = errors.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    println!("errors: {}", if listed.is_empty() { "none".to_string() } else { listed.join(", ") });
    if run.next_seat.load(Ordering::Relaxed) > run.ctx.seats.len() {
        println!("the free seats ran out: the run stopped after {secs:.1} s");
    }
    if driven.not_sent > 0 {
        println!(
            "{} journeys fell due while {OPEN_MAX_IN_FLIGHT} were in flight and were not started: the platform answers slower than --rate",
            driven.not_sent
        );
    }

    // Every buyer that sent a confirm; the first read takes all of them, later ones only those
    // with a booking still PENDING (the saga, or a recovery after a timeout, finishing it).
    let mut to_read: Vec<usize> = confirms.iter().map(|c| c.buyer).collect::<HashSet<_>>().into_iter().collect();
    let mut lists: HashMap<usize, Vec<Booking>> = HashMap::new();
    let of_run = |b: &Booking| b.event_id.as_deref().is_none_or(|e| e == event);
    let waited = Instant::now();
    loop {
        for (buyer, list) in read_bookings(&http, &base, &run.tokens, &to_read).await? {
            lists.insert(buyer, list);
        }
        to_read = lists.iter().filter(|(_, l)| l.iter().any(|b| of_run(b) && b.status == "PENDING")).map(|(b, _)| *b).collect();
        if to_read.is_empty() || waited.elapsed() >= SETTLE_WAIT {
            break;
        }
        tokio::time::sleep(SETTLE_POLL).await;
    }
    if waited.elapsed() >= SETTLE_POLL {
        println!("\nwaited {:.1} s for the run's PENDING bookings to settle", waited.elapsed().as_secs_f64());
    }
    let truncated: Vec<usize> = lists.iter().filter(|(_, l)| l.len() >= LISTED_AT_MOST).map(|(b, _)| *b).collect();
    let bookings: Vec<(usize, Booking)> =
        lists.into_iter().flat_map(|(buyer, l)| l.into_iter().filter(|b| of_run(b)).map(move |b| (buyer, b))).collect();
    let after = seat_map(&http, &base, &event).await?;
    let mut a = audit_bookings(&before, &after, &confirms, &bookings, args.event.is_none());
    if !truncated.is_empty() {
        a.problems.push(format!(
            "{} buyers have {LISTED_AT_MOST} bookings listed, the most GET /api/bookings/me lists: the audit cannot see all of them \
            (run with more --buyers)",
            truncated.len()
        ));
    }
    println!("\naudit: {} seats, {} booked before the run, {} now; the run's {} bookings: {} confirmed holding {} seats, {} failed, {} cancelled, {} pending; \
        {} seats sold twice; {} confirmed seats not booked on the map; {} charged without seats; {} 201 answers not confirmed in the list",
        a.capacity, a.booked_before_run, a.booked_on_map, a.bookings, a.confirmed_bookings, a.seats_in_confirmed_bookings, a.failed_bookings,
        a.cancelled_bookings, a.pending_bookings, a.seats_sold_twice, a.confirmed_but_not_booked_on_map, a.charged_without_seats, a.answered_201_but_not_confirmed);
    if args.event.is_some() && a.booked_difference != 0 {
        println!(
            "the map booked {} more seats during the run than the run's confirmed bookings hold (--event: other buyers may share it)",
            a.booked_difference
        );
    }
    let ok = report_problems(&a.problems);
    let baseline = match &args.baseline {
        Some(b) => {
            let n = args.concurrency.clamp(1, 256);
            eprintln!("baseline: the purchase's transactions alone, {n} journeys in flight...");
            let fig = crate::bench::raw_purchase_ceiling(b, n, 5_000).await?;
            println!(
                "\nbaseline: the purchase's six transactions alone (no HTTP, no grouping), {n} in flight: {:.0} purchases/s (p50 {:.2} ms); \
                 the platform confirmed {bookings_per_sec:.0}/s over HTTP: {:.2} x the baseline",
                fig.per_sec,
                fig.p50_ms,
                bookings_per_sec / fig.per_sec.max(1e-9)
            );
            Some(fig)
        }
        None => None,
    };
    plot(args.plot.as_deref(), &rows)?;
    write_json(
        args.json.as_deref(),
        json!({
            "scenario": "purchase", "url": base, "event": event, "model": journeys, "seconds": secs,
            "settings": {"concurrency": args.concurrency, "rate": args.rate, "seats": before.len(), "declined": declined,
                "buyers": args.buyers, "minted_tokens": args.jwt_secret.is_some(), "duration": args.duration, "requests": args.requests,
                "health_secs": args.health_secs, "seed": args.seed},
            "health": rows[0], "endpoints": &rows[1..],
            "headline": {"bookings_per_sec": bookings_per_sec, "bookings_ratio_to_health": bookings_ratio, "bookings": sold.len(),
                "seats_per_sec": seats_per_sec, "seats_ratio_to_health": seats_ratio, "seats": seats_sold,
                "confirm_p50_ms": p50, "confirm_p95_ms": p95, "confirm_p99_ms": p99},
            "errors": errors, "not_sent": driven.not_sent, "audit": a, "baseline": baseline,
        }),
    )?;
    Ok(ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seat(id: &str, status: &str) -> MapSeat {
        MapSeat { seat_id: id.into(), seat_number: id.into(), status: status.into() }
    }

    fn booking(id: &str, status: &str, payment: &str, seats: &[&str]) -> Booking {
        Booking {
            booking_id: id.into(),
            event_id: Some("e".into()),
            status: status.into(),
            payment_status: payment.into(),
            seats: seats.iter().map(|s| BookedSeat { seat_id: s.to_string() }).collect(),
        }
    }

    fn confirm(buyer: usize, booking: &str, outcome: &str, seats: usize) -> Confirm {
        Confirm {
            buyer,
            idempotency_key: format!("key-{booking}"),
            declined: outcome != "201",
            outcome: outcome.into(),
            booking_id: Some(booking.into()),
            seats,
        }
    }

    #[test]
    fn the_booking_audit_passes_a_consistent_run_and_names_each_inconsistency() {
        let before = [seat("a", "AVAILABLE"), seat("b", "AVAILABLE"), seat("c", "AVAILABLE"), seat("d", "BOOKED")];
        let after = [seat("a", "BOOKED"), seat("b", "BOOKED"), seat("c", "AVAILABLE"), seat("d", "BOOKED")];
        let confirms = [confirm(0, "b1", "201", 2), confirm(1, "b2", "402 PAYMENT_FAILED", 0)];
        let good = || vec![(0, booking("b1", "CONFIRMED", "SUCCESS", &["a", "b"])), (1, booking("b2", "FAILED", "FAILED", &["c"]))];
        let audit = |bookings: &[(usize, Booking)], own_event| audit_bookings(&before, &after, &confirms, bookings, own_event);
        let a = audit(&good(), true);
        assert!(a.problems.is_empty(), "{:?}", a.problems);
        assert_eq!((a.confirmed_bookings, a.seats_in_confirmed_bookings, a.failed_bookings, a.booked_difference), (1, 2, 1, 0));

        // A seat in two confirmed bookings (and the map books one seat fewer than they hold).
        let mut twice = good();
        twice.push((1, booking("b3", "CONFIRMED", "SUCCESS", &["b"])));
        let a = audit(&twice, true);
        assert_eq!(a.seats_sold_twice, 1);
        assert!(a.problems.iter().any(|p| p.contains("two or more CONFIRMED")), "{:?}", a.problems);
        assert!(a.problems.iter().any(|p| p.contains("the map booked 2 seats during the run")), "{:?}", a.problems);
        // On a shared event (--event), the count is information, not a problem.
        assert_eq!(audit(&twice, false).problems.len(), 1, "{:?}", audit(&twice, false).problems);

        // A confirmed booking whose seat is not booked on the map.
        let mut not_booked = good();
        not_booked.push((1, booking("b3", "CONFIRMED", "SUCCESS", &["c"])));
        let a = audit(&not_booked, false);
        assert_eq!((a.confirmed_but_not_booked_on_map, a.problems.len()), (1, 1), "{:?}", a.problems);
        assert!(a.problems[0].contains("not BOOKED on the map"));

        // A charge without seats; a refunded one is fine.
        let mut charged = good();
        charged[1].1.payment_status = "SUCCESS".into();
        let a = audit(&charged, true);
        assert_eq!((a.charged_without_seats, a.problems.len()), (1, 1), "{:?}", a.problems);
        assert!(a.problems[0].contains("charged"));
        charged[1].1.payment_status = "REFUNDED".into();
        assert!(audit(&charged, true).problems.is_empty());

        // A booking still pending after the wait.
        let mut pending = good();
        pending.push((2, booking("b4", "PENDING", "PENDING", &[])));
        let a = audit(&pending, true);
        assert_eq!((a.pending_bookings, a.problems.len()), (1, 1), "{:?}", a.problems);
        assert!(a.problems[0].contains("PENDING"));

        // A 201 answer whose booking is missing from the buyer's list, or listed but not confirmed.
        let missing = vec![(1, booking("b2", "FAILED", "FAILED", &["c"]))];
        let after_nothing = [seat("a", "AVAILABLE"), seat("b", "AVAILABLE"), seat("c", "AVAILABLE"), seat("d", "BOOKED")];
        let a = audit_bookings(&before, &after_nothing, &confirms, &missing, true);
        assert_eq!((a.answered_201_but_not_confirmed, a.problems.len()), (1, 1), "{:?}", a.problems);
        assert!(a.problems[0].contains("not in buyer 0's list"));
        let mut cancelled = good();
        cancelled[0].1.status = "CANCELLED".into();
        cancelled[0].1.payment_status = "REFUNDED".into();
        let a = audit_bookings(&before, &after_nothing, &confirms, &cancelled, true);
        assert_eq!((a.answered_201_but_not_confirmed, a.problems.len()), (1, 1), "{:?}", a.problems);
        assert!(a.problems[0].contains("is CANCELLED"));

        // The map books seats no confirmed booking holds.
        let a = audit_bookings(&before, &after, &[], &[], true);
        assert_eq!((a.booked_difference, a.problems.len()), (2, 1), "{:?}", a.problems);
        assert!(audit_bookings(&before, &after, &[], &[], false).problems.is_empty());
    }
}
