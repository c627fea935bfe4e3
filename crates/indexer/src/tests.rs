//! The follower against an in-memory events feed, on a temp data dir (SQLite cursor, real index).

use super::*;
use async_trait::async_trait;
use common::money::Money;
use search::{SearchIndex, SearchParams};
use std::path::Path;

/// An events service in memory: its outbox and its current views.
#[derive(Default)]
struct FakeFeed {
    state: Mutex<(Vec<OutboxRecord>, HashMap<String, EventDoc>)>,
    fetches: Mutex<u32>,
}

impl FakeFeed {
    fn push(&self, id: &str, event_type: &str, payload: serde_json::Value) {
        let mut s = self.state.lock().unwrap();
        let next = s.0.len() as i64 + 1;
        s.0.push(OutboxRecord {
            id: next,
            aggregate_type: "event".into(),
            aggregate_id: id.into(),
            event_type: event_type.into(),
            payload,
            created_at: common::time::now_ms(),
        });
    }
    /// Create or update: the current view changes and the row carries it, as the events service does.
    fn put(&self, doc: EventDoc, event_type: &str) {
        // The payload goes through text exactly as the outbox stores it.
        let payload: serde_json::Value = serde_json::from_str(&serde_json::to_string(&doc).unwrap()).unwrap();
        self.state.lock().unwrap().1.insert(doc.event_id.clone(), doc.clone());
        self.push(&doc.event_id, event_type, payload);
    }
    fn set_status(&self, id: &str, status: &str) {
        self.state.lock().unwrap().1.get_mut(id).unwrap().status = status.into();
        self.push(id, "EventStatusChanged", serde_json::json!({"eventId": id, "status": status}));
    }
    fn delete(&self, id: &str) {
        self.state.lock().unwrap().1.remove(id);
        self.push(id, "EventDeleted", serde_json::json!({"eventId": id}));
    }
}

#[async_trait]
impl EventsFeed for FakeFeed {
    async fn outbox_after(&self, after: i64, limit: i64) -> Result<Vec<OutboxRecord>, ApiError> {
        let s = self.state.lock().unwrap();
        Ok(s.0.iter().filter(|r| r.id > after).take(limit as usize).cloned().collect())
    }
    async fn event(&self, id: &str) -> Result<Option<EventDoc>, ApiError> {
        *self.fetches.lock().unwrap() += 1;
        Ok(self.state.lock().unwrap().1.get(id).cloned())
    }
}

fn doc(id: &str, name: &str) -> EventDoc {
    EventDoc {
        event_id: id.into(),
        event_name: name.into(),
        description: None,
        category: "CONCERT".into(),
        venue_name: "Arena".into(),
        city: "Lisbon".into(),
        event_date: "2030-06-01T20:00:00Z".into(),
        status: "UPCOMING".into(),
        tags: vec![],
        total_seats: 100,
        available_seats: 100,
        min_price: Some(Money(2550)),
        max_price: Some(Money(9999)),
    }
}

struct Node {
    indexer: Arc<Indexer>,
    search: Arc<SearchService>,
}

async fn start(data: &Path, feed: Arc<FakeFeed>, fresh: bool) -> Node {
    let db = ::store::Db::open(&::store::StoreConfig::Sqlite { dir: data.to_path_buf() }, "search", migrations()).await.unwrap();
    let dir = search::index_dir(data);
    let index = if fresh { SearchIndex::recreate(&dir).unwrap() } else { SearchIndex::open(&dir).unwrap().0 };
    let search = Arc::new(SearchService::new(Arc::new(index)));
    let indexer = Arc::new(Indexer::new(db, search.clone(), feed).await.unwrap());
    Node { indexer, search }
}

async fn find(s: &SearchService, q: &str) -> Vec<(String, String)> {
    let p = SearchParams { q: Some(q.into()), sort: Some("date".into()), size: Some("100".into()), ..Default::default() };
    s.search(&p).await.unwrap().results.into_iter().map(|h| (h.event_id, h.status)).collect()
}

#[tokio::test]
async fn follows_creates_updates_status_and_deletes() {
    let dir = tempfile::tempdir().unwrap();
    let feed = Arc::new(FakeFeed::default());
    let n = start(dir.path(), feed.clone(), false).await;
    feed.put(doc("a", "Blue Moon"), "EventCreated");
    feed.put(doc("b", "Red Sun"), "EventCreated");
    assert_eq!(n.indexer.catch_up().await.unwrap(), 2);
    // Created rows carry the whole view: no fetch needed, money exact.
    assert_eq!(*feed.fetches.lock().unwrap(), 0);
    let r = n.search.search(&SearchParams { q: Some("moon".into()), ..Default::default() }).await.unwrap();
    assert_eq!(serde_json::to_string(&r.results[0].min_price).unwrap(), "25.50");

    feed.put(doc("a", "Blue Lagoon"), "EventUpdated");
    feed.set_status("b", "ON_SALE");
    n.indexer.catch_up().await.unwrap();
    assert!(find(&n.search, "moon").await.is_empty());
    assert_eq!(find(&n.search, "lagoon").await, vec![("a".into(), "UPCOMING".into())]);
    assert_eq!(find(&n.search, "sun").await, vec![("b".into(), "ON_SALE".into())]);

    feed.delete("a");
    // A status row for an event deleted meanwhile: the re-read finds nothing, so it goes too.
    feed.set_status("b", "CANCELLED");
    feed.state.lock().unwrap().1.remove("b");
    n.indexer.catch_up().await.unwrap();
    assert!(find(&n.search, "lagoon").await.is_empty());
    assert!(find(&n.search, "sun").await.is_empty());
    assert_eq!(n.search.index().num_docs(), 0);
    assert_eq!(n.indexer.position().await.unwrap(), 6);
}

#[tokio::test]
async fn resumes_from_its_cursor_after_a_restart_without_loss_or_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let feed = Arc::new(FakeFeed::default());
    for i in 0..30 {
        feed.put(doc(&format!("e{i}"), &format!("Show number{i}")), "EventCreated");
    }
    let n = start(dir.path(), feed.clone(), false).await;
    n.indexer.spawn();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while n.indexer.position().await.unwrap() < 30 {
        assert!(std::time::Instant::now() < deadline, "indexer did not catch up");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    n.indexer.stop().await;
    assert_eq!(n.search.index().num_docs(), 30);
    let id = n.search.index().index_id().to_string();
    drop(n);

    // Changes while it is down.
    feed.put(doc("e5", "Show renamed"), "EventUpdated");
    feed.put(doc("new", "Show number30"), "EventCreated");
    feed.delete("e7");
    let n = start(dir.path(), feed.clone(), false).await;
    assert_eq!(n.search.index().index_id(), id, "the same index is reopened");
    assert_eq!(n.indexer.position().await.unwrap(), 30, "the cursor survived");
    assert_eq!(n.indexer.catch_up().await.unwrap(), 3, "only the new rows are read");
    assert_eq!(n.search.index().num_docs(), 30);
    assert_eq!(find(&n.search, "renamed").await, vec![("e5".into(), "UPCOMING".into())]);
    let ids: Vec<String> = find(&n.search, "show").await.into_iter().map(|x| x.0).collect();
    assert_eq!(ids.len(), 30);
    assert!(ids.contains(&"new".to_string()) && !ids.contains(&"e7".to_string()));

    // At least once: replaying everything from the start changes nothing.
    n.indexer.cursor.lock().await.save(0).await.unwrap();
    n.indexer.catch_up().await.unwrap();
    assert_eq!(n.search.index().num_docs(), 30);
    assert_eq!(find(&n.search, "show").await.len(), 30);
}

#[tokio::test]
async fn a_rebuild_starts_from_the_beginning_of_the_outbox() {
    let dir = tempfile::tempdir().unwrap();
    let feed = Arc::new(FakeFeed::default());
    feed.put(doc("a", "Alpha"), "EventCreated");
    feed.put(doc("b", "Beta"), "EventCreated");
    feed.delete("b");
    let n = start(dir.path(), feed.clone(), false).await;
    n.indexer.catch_up().await.unwrap();
    n.indexer.stop().await;
    drop(n);
    // `ticketing reindex`: an empty index with a new id, hence a new cursor at 0.
    let n = start(dir.path(), feed.clone(), true).await;
    assert_eq!(n.search.index().num_docs(), 0);
    assert_eq!(n.indexer.position().await.unwrap(), 0);
    assert_eq!(n.indexer.catch_up().await.unwrap(), 3);
    assert_eq!(find(&n.search, "alpha").await.len(), 1);
    assert!(find(&n.search, "beta").await.is_empty());
    // While one indexer holds the index, a second is refused.
    let db = ::store::Db::open(&::store::StoreConfig::Sqlite { dir: dir.path().to_path_buf() }, "search", migrations()).await.unwrap();
    assert!(Indexer::new(db, n.search.clone(), feed.clone()).await.is_err());
}
