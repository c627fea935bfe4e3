//! The `checkin` scenario: the doors open. It sells `--seats` seats (bookings of up to 4 seats, 32
//! at a time, with the good card), collects their tickets, then scans them at `--gates` gates:
//! every scan picks a ticket at random, so many are scanned again (at the same gate or another,
//! at the same moment or later), as at a real door where fans retry and gates disagree.
//! `--concurrency` scans in flight (closed model) or `--rate` scans per second (open model), until
//! `--duration` seconds or `--requests` scans. Figures: scans/s (and as a ratio to `/health`), the
//! latency percentiles, and the answers by result.
//!
//! Its audit fails the run (exit code 1) when a ticket was answered `ADMITTED` more than once, when
//! an `ALREADY_USED` answer names another time or gate than the admission, when a scan of a valid
//! ticket was answered anything but those two, or when the server's count of admitted tickets
//! differs from the tickets this run saw admitted.

use super::*;

#[derive(Clone)]
struct Ticket {
    id: String,
    code: String,
}

/// Sell every seat of the event and return the tickets.
async fn sell_out(args: &LoadgenArgs, http: &reqwest::Client, event: &str, tokens: &[String]) -> anyhow::Result<Vec<Ticket>> {
    let base = &args.url;
    let seats: Vec<String> = seat_map(http, base, event).await?.into_iter().map(|s| s.seat_number).collect();
    let chunks: Vec<(usize, Vec<String>)> = seats.chunks(4).map(|c| c.to_vec()).enumerate().collect();
    let card = json!({"type": "CREDIT_CARD", "cardNumber": "4242424242424242", "expiryMonth": 12, "expiryYear": 2099, "cvv": "123"});
    let sold: Vec<anyhow::Result<Vec<Ticket>>> = futures::stream::iter(chunks)
        .map(|(i, chunk)| {
            let (http, base, token, card) = (http.clone(), base.clone(), tokens[i % tokens.len()].clone(), card.clone());
            let event = event.to_string();
            async move {
                let (s, r) = post(
                    &http,
                    format!("{base}/api/inventory/reservations"),
                    Some(&token),
                    json!({"eventId": event, "seatNumbers": chunk}),
                )
                .await?;
                anyhow::ensure!(s == StatusCode::CREATED, "holding seats: {s} {r}");
                let ids: Vec<Value> =
                    r["reservations"].as_array().cloned().unwrap_or_default().iter().map(|x| x["reservationId"].clone()).collect();
                let body = json!({"reservationIds": ids, "paymentMethod": card, "idempotencyKey": common::ids::new_id()});
                let (s, b) = post(&http, format!("{base}/api/bookings/confirm"), Some(&token), body).await?;
                anyhow::ensure!(s == StatusCode::CREATED, "buying seats: {s} {b}");
                let booking = b["bookingId"].as_str().unwrap_or_default();
                let t: Value = http.get(format!("{base}/api/bookings/{booking}/tickets")).bearer_auth(&token).send().await?.json().await?;
                Ok(t["tickets"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                    .iter()
                    .map(|t| Ticket {
                        id: t["ticketId"].as_str().unwrap_or_default().into(),
                        code: t["code"].as_str().unwrap_or_default().into(),
                    })
                    .collect())
            }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    let mut tickets = Vec::new();
    for s in sold {
        tickets.extend(s?);
    }
    Ok(tickets)
}

/// What one scan was answered: (ticket index, result, usedAt, gate).
type Answer = (usize, String, String, String);

pub(super) async fn run_checkin(args: LoadgenArgs, http: reqwest::Client, admin: String) -> anyhow::Result<bool> {
    let base = args.url.clone();
    let event = match &args.event {
        Some(e) => e.clone(),
        None => setup_event(&args, &http, &admin).await?,
    };
    let tokens = buyer_tokens(&args, &http, &format!("checkin-{}", common::ids::random_token(4))).await?;
    eprintln!("event {event}: selling its {} seats...", args.seats);
    let tickets = Arc::new(sell_out(&args, &http, &event, &tokens).await?);
    anyhow::ensure!(!tickets.is_empty(), "no tickets to scan");
    let health = measure_health(&args, &http).await;
    let model = Model::new(args.rate, args.concurrency);
    let gates = args.gates.max(1);
    eprintln!("{} tickets, {gates} gates: scanning, {}...", tickets.len(), model.describe());
    let url = format!("{base}/api/checkin/events/{event}/scans");
    let answers: Arc<Mutex<Vec<Answer>>> = Arc::default();
    let until = Instant::now() + Duration::from_secs(args.duration);
    let n = args.requests as usize;
    let scans = blast(model, n, Some(until), |i| {
        let mut rng = request_rng(args.seed, i as u64);
        let t = rng.gen_range(0..tickets.len());
        let gate = format!("gate-{}", rng.gen_range(0..gates));
        let req = http.post(&url).bearer_auth(&admin).json(&json!({"code": tickets[t].code, "gate": gate}));
        let answers = answers.clone();
        async move {
            let resp = req.send().await.map_err(|e| transport_error(&e))?;
            let status = resp.status();
            let b: Value = resp.json().await.unwrap_or(Value::Null);
            let text = |k: &str| b[k].as_str().unwrap_or_default().to_string();
            if status == StatusCode::OK {
                answers.lock().unwrap_or_else(|e| e.into_inner()).push((t, text("result"), text("usedAt"), text("gate")));
            }
            Ok(status)
        }
    })
    .await;
    let mut row = scans.row("scan");
    row.ratio_to_health = ratio(row.per_sec, health.per_sec);
    // The answers by result, beside the statuses.
    let answers = std::mem::take(&mut *answers.lock().unwrap_or_else(|e| e.into_inner()));
    let mut by_result: BTreeMap<String, u64> = BTreeMap::new();
    for a in &answers {
        *by_result.entry(a.1.clone()).or_default() += 1;
    }
    let rows = [health, row];
    print_table(&rows);
    println!("scans: {}; answers by result: {by_result:?}", model.describe());
    plot(args.plot.as_deref(), &rows)?;
    let (s, counts) = {
        let r = http.get(format!("{base}/api/checkin/events/{event}")).bearer_auth(&admin).send().await?;
        (r.status(), r.json::<Value>().await.unwrap_or(Value::Null))
    };
    anyhow::ensure!(s == StatusCode::OK, "check-in counts: {s} {counts}");
    let problems = audit_scans(&tickets.iter().map(|t| t.id.clone()).collect::<Vec<_>>(), &answers, counts["admitted"].as_i64());
    let ok = problems.is_empty() && scans.outcomes.keys().all(|k| k == "200");
    for p in &problems {
        println!("AUDIT FAILED: {p}");
    }
    if problems.is_empty() {
        println!("audit: every ticket admitted at most once, every repeat named the admission ({} tickets admitted)", counts["admitted"]);
    }
    let scan_row = &rows[1];
    write_json(
        args.json.as_deref(),
        json!({
            "scenario": "checkin", "tickets": tickets.len(), "gates": gates, "model": model.describe(),
            "health_per_sec": rows[0].per_sec, "scans_per_sec": scan_row.per_sec, "ratio_to_health": scan_row.ratio_to_health,
            "p50_ms": scan_row.p50_ms, "p95_ms": scan_row.p95_ms, "p99_ms": scan_row.p99_ms,
            "outcomes": scans.outcomes, "results": by_result, "audit": problems,
        }),
    )?;
    Ok(ok)
}

/// The run's verdict from what the scans were answered and the server's admitted count.
fn audit_scans(ids: &[String], answers: &[Answer], server_admitted: Option<i64>) -> Vec<String> {
    let mut problems = Vec::new();
    let mut admitted: HashMap<usize, (&str, &str)> = HashMap::new();
    for (t, result, used_at, gate) in answers {
        if result == "ADMITTED" && admitted.insert(*t, (used_at, gate)).is_some() {
            problems.push(format!("ticket {} admitted twice", ids[*t]));
        }
    }
    for (t, result, used_at, gate) in answers {
        match result.as_str() {
            "ADMITTED" => {}
            "ALREADY_USED" => match admitted.get(t) {
                Some(first) if *first == (used_at.as_str(), gate.as_str()) => {}
                // Admitted by a scan this run did not see answered (a timeout): the count says.
                None => {}
                Some(first) => problems.push(format!("ticket {}: ALREADY_USED names {used_at} at {gate}, admitted {first:?}", ids[*t])),
            },
            other => problems.push(format!("ticket {}: a valid ticket was answered {other}", ids[*t])),
        }
    }
    if let Some(n) = server_admitted {
        if n as usize != admitted.len() {
            problems.push(format!("the server counts {n} admitted, this run saw {} admissions", admitted.len()));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(t: usize, r: &str, at: &str, g: &str) -> Answer {
        (t, r.into(), at.into(), g.into())
    }

    #[test]
    fn the_scan_audit_names_each_inconsistency() {
        let ids = vec!["t0".to_string(), "t1".to_string()];
        let good = [a(0, "ADMITTED", "10:00", "g1"), a(0, "ALREADY_USED", "10:00", "g1"), a(1, "ADMITTED", "10:01", "g2")];
        assert!(audit_scans(&ids, &good, Some(2)).is_empty());
        let twice = [a(0, "ADMITTED", "10:00", "g1"), a(0, "ADMITTED", "10:00", "g2")];
        assert_eq!(audit_scans(&ids, &twice, Some(1)).len(), 1);
        let other = [a(0, "ADMITTED", "10:00", "g1"), a(0, "ALREADY_USED", "10:05", "g3"), a(1, "REVOKED", "", "")];
        assert_eq!(audit_scans(&ids, &other, Some(1)).len(), 2);
        assert_eq!(audit_scans(&ids, &good[..1], Some(2)).len(), 1, "the server admitted one this run did not see");
    }
}
