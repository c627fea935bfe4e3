//! The `hotspot`, `field` and `contended` scenarios: reservations decided or granted per second,
//! against `/health`.

use super::*;

/// Which seats the reservations ask for (see the module doc of `loadgen`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// 1-2 out of the hot set.
    Hotspot,
    /// One each, never one asked for before.
    Field,
    /// 1-4 out of all the seats free at the start.
    Contended,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Hotspot => "hotspot",
            Mode::Field => "field",
            Mode::Contended => "contended",
        }
    }
}

/// One request of a `hotspot`, `field` or `contended` run, chosen before it is sent, and the
/// process (`--url`, `--also-url`) it goes to.
enum Pick {
    Availability {
        to: usize,
    },
    /// Seats by their index in `Ctx::seats`, for the buyer of this index.
    Reserve {
        to: usize,
        buyer: usize,
        seats: Vec<usize>,
    },
}

/// The URLs of one process of the platform.
struct Target {
    reserve: String,
    availability: String,
}

/// A `hotspot`, `field` or `contended` run in progress.
struct Spot {
    ctx: Ctx,
    mode: Mode,
    tokens: Vec<String>,
    /// `--url` first, then each `--also-url`.
    targets: Vec<Target>,
    /// Field: the next seat of `ctx.seats` to hand out.
    next_seat: AtomicUsize,
    /// The seatIds of every 201 answer.
    held: Mutex<Vec<String>>,
}

impl Spot {
    /// Request `i`, drawn from `--seed` and `i` alone; None once the run is over: past the
    /// deadline, past `--requests`, or (field) out of seats.
    fn pick(&self, i: u64) -> Option<Pick> {
        let (args, seats) = (&self.ctx.args, &self.ctx.seats);
        if i >= args.requests || Instant::now() >= self.ctx.deadline {
            return None;
        }
        let mut rng = request_rng(args.seed, i);
        let to = (i % self.targets.len() as u64) as usize;
        if rng.gen_bool(args.availability_share) {
            return Some(Pick::Availability { to });
        }
        let buyer = rng.gen_range(0..self.tokens.len());
        let seats = match self.mode {
            Mode::Field => {
                let k = self.next_seat.fetch_add(1, Ordering::Relaxed);
                if k >= seats.len() {
                    return None;
                }
                vec![k]
            }
            Mode::Hotspot | Mode::Contended => {
                let most = if self.mode == Mode::Hotspot { 2 } else { 4 };
                let n = rng.gen_range(1..=most).min(seats.len());
                rand::seq::index::sample(&mut rng, seats.len(), n).into_vec()
            }
        };
        Some(Pick::Reserve { to, buyer, seats })
    }

    async fn send(&self, pick: Pick) {
        let c = &self.ctx;
        match pick {
            Pick::Availability { to } => {
                c.call("availability", c.http.get(&self.targets[to].availability)).await;
            }
            Pick::Reserve { to, buyer, seats } => {
                let numbers: Vec<&str> = seats.iter().map(|&k| c.seats[k].as_str()).collect();
                let req = c
                    .http
                    .post(&self.targets[to].reserve)
                    .bearer_auth(&self.tokens[buyer])
                    .json(&json!({"eventId": c.event, "seatNumbers": numbers}));
                if let Some((s, body)) = c.call("reserve", req).await {
                    if s == StatusCode::CREATED {
                        let ids =
                            body["reservations"].as_array().into_iter().flatten().filter_map(|r| r["seatId"].as_str().map(String::from));
                        self.held.lock().expect("held").extend(ids);
                    }
                }
            }
        }
    }
}

/// The audit of `hotspot`, `field` and `contended` (see the module doc).
#[derive(serde::Serialize, Default, Debug)]
struct HoldAudit {
    capacity: usize,
    taken_before_run: usize,
    reserved_on_map: usize,
    booked_on_map: usize,
    seats_in_201_answers: usize,
    seats_held_twice: usize,
    answered_but_not_held_on_map: usize,
    problems: Vec<String>,
}

/// `before` and `after`: the seat map at the start and at the end of the run; `held`: the seatIds
/// of every 201 answer, one entry per seat per answer. `shared`: the event was given (`--event`),
/// so other buyers (another generator, real fans) may hold seats too: the map's count of new
/// holds is then no measure of this run's, and only what this run was told is checked against it.
fn audit_holds(before: &[MapSeat], after: &[MapSeat], held: &[String], shared: bool) -> HoldAudit {
    let count = |map: &[MapSeat], status: &str| map.iter().filter(|s| s.status == status).count();
    let mut a = HoldAudit {
        capacity: before.len(),
        taken_before_run: before.iter().filter(|s| s.taken()).count(),
        reserved_on_map: count(after, "RESERVED"),
        booked_on_map: count(after, "BOOKED"),
        seats_in_201_answers: held.len(),
        ..HoldAudit::default()
    };
    let mut answers_per_seat: HashMap<&str, u32> = HashMap::new();
    for id in held {
        *answers_per_seat.entry(id.as_str()).or_default() += 1;
    }
    let twice: Vec<&str> = answers_per_seat.iter().filter(|(_, n)| **n > 1).map(|(id, _)| *id).collect();
    a.seats_held_twice = twice.len();
    if !twice.is_empty() {
        a.problems.push(format!("{} seats were held twice (each in two or more 201 answers), e.g. {}", twice.len(), examples(twice)));
    }
    let taken_after: HashSet<&str> = after.iter().filter(|s| s.taken()).map(|s| s.seat_id.as_str()).collect();
    let not_held: Vec<&str> = answers_per_seat.keys().filter(|id| !taken_after.contains(*id)).copied().collect();
    a.answered_but_not_held_on_map = not_held.len();
    if !not_held.is_empty() {
        a.problems.push(format!("{} seats of 201 answers are not held on the map, e.g. {}", not_held.len(), examples(not_held)));
    }
    let taken_now = a.reserved_on_map + a.booked_on_map;
    let new_on_map = taken_now as i64 - a.taken_before_run as i64;
    let answered = held.len() as i64;
    if shared {
        if new_on_map < answered {
            a.problems
                .push(format!("the map holds {new_on_map} more seats than before the run, fewer than this run's 201 answers ({answered})"));
        }
    } else if new_on_map < answered {
        a.problems.push(format!(
            "the map holds {new_on_map} more seats than before the run, the 201 answers {answered}: \
            {} holds are missing (lost, or expired during the run)",
            answered - new_on_map
        ));
    } else if new_on_map > answered {
        a.problems.push(format!(
            "the map holds {new_on_map} more seats than before the run, the 201 answers only {answered}: \
            {} holds nobody was told about (a request that failed on this side may have succeeded)",
            new_on_map - answered
        ));
    }
    if taken_now > a.capacity {
        a.problems.push(format!("held + booked ({taken_now}) exceeds the capacity ({})", a.capacity));
    }
    a
}

/// `hotspot`, `field` and `contended` (see the module doc): /health, the scenario, the table, the
/// audit.
// The stats' guard is dropped (`drop(stats)`) before the first await that follows it; clippy does not
// see an explicit drop (rust-clippy#6446).
#[allow(clippy::await_holding_lock)]
pub(super) async fn run_spot(args: LoadgenArgs, http: reqwest::Client, admin: String) -> anyhow::Result<bool> {
    let mode = match args.scenario {
        Scenario::Field => Mode::Field,
        Scenario::Contended => Mode::Contended,
        _ => Mode::Hotspot,
    };
    let (name, field) = (mode.name(), mode == Mode::Field);
    anyhow::ensure!((0.0..=1.0).contains(&args.availability_share), "--availability-share must be between 0 and 1");
    anyhow::ensure!(args.buyers >= 1, "--buyers must be at least 1");
    let base = args.url.clone();
    let event = match &args.event {
        Some(e) => e.clone(),
        None => setup_event(&args, &http, &admin).await?,
    };
    let before = seat_map(&http, &base, &event).await?;
    anyhow::ensure!(!before.is_empty(), "event {event} has no seats");
    let free_seats = || before.iter().filter(|s| s.status == "AVAILABLE").map(|s| s.seat_number.clone());
    let seats: Vec<String> = match mode {
        Mode::Field => {
            let mut free: Vec<String> = free_seats().collect();
            free.shuffle(&mut StdRng::seed_from_u64(args.seed));
            free
        }
        Mode::Contended => free_seats().collect(),
        Mode::Hotspot => before.iter().take(args.hot_seats.max(1)).map(|s| s.seat_number.clone()).collect(),
    };
    anyhow::ensure!(!seats.is_empty(), "event {event} has no free seat");
    let model = Model::new(args.rate, args.concurrency);
    if let (true, Some(rate)) = (field, args.rate) {
        if rate * args.duration as f64 > seats.len() as f64 {
            eprintln!(
                "note: {} free seats, fewer than rate x duration ({:.0}): the run stops when they run out",
                seats.len(),
                rate * args.duration as f64
            );
        }
    }
    let tokens = buyer_tokens(&args, &http, "loadgen-buyer").await?;
    let asks = match mode {
        Mode::Field => format!("one seat each out of {} free, each asked for once", seats.len()),
        Mode::Contended => format!("1-4 seats each out of all {} free, at random", seats.len()),
        Mode::Hotspot => format!("1-2 seats out of the first {}", seats.len()),
    };
    println!(
        "{name}: event {event}, {} seats; {asks}; {:.0}% availability reads; {} buyers ({}); {}; {} s or {} requests; seed {}",
        before.len(),
        args.availability_share * 100.0,
        args.buyers,
        if args.jwt_secret.is_some() { "minted tokens" } else { "registered" },
        model.describe(),
        args.duration,
        args.requests,
        args.seed
    );
    let health = measure_health(&args, &http).await;

    let targets = processes(&args)
        .map(|u| Target {
            reserve: format!("{u}/api/inventory/reservations"),
            availability: format!("{u}/api/inventory/events/{event}/availability"),
        })
        .collect();
    let spot = Spot {
        ctx: Ctx::new(&args, &http, &event, seats),
        mode,
        tokens,
        targets,
        next_seat: AtomicUsize::new(0),
        held: Mutex::new(Vec::new()),
    };
    let driven = drive(model, |i| spot.pick(i).map(|p| spot.send(p)), |()| {}).await;
    spot.ctx.progress.finish_and_clear();
    let secs = driven.secs;

    let stats = spot.ctx.stats.lock().expect("stats");
    let health_rate = health.per_sec;
    let mut rows = vec![health];
    rows.extend(stats.rows(&["reserve", "availability"], secs));
    for r in &mut rows {
        r.ratio_to_health = ratio(r.per_sec, health_rate);
    }
    print_table(&rows);
    let reserve = stats.codes.get("reserve").cloned().unwrap_or_default();
    let answered = |k: &str| reserve.get(k).copied().unwrap_or(0);
    let (holds, refused) = (answered("201"), answered("409 SEAT_UNAVAILABLE"));
    let (figure, what, n) = match mode {
        Mode::Field | Mode::Contended => ("successful holds", "201", holds),
        Mode::Hotspot => ("decisions", "201 or 409 SEAT_UNAVAILABLE", holds + refused),
    };
    let per_sec = n as f64 / secs.max(1e-9);
    let headline_ratio = ratio(per_sec, health_rate);
    println!("\n{name}: {per_sec:.1} {figure}/s ({what}; {n} in {secs:.1} s) = {} x /health", fmt_ratio(headline_ratio));
    let mut headline = json!({"figure": figure, "counts": what, "per_sec": per_sec, "ratio_to_health": headline_ratio});
    if mode == Mode::Contended {
        // Seats per hold vary (1-4), and a refusal is the whole request's: seats held/s is the
        // rate that compares with field's holds/s, the conflict share what it cost.
        let seats_held = spot.held.lock().expect("held").len();
        let seats_per_sec = seats_held as f64 / secs.max(1e-9);
        let seats_ratio = ratio(seats_per_sec, health_rate);
        let answers: u64 = reserve.iter().filter(|(k, _)| !matches!(k.as_str(), "timeout" | "connect")).map(|(_, v)| v).sum();
        let conflict_share = refused as f64 / answers.max(1) as f64;
        println!("{name}: {seats_per_sec:.1} seats held/s ({seats_held} seats in the 201 answers) = {} x /health", fmt_ratio(seats_ratio));
        println!("{name}: conflicts {:.1}% of the reservation answers ({refused} of {answers} were 409 SEAT_UNAVAILABLE); the 201 answers hold {:.1}% of the {} seats free at the start",
            conflict_share * 100.0, seats_held as f64 * 100.0 / spot.ctx.seats.len() as f64, spot.ctx.seats.len());
        headline["seats_per_sec"] = json!(seats_per_sec);
        headline["seats_ratio_to_health"] = json!(seats_ratio);
        headline["conflict_share"] = json!(conflict_share);
    }
    let mut errors = BTreeMap::new();
    for (ep, fine) in [("reserve", &["201", "409 SEAT_UNAVAILABLE"][..]), ("availability", &["200"][..])] {
        for (outcome, k) in stats.codes.get(ep).into_iter().flatten() {
            if !fine.contains(&outcome.as_str()) {
                errors.insert(format!("{ep} {outcome}"), *k);
            }
        }
    }
    drop(stats);
    let listed: Vec<String> = errors.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    println!("errors: {}", if listed.is_empty() { "none".to_string() } else { listed.join(", ") });
    if field && refused > 0 {
        println!(
            "{refused} reservations refused (409 SEAT_UNAVAILABLE): no seat is asked for twice, so those were taken before this run asked"
        );
    }
    if field && spot.next_seat.load(Ordering::Relaxed) > spot.ctx.seats.len() {
        println!("the free seats ran out: the run stopped after {secs:.1} s");
    }
    if driven.not_sent > 0 {
        println!(
            "{} requests fell due while {OPEN_MAX_IN_FLIGHT} were in flight and were not sent: the platform answers slower than --rate",
            driven.not_sent
        );
    }

    let baseline = match (&args.baseline, field) {
        (Some(b), true) => Some(print_baseline(b, args.concurrency.clamp(1, 256), args.seats, per_sec, "held").await?),
        (Some(_), false) => {
            println!("--baseline is measured in the field and sale scenarios (the ceiling of holds granted), not in {name}");
            None
        }
        _ => None,
    };

    let held = std::mem::take(&mut *spot.held.lock().expect("held"));
    let after = seat_map(&http, &base, &event).await?;
    let a = audit_holds(&before, &after, &held, args.event.is_some());
    println!("\naudit: {} seats, {} held or booked before the run; now {} held and {} booked on the map; the 201 answers hold {} seats; {} held twice; {} answered but not held",
        a.capacity, a.taken_before_run, a.reserved_on_map, a.booked_on_map, a.seats_in_201_answers, a.seats_held_twice, a.answered_but_not_held_on_map);
    let ok = report_problems(&a.problems);
    plot(args.plot.as_deref(), &rows)?;
    write_json(
        args.json.as_deref(),
        json!({
            "scenario": name, "url": base, "event": event, "model": model.describe(), "seconds": secs,
            "settings": {"concurrency": args.concurrency, "rate": args.rate, "seats": before.len(), "hot_seats": args.hot_seats,
                "availability_share": args.availability_share, "buyers": args.buyers, "minted_tokens": args.jwt_secret.is_some(),
                "duration": args.duration, "requests": args.requests, "health_secs": args.health_secs, "seed": args.seed},
            "health": rows[0], "endpoints": &rows[1..],
            "headline": headline,
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

    #[test]
    fn the_hold_audit_passes_a_consistent_run_and_names_each_inconsistency() {
        let before = [seat("a", "AVAILABLE"), seat("b", "AVAILABLE"), seat("c", "RESERVED")];
        let after = [seat("a", "RESERVED"), seat("b", "AVAILABLE"), seat("c", "RESERVED")];
        let held = |ids: &[&str]| ids.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(audit_holds(&before, &after, &held(&["a"]), false).problems.is_empty());
        let twice = audit_holds(&before, &after, &held(&["a", "a"]), false);
        assert_eq!((twice.seats_held_twice, twice.problems.len()), (1, 2), "{:?}", twice.problems);
        let lost = audit_holds(&before, &after, &held(&["a", "b"]), false);
        assert_eq!((lost.answered_but_not_held_on_map, lost.problems.len()), (1, 2), "{:?}", lost.problems);
        let untold = audit_holds(&before, &after, &[], false);
        assert_eq!(untold.problems.len(), 1, "{:?}", untold.problems);
        // On a shared event, holds nobody told this run about are someone else's.
        assert!(audit_holds(&before, &after, &[], true).problems.is_empty());
    }
}
