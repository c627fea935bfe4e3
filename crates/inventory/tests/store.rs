//! The inventory's store alone, without locks or service code in front: the database must decide
//! by itself. Runs on SQLite always and on MariaDB when TICKETING_TEST_MYSQL_URL is set.

use futures::future::join_all;
use inventory::store::{HoldRequest, InventoryStore, Refusal};
use std::sync::Arc;
use store::{Db, StoreConfig};

async fn stores() -> Vec<(String, InventoryStore, Option<tempfile::TempDir>)> {
    processes(1).await.into_iter().map(|(name, mut st, dir)| (name, st.remove(0), dir)).collect()
}

/// `n` processes' stores on one database: on MySQL each with a pool of its own; on SQLite, where
/// one process is the only writer by design, the same store `n` times.
async fn processes(n: usize) -> Vec<(String, Vec<InventoryStore>, Option<tempfile::TempDir>)> {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Db::open(&StoreConfig::Sqlite { dir: dir.path().into() }, "inventory", inventory::migrations()).await.unwrap();
    let mut out = vec![("sqlite".to_string(), vec![InventoryStore::new(sqlite); n], Some(dir))];
    if let Ok(base) = std::env::var("TICKETING_TEST_MYSQL_URL") {
        let url = format!("{}/t_{}", base.trim_end_matches('/'), common::ids::random_token(6));
        let mut each = Vec::new();
        for _ in 0..n {
            let db = Db::open(&StoreConfig::MySql { url: url.clone(), pool_size: 16 }, "inventory", inventory::migrations()).await.unwrap();
            each.push(InventoryStore::new(db));
        }
        out.push(("mysql".to_string(), each, None));
    }
    out
}

async fn layout(st: &InventoryStore, event: &str, seats: i64) -> Vec<String> {
    let l: inventory::model::LayoutInput = serde_json::from_value(serde_json::json!({"sections": [
        {"section": "A", "seatType": "REGULAR", "price": 10, "rows": [{"rowNumber": 1, "seats": seats}]}]}))
    .unwrap();
    let rows = l.into_seats(event).unwrap();
    assert!(st.replace_layout(event, &rows, common::time::now_ms()).await.unwrap());
    rows.into_iter().map(|s| s.seat_id).collect()
}

/// No locks at all: 100 concurrent single-seat reservations of 10 seats, each seat wanted by 10
/// buyers. Exactly one wins each seat.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_conditional_update_alone_sells_each_seat_once() {
    for (name, st, _dir) in stores().await {
        let st = Arc::new(st);
        let seats = Arc::new(layout(&st, "e1", 10).await);
        let tasks = (0..100).map(|i| {
            let (st, seats) = (st.clone(), seats.clone());
            tokio::spawn(async move {
                let now = common::time::now_ms();
                loop {
                    match st.reserve("e1", &format!("u{i}"), &[seats[i % 10].clone()], None, now + 60_000, now).await {
                        Ok(r) => return r.is_ok(),
                        // A deadlock or busy database rolls back whole: the service retries, so do we.
                        Err(e) if e.is_retryable() => continue,
                        Err(e) => panic!("{e}"),
                    }
                }
            })
        });
        let won = join_all(tasks).await.into_iter().filter(|r| *r.as_ref().unwrap()).count();
        assert_eq!(won, 10, "{name}: each of the 10 seats sold exactly once");
    }
}

/// No locks at all: one buyer, 20 concurrent 2-seat reservations against a limit of 4.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_buyer_limit_holds_in_the_database_alone() {
    for (name, st, _dir) in stores().await {
        let st = Arc::new(st);
        let seats = Arc::new(layout(&st, "e2", 40).await);
        let tasks = (0..20).map(|i| {
            let (st, seats) = (st.clone(), seats.clone());
            tokio::spawn(async move {
                let now = common::time::now_ms();
                let mine = [seats[2 * i].clone(), seats[2 * i + 1].clone()];
                loop {
                    match st.reserve("e2", "greedy", &mine, Some(4), now + 60_000, now).await {
                        Ok(Ok(_)) => return Ok(()),
                        Ok(Err(Refusal::Limit(limit, held))) => return Err((limit, held)),
                        Ok(Err(other)) => panic!("{other:?}"),
                        Err(e) if e.is_retryable() => continue,
                        Err(e) => panic!("{e}"),
                    }
                }
            })
        });
        let results: Vec<_> = join_all(tasks).await.into_iter().map(|r| r.unwrap()).collect();
        assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 2, "{name}: two 2-seat holds fill a limit of 4");
        assert!(results.iter().all(|r| matches!(r, Ok(()) | Err((4, 4)))), "{name}: {results:?}");
        assert_eq!(st.held_by("e2", "greedy", common::time::now_ms()).await.unwrap(), 4);
    }
}

/// The group commit decides in arrival order, all seats or none per request: a seat taken earlier
/// in the same group is refused to a later request (whose other seats stay free for the next), a
/// live hold is refused, an expired one is superseded, an unknown seat refuses its request.
#[tokio::test]
async fn a_group_commit_decides_in_order_all_or_none() {
    for (name, st, _dir) in stores().await {
        group_commit_in_order(&name, &st).await;
    }
}

async fn group_commit_in_order(name: &str, st: &InventoryStore) {
    let s = layout(st, "e3", 10).await;
    let t = common::time::now_ms();
    let early = st.reserve("e3", "early", &[s[0].clone()], None, t - 1, t - 1000).await.unwrap().unwrap();
    st.reserve("e3", "live", &[s[1].clone()], None, t + 60_000, t).await.unwrap().unwrap();
    let req = |user: &str, seats: &[&String]| HoldRequest {
        event_id: "e3".into(),
        user_id: user.into(),
        seat_ids: seats.iter().map(|x| x.to_string()).collect(),
    };
    let unknown = "no-such-seat".to_string();
    let group = [
        req("a", &[&s[2], &s[3]]),
        req("b", &[&s[3], &s[4]]),
        req("c", &[&s[4]]),
        req("d", &[&s[1]]),
        req("e", &[&s[0]]),
        req("f", &[&unknown]),
    ];
    let decided = st.reserve_many(&group, t + 60_000, t).await.unwrap().expect("decided as a group");
    let won: Vec<bool> = decided.iter().map(|d| d.is_ok()).collect();
    assert_eq!(won, [true, false, true, false, true, false], "{name}");
    assert!(matches!(&decided[1], Err(Refusal::Unavailable(n)) if n.len() == 1), "{:?}", decided[1]);

    let seats = st.seats("e3").await.unwrap();
    let holder = |i: usize| (seats[i].status.as_str(), seats[i].hold_user_id.as_deref());
    assert_eq!(
        [holder(0), holder(1), holder(2), holder(3), holder(4), holder(5)],
        [
            ("RESERVED", Some("e")),
            ("RESERVED", Some("live")),
            ("RESERVED", Some("a")),
            ("RESERVED", Some("a")),
            ("RESERVED", Some("c")),
            ("AVAILABLE", None),
        ]
    );
    for (d, user) in decided.iter().zip(["a", "b", "c", "d", "e", "f"]) {
        for r in d.iter().flatten() {
            let stored = st.reservation(&r.reservation_id).await.unwrap().expect("reservation row written");
            assert_eq!((stored.user_id.as_str(), stored.status.as_str()), (user, "ACTIVE"));
            let seat = seats.iter().find(|x| x.seat_id == r.seat_id).unwrap();
            assert_eq!(seat.hold_reservation_id.as_deref(), Some(r.reservation_id.as_str()));
        }
    }
    let superseded = st.reservation(&early[0].reservation_id).await.unwrap().unwrap();
    assert_eq!(superseded.status, "EXPIRED", "{name}");
    let outbox = store::outbox::read_after(&st.db, 0, 100).await.unwrap();
    assert_eq!(outbox.iter().filter(|o| o.event_type == "SeatsReserved").count(), 2 + 3, "one row per hold granted");
}

/// Group commits racing from three processes (on MySQL three pools, no seat locks): 600 two-seat
/// requests for 60 seats in groups of 20, all groups at once. Every seat is held at most once, each
/// granted request holds both its seats, and the seat rows name exactly the holds granted.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn group_commits_from_several_processes_sell_each_seat_once() {
    for (name, procs, _dir) in processes(3).await {
        let seats = Arc::new(layout(&procs[0], "e4", 60).await);
        let requests: Vec<HoldRequest> = (0..600)
            .map(|i| {
                let (a, b) = ((i * 7) % 60, (i * 13 + 1) % 60);
                let mut ids = vec![seats[a].clone(), seats[b].clone()];
                ids.dedup();
                HoldRequest { event_id: "e4".into(), user_id: format!("u{i}"), seat_ids: ids }
            })
            .collect();
        let groups = requests.chunks(20).enumerate().map(|(g, group)| {
            let st = procs[g % procs.len()].clone();
            let group: Vec<HoldRequest> = group
                .iter()
                .map(|r| HoldRequest { event_id: r.event_id.clone(), user_id: r.user_id.clone(), seat_ids: r.seat_ids.clone() })
                .collect();
            tokio::spawn(async move {
                let t = common::time::now_ms();
                loop {
                    match st.reserve_many(&group, t + 60_000, t).await {
                        Ok(decided) => return (group, decided.expect("rows locked by the group: its decisions stand")),
                        Err(e) if e.is_retryable() => continue,
                        Err(e) => panic!("{e}"),
                    }
                }
            })
        });
        let mut holder = std::collections::HashMap::new();
        for done in join_all(groups).await {
            let (group, decided) = done.unwrap();
            for (req, d) in group.iter().zip(decided) {
                let Ok(rows) = d else { continue };
                assert_eq!(rows.len(), req.seat_ids.len(), "{name}: all of a request's seats or none");
                for r in rows {
                    let before = holder.insert(r.seat_id.clone(), r.reservation_id.clone());
                    assert!(before.is_none(), "{name}: seat {} granted twice", r.seat_number);
                }
            }
        }
        let rows = procs[0].seats("e4").await.unwrap();
        for s in &rows {
            assert_eq!(s.hold_reservation_id.as_ref(), holder.get(&s.seat_id), "{name}: seat {} names the hold granted", s.seat_number);
        }
        assert!(holder.len() >= 30, "{name}: the race left most seats sold ({} of 60)", holder.len());
        let (counts, _) = procs[0].counts("e4", common::time::now_ms()).await.unwrap();
        assert_eq!((counts.reserved, counts.available), (holder.len() as i64, 60 - holder.len() as i64), "{name}: the database's count");
    }
}
