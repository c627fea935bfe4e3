//! The `queue` scenario: fans join a waiting room before the opening, then poll their place.

use super::*;

/// Resident memory of a process, in bytes (Linux).
fn rss_bytes(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: u64 = status.lines().find(|l| l.starts_with("VmRSS:"))?.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// The waiting-room scenario: many fans join before the opening, then poll their place.
pub(super) async fn run_queue(args: LoadgenArgs, http: reqwest::Client, admin: String) -> anyhow::Result<bool> {
    let base = args.url.clone();
    let secret =
        args.jwt_secret.clone().ok_or_else(|| anyhow::anyhow!("the queue scenario needs --jwt-secret (or TICKETING_JWT_SECRET)"))?;
    let keys = Arc::new(common::auth::JwtKeys::new(secret.as_bytes(), 86_400));
    let (s, ev) = post(
        &http,
        format!("{base}/api/events"),
        Some(&admin),
        json!({
        "eventName": format!("Queue test {}", chrono::Utc::now().format("%H:%M:%S")), "category": "CONCERT",
        "venueName": "Loadgen Arena", "city": "Loadtown", "eventDate": (chrono::Utc::now() + chrono::Duration::days(30)).to_rfc3339(),
        "saleStartTime": (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339(),
        "waitingRoom": {"enabled": true, "admitPerMinute": 60000}}),
    )
    .await?;
    anyhow::ensure!(s == StatusCode::CREATED, "creating the event: {s} {ev}");
    let event = ev["eventId"].as_str().unwrap_or_default().to_string();
    let token = |i: usize| keys.issue(&format!("loadgen-fan-{i}"), common::auth::Role::User);
    let rss_before = args.server_pid.and_then(rss_bytes);
    eprintln!("event {event}: {} fans join the waiting room, {} in flight...", args.users, args.concurrency);
    let join_url = format!("{base}/api/queue/events/{event}/join");
    let joins =
        blast(Model::Closed(args.concurrency.max(1)), args.users, None, |i| status_of(http.post(&join_url).bearer_auth(token(i)))).await;
    let rss_after = args.server_pid.and_then(rss_bytes);
    let resp = http.put(format!("{base}/api/events/{event}/status")).bearer_auth(&admin).json(&json!({"status": "ON_SALE"})).send().await?;
    anyhow::ensure!(resp.status().is_success(), "opening the sale: {}", resp.text().await.unwrap_or_default());
    tokio::time::sleep(Duration::from_secs(args.settle_secs)).await;
    // Polls spread over the fans; with --poll-rate, at that rate for about --duration seconds.
    let polls_n = args.users.min(200_000);
    let (poll_model, polls_n) = match args.poll_rate {
        Some(r) => (Model::Open(r), polls_n.min((r * args.duration as f64).ceil() as usize)),
        None => (Model::Closed(args.concurrency.max(1)), polls_n),
    };
    let stride = (args.users / polls_n.max(1)).max(1);
    eprintln!("sale open: {polls_n} polls, {}...", poll_model.describe());
    let me_url = format!("{base}/api/queue/events/{event}/me");
    let polls = blast(poll_model, polls_n, None, |i| status_of(http.get(&me_url).bearer_auth(token((i * stride) % args.users)))).await;
    let view: Value =
        http.get(format!("{base}/api/queue/events/{event}")).bearer_auth(&admin).send().await?.json().await.unwrap_or(Value::Null);
    let rows = [joins.row("join"), polls.row("poll")];
    print_table(&rows);
    println!("joins: {}; polls: {}", Model::Closed(args.concurrency.max(1)).describe(), poll_model.describe());
    if polls.driven.not_sent > 0 {
        println!(
            "{} polls fell due while {OPEN_MAX_IN_FLIGHT} were in flight and were not sent: the platform answers slower than --poll-rate",
            polls.driven.not_sent
        );
    }
    println!("queue after opening: {view}");
    plot(args.plot.as_deref(), &rows)?;
    let per_fan = match (rss_before, rss_after) {
        (Some(a), Some(b)) if args.users > 0 => Some(b.saturating_sub(a) as f64 / args.users as f64),
        _ => None,
    };
    if let Some(p) = per_fan {
        println!("server memory: {:.0} bytes per waiting fan (resident set growth over the joins)", p);
    }
    let ok = joins.outcomes.keys().all(|k| k == "200") && polls.outcomes.keys().all(|k| k == "200");
    let (join_row, poll_row) = (&rows[0], &rows[1]);
    write_json(
        args.json.as_deref(),
        json!({
            "scenario": "queue", "users": args.users, "concurrency": args.concurrency,
            "joins_per_sec": join_row.per_sec, "join_p50_ms": join_row.p50_ms, "join_p99_ms": join_row.p99_ms,
            "polls_per_sec": poll_row.per_sec, "poll_p50_ms": poll_row.p50_ms, "poll_p99_ms": poll_row.p99_ms,
            "poll_model": poll_model.describe(), "poll_rate": args.poll_rate, "polls_not_sent": polls.driven.not_sent,
            "bytes_per_fan": per_fan, "join_outcomes": joins.outcomes, "poll_outcomes": polls.outcomes,
        }),
    )?;
    Ok(ok)
}
