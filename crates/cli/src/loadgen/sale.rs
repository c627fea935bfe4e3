//! The `sale` scenario: buyers' whole journeys, and the audit of bookings against the seat map.

use super::*;

/// One buyer's journey: look, reserve, pay (or walk away).
async fn journey(ctx: Arc<Ctx>, token: String) {
    let base = &ctx.args.url;
    let (body, declined, abandon) = {
        let mut rng = rand::thread_rng();
        let body = if rng.gen_bool(ctx.args.best) {
            json!({"eventId": ctx.event, "quantity": rng.gen_range(1..=4)})
        } else {
            let n = rng.gen_range(1..=4usize);
            let hot_len = (ctx.seats.len() / 20).max(n);
            let pool: &[String] = if rng.gen_bool(ctx.args.hot) { &ctx.seats[..hot_len.min(ctx.seats.len())] } else { &ctx.seats };
            let pick: Vec<&String> = pool.choose_multiple(&mut rng, n).collect();
            json!({"eventId": ctx.event, "seatNumbers": pick})
        };
        (body, rng.gen_bool(ctx.args.declined_share()), rng.gen_bool(ctx.args.abandon))
    };
    ctx.call("availability", ctx.http.get(format!("{base}/api/inventory/events/{}/availability", ctx.event))).await;
    if ctx.done() {
        return;
    }
    let Some((s, r)) =
        ctx.call("reserve", ctx.http.post(format!("{base}/api/inventory/reservations")).bearer_auth(&token).json(&body)).await
    else {
        return;
    };
    if s != StatusCode::CREATED || abandon || ctx.done() {
        return;
    }
    let ids: Vec<Value> = r["reservations"].as_array().map(|a| a.iter().map(|x| x["reservationId"].clone()).collect()).unwrap_or_default();
    let card = if declined { "4000000000000002" } else { "4242424242424242" };
    let key = common::ids::new_id();
    let pay = json!({"reservationIds": ids, "paymentMethod": {"type": "CREDIT_CARD", "cardNumber": card, "expiryMonth": 12, "expiryYear": 2035, "cvv": "123"}});
    ctx.call(
        "confirm",
        ctx.http.post(format!("{base}/api/bookings/confirm")).bearer_auth(&token).header("Idempotency-Key", key).json(&pay),
    )
    .await;
}

#[derive(serde::Serialize, Default)]
struct Audit {
    seats: i64,
    booked_on_map: i64,
    held_on_map: i64,
    seats_in_confirmed_bookings: i64,
    confirmed_bookings: i64,
    failed_bookings: i64,
    charges_without_seats: i64,
    seats_sold_twice: i64,
    problems: Vec<String>,
}

/// The sale's audit: the seat map against every buyer's bookings.
async fn audit(ctx: &Ctx, tokens: &[String]) -> anyhow::Result<Audit> {
    let base = &ctx.args.url;
    let mut a = Audit::default();
    let map = seat_map(&ctx.http, base, &ctx.event).await?;
    let status_of: HashMap<&str, &str> = map.iter().map(|s| (s.seat_id.as_str(), s.status.as_str())).collect();
    a.seats = status_of.len() as i64;
    a.booked_on_map = status_of.values().filter(|s| **s == "BOOKED").count() as i64;
    a.held_on_map = status_of.values().filter(|s| **s == "RESERVED").count() as i64;
    let mut sold: HashMap<String, u32> = HashMap::new();
    for t in tokens {
        let b: Value = ctx.http.get(format!("{base}/api/bookings/me")).bearer_auth(t).send().await?.json().await?;
        for bk in b["bookings"].as_array().cloned().unwrap_or_default() {
            if bk["eventId"] != Value::String(ctx.event.clone()) {
                continue;
            }
            match (bk["status"].as_str().unwrap_or_default(), bk["paymentStatus"].as_str().unwrap_or_default()) {
                ("CONFIRMED", _) => {
                    a.confirmed_bookings += 1;
                    for s in bk["seats"].as_array().cloned().unwrap_or_default() {
                        *sold.entry(s["seatId"].as_str().unwrap_or_default().into()).or_default() += 1;
                        a.seats_in_confirmed_bookings += 1;
                    }
                }
                (_, "SUCCESS") => {
                    a.charges_without_seats += 1;
                    a.problems.push(format!("booking {} was charged but is {}", bk["bookingId"], bk["status"]));
                }
                ("FAILED", _) => a.failed_bookings += 1,
                _ => {}
            }
        }
    }
    a.seats_sold_twice = sold.values().filter(|n| **n > 1).count() as i64;
    if a.seats_sold_twice > 0 {
        a.problems.push(format!("{} seats sold twice", a.seats_sold_twice));
    }
    if a.seats_in_confirmed_bookings != a.booked_on_map {
        a.problems
            .push(format!("the map shows {} booked seats but confirmed bookings hold {}", a.booked_on_map, a.seats_in_confirmed_bookings));
    }
    for seat in sold.keys() {
        if status_of.get(seat.as_str()).copied() != Some("BOOKED") {
            a.problems.push(format!("seat {seat} is in a confirmed booking but not BOOKED on the map"));
        }
    }
    if a.booked_on_map + a.held_on_map > a.seats {
        a.problems.push("sold + held exceeds capacity".into());
    }
    Ok(a)
}

/// The flash sale (see the module doc).
pub(super) async fn run_sale(args: LoadgenArgs, http: reqwest::Client, admin: String) -> anyhow::Result<bool> {
    let base = args.url.clone();
    let event = match &args.event {
        Some(e) => e.clone(),
        None => setup_event(&args, &http, &admin).await?,
    };
    let seats: Vec<String> = seat_map(&http, &base, &event).await?.into_iter().map(|s| s.seat_number).collect();
    anyhow::ensure!(!seats.is_empty(), "event {event} has no seats");
    eprintln!("event {event}: {} seats; registering {} buyers...", seats.len(), args.buyers);
    let tokens = Arc::new(buyers(&args, &http, args.buyers).await?);

    let ctx = Arc::new(Ctx::new(&args, &http, &event, seats));
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    match args.rate {
        None => {
            for i in 0..args.buyers {
                let (ctx, tokens) = (ctx.clone(), tokens.clone());
                tasks.spawn(async move {
                    while !ctx.done() {
                        journey(ctx.clone(), tokens[i].clone()).await;
                    }
                });
            }
        }
        Some(rate) => {
            let every = Duration::from_secs_f64(1.0 / rate.max(0.001));
            let mut tick = tokio::time::interval(every);
            let mut i = 0;
            while !ctx.done() {
                tick.tick().await;
                tasks.spawn(journey(ctx.clone(), tokens[i % tokens.len()].clone()));
                i += 1;
            }
        }
    }
    while tasks.join_next().await.is_some() {}
    let secs = started.elapsed().as_secs_f64();
    ctx.progress.finish_and_clear();

    let rows = ctx.stats.lock().expect("stats").rows(&["availability", "reserve", "confirm"], secs);
    print_table(&rows);
    let mut baseline = None;
    if let Some(b) = &args.baseline {
        let reserve_rate = rows.iter().find(|r| r.endpoint == "reserve").map(|r| r.per_sec).unwrap_or(0.0);
        baseline = Some(print_baseline(b, args.buyers.min(256), args.seats, reserve_rate, "reserved").await?);
    }
    let a = audit(&ctx, &tokens).await?;
    println!("\naudit: {} seats; {} booked on the map, {} held; {} confirmed bookings holding {} seats; {} failed; {} charged without seats; {} sold twice",
        a.seats, a.booked_on_map, a.held_on_map, a.confirmed_bookings, a.seats_in_confirmed_bookings, a.failed_bookings, a.charges_without_seats, a.seats_sold_twice);
    let ok = report_problems(&a.problems);
    plot(args.plot.as_deref(), &rows)?;
    write_json(
        args.json.as_deref(),
        json!({
            "url": base, "event": event, "seconds": secs, "endpoints": rows, "audit": a, "baseline": baseline,
        }),
    )?;
    Ok(ok)
}
