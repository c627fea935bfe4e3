//! The index and the service together, on a temp directory.

use crate::index::{folded_analyzer, keyword, tokens, Opened, SearchIndex};
use crate::query::SearchParams;
use crate::service::SearchService;
use common::clients::EventDoc;
use common::money::Money;
use std::sync::Arc;

fn ev(id: &str, name: &str, city: &str, category: &str, date: &str, price: Option<(i64, i64)>) -> EventDoc {
    EventDoc {
        event_id: id.into(),
        event_name: name.into(),
        description: Some(format!("An evening with {name}")),
        category: category.into(),
        venue_name: "Grand Hall".into(),
        city: city.into(),
        event_date: date.into(),
        status: "ON_SALE".into(),
        tags: vec!["live".into()],
        total_seats: if price.is_some() { 100 } else { 0 },
        available_seats: if price.is_some() { 100 } else { 0 },
        min_price: price.map(|p| Money(p.0)),
        max_price: price.map(|p| Money(p.1)),
    }
}

struct Fixture {
    svc: SearchService,
    _dir: tempfile::TempDir,
}

fn fixture(docs: &[EventDoc]) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let (index, opened) = SearchIndex::open(&dir.path().join("idx")).unwrap();
    assert!(matches!(opened, Opened::Created(_)));
    let index = Arc::new(index);
    let mut w = index.writer().unwrap();
    for d in docs {
        w.upsert(d).unwrap();
    }
    w.commit().unwrap();
    drop(w);
    let svc = SearchService::new(index);
    svc.committed().unwrap();
    Fixture { svc, _dir: dir }
}

fn catalogue() -> Vec<EventDoc> {
    vec![
        ev("e1", "Beyoncé Renaissance Tour", "Lisbon", "CONCERT", "2030-06-01T20:00:00Z", Some((5000, 15000))),
        ev("e2", "Hamlet", "Porto", "THEATER", "2030-05-01T20:00:00Z", Some((2000, 4000))),
        ev("e3", "Jazz Night", "Lisbon", "CONCERT", "2030-07-01T20:00:00Z", Some((3000, 3000))),
        ev("e4", "Football Derby", "São Paulo", "SPORTS", "2030-04-01T20:00:00Z", None),
        ev("e5", "Symphony Orchestra", "Porto", "CONCERT", "2030-08-01T20:00:00Z", Some((8000, 9000))),
    ]
}

async fn ids(svc: &SearchService, pairs: &[(&str, &str)]) -> Vec<String> {
    let r = svc.search(&params(pairs)).await.unwrap();
    r.results.iter().map(|h| h.event_id.clone()).collect()
}

fn params(pairs: &[(&str, &str)]) -> SearchParams {
    SearchParams::from_pairs(pairs)
}

#[test]
fn the_analyzer_folds_case_and_accents() {
    let mut a = folded_analyzer();
    assert_eq!(tokens(&mut a, "Beyoncé LIVE at Café-Müller!"), vec!["beyonce", "live", "at", "cafe", "muller"]);
    assert_eq!(keyword("  São Paulo "), "sao paulo");
}

#[tokio::test]
async fn text_is_case_and_accent_insensitive() {
    let f = fixture(&catalogue());
    assert_eq!(ids(&f.svc, &[("q", "beyonce")]).await, vec!["e1"]);
    assert_eq!(ids(&f.svc, &[("q", "BEYONCÉ")]).await, vec!["e1"]);
    // Every word must match, in any of the fields (the venue here).
    assert_eq!(ids(&f.svc, &[("q", "renaissance grand")]).await, vec!["e1"]);
    assert!(ids(&f.svc, &[("q", "renaissance hamlet")]).await.is_empty());
    // Tags and description are searched too.
    assert_eq!(ids(&f.svc, &[("q", "live"), ("sort", "date")]).await, vec!["e4", "e2", "e1", "e3", "e5"]);
    assert_eq!(ids(&f.svc, &[("q", "evening hamlet")]).await, vec!["e2"]);
    // Phrases and exclusions.
    assert_eq!(ids(&f.svc, &[("q", "\"jazz night\"")]).await, vec!["e3"]);
    assert!(ids(&f.svc, &[("q", "\"night jazz\"")]).await.is_empty());
    assert_eq!(ids(&f.svc, &[("q", "live -jazz -hamlet"), ("sort", "date")]).await, vec!["e4", "e1", "e5"]);
    // Punctuation only: no word, no match (never an error).
    assert!(ids(&f.svc, &[("q", "!!!")]).await.is_empty());
}

#[tokio::test]
async fn long_words_tolerate_one_typo() {
    let f = fixture(&catalogue());
    assert_eq!(ids(&f.svc, &[("q", "beyonse")]).await, vec!["e1"]); // substitution
    assert_eq!(ids(&f.svc, &[("q", "symphny")]).await, vec!["e5"]); // deletion
    assert_eq!(ids(&f.svc, &[("q", "footbal")]).await, vec!["e4"]);
    assert_eq!(ids(&f.svc, &[("q", "hamelt")]).await, vec!["e2"]); // transposition
                                                                   // Two typos are too many; short words must be exact.
    assert!(ids(&f.svc, &[("q", "bayonse")]).await.is_empty());
    assert!(ids(&f.svc, &[("q", "jaz")]).await.is_empty());
    assert!(ids(&f.svc, &[("q", "jazy")]).await.is_empty());
    // The exact word outranks a typo match.
    let f =
        fixture(&[ev("a", "Hamlet", "X", "T", "2030-01-01T00:00:00Z", None), ev("b", "Hamlot", "X", "T", "2030-01-01T00:00:00Z", None)]);
    assert_eq!(ids(&f.svc, &[("q", "hamlet")]).await, vec!["a", "b"]);
}

#[tokio::test]
async fn filters_combine_with_the_text() {
    let f = fixture(&catalogue());
    let by_date = |mut v: Vec<(&'static str, &'static str)>| {
        v.push(("sort", "date"));
        v
    };
    assert_eq!(ids(&f.svc, &by_date(vec![("city", "lisbon")])).await, vec!["e1", "e3"]);
    assert_eq!(ids(&f.svc, &by_date(vec![("city", "SAO PAULO")])).await, vec!["e4"]);
    assert_eq!(ids(&f.svc, &by_date(vec![("q", "live"), ("city", "Porto")])).await, vec!["e2", "e5"]);
    assert_eq!(ids(&f.svc, &by_date(vec![("q", "live"), ("category", "concert")])).await, vec!["e1", "e3", "e5"]);
    assert_eq!(ids(&f.svc, &by_date(vec![("q", "live"), ("dateFrom", "2030-05-01"), ("dateTo", "2030-06-01")])).await, vec!["e2", "e1"]);
    assert_eq!(ids(&f.svc, &by_date(vec![("q", "live"), ("dateTo", "2030-04-30")])).await, vec!["e4"]);
    // Price ranges overlap the event's; an event without prices never matches one.
    assert_eq!(ids(&f.svc, &by_date(vec![("q", "live"), ("priceMin", "100")])).await, vec!["e1"]);
    assert_eq!(ids(&f.svc, &by_date(vec![("q", "live"), ("priceMax", "30")])).await, vec!["e2", "e3"]);
    assert_eq!(ids(&f.svc, &by_date(vec![("priceMin", "35"), ("priceMax", "60")])).await, vec!["e2", "e1"]);
    assert_eq!(ids(&f.svc, &by_date(vec![("priceMin", "0")])).await, vec!["e2", "e1", "e3", "e5"]);
    assert_eq!(
        ids(&f.svc, &by_date(vec![("q", "live"), ("status", "on_sale"), ("city", "Porto"), ("category", "THEATER")])).await,
        vec!["e2"]
    );
    assert!(ids(&f.svc, &by_date(vec![("q", "live"), ("status", "CANCELLED")])).await.is_empty());
}

#[tokio::test]
async fn facets_count_the_whole_query() {
    let f = fixture(&catalogue());
    let r = f.svc.search(&params(&[("q", "live"), ("size", "1")])).await.unwrap();
    assert_eq!(r.page.total_elements, 5);
    assert_eq!(r.results.len(), 1);
    let city: Vec<(String, u64)> = r.facets.city.iter().map(|v| (v.value.clone(), v.count)).collect();
    assert_eq!(city, vec![("Lisbon".into(), 2), ("Porto".into(), 2), ("São Paulo".into(), 1)]);
    let cat: Vec<(String, u64)> = r.facets.category.iter().map(|v| (v.value.clone(), v.count)).collect();
    assert_eq!(cat, vec![("CONCERT".into(), 3), ("SPORTS".into(), 1), ("THEATER".into(), 1)]);
    let r = f.svc.search(&params(&[("category", "concert")])).await.unwrap();
    let city: Vec<(String, u64)> = r.facets.city.iter().map(|v| (v.value.clone(), v.count)).collect();
    assert_eq!(city, vec![("Lisbon".into(), 2), ("Porto".into(), 1)]);
}

#[tokio::test]
async fn sort_orders() {
    let f = fixture(&catalogue());
    assert_eq!(ids(&f.svc, &[("sort", "date")]).await, vec!["e4", "e2", "e1", "e3", "e5"]);
    // Without text, relevance is by date.
    assert_eq!(ids(&f.svc, &[]).await, vec!["e4", "e2", "e1", "e3", "e5"]);
    // By the cheapest ticket; no prices last both ways.
    assert_eq!(ids(&f.svc, &[("sort", "price_asc")]).await, vec!["e2", "e3", "e1", "e5", "e4"]);
    assert_eq!(ids(&f.svc, &[("sort", "price_desc")]).await, vec!["e5", "e1", "e3", "e2", "e4"]);
    // Relevance: the name weighs more than the description.
    let f = fixture(&[
        EventDoc { description: Some("Not the opera".into()), ..ev("a", "Gala", "X", "T", "2030-01-01T00:00:00Z", None) },
        ev("b", "Opera Gala", "X", "T", "2030-02-01T00:00:00Z", None),
    ]);
    assert_eq!(ids(&f.svc, &[("q", "opera")]).await, vec!["b", "a"]);
}

#[tokio::test]
async fn paging_and_pages_past_the_end() {
    let f = fixture(&catalogue());
    let r = f.svc.search(&params(&[("sort", "date"), ("page", "1"), ("size", "2")])).await.unwrap();
    assert_eq!(r.results.iter().map(|h| h.event_id.as_str()).collect::<Vec<_>>(), vec!["e1", "e3"]);
    assert_eq!((r.page.number, r.page.size, r.page.total_elements, r.page.total_pages), (1, 2, 5, 3));
    let r = f.svc.search(&params(&[("page", "2"), ("size", "2")])).await.unwrap();
    assert_eq!(r.results.len(), 1);
    for page in ["3", "1000000"] {
        let r = f.svc.search(&params(&[("page", page), ("size", "100")])).await.unwrap();
        assert!(r.results.is_empty());
        assert_eq!(r.page.total_elements, 5);
        assert_eq!(r.facets.city.len(), 3, "facets still count the matches");
    }
}

#[tokio::test]
async fn bad_input_is_a_400_naming_the_field() {
    let f = fixture(&catalogue());
    for (pairs, field) in [
        (vec![("q", "\"unclosed")], "q"),
        (vec![("size", "101")], "size"),
        (vec![("page", "-1")], "page"),
        (vec![("sort", "popularity")], "sort"),
        (vec![("dateFrom", "2030-02-01"), ("dateTo", "2030-01-01")], "dateFrom"),
        (vec![("priceMin", "20"), ("priceMax", "10")], "priceMin"),
        (vec![("priceMin", "ten")], "priceMin"),
        (vec![("status", "SOON")], "status"),
    ] {
        let e = f.svc.search(&params(&pairs)).await.expect_err("refused");
        assert_eq!(e.status().as_u16(), 400);
        assert_eq!(e.details["field"], field);
    }
}

#[tokio::test]
async fn results_carry_money_and_availability() {
    let mut limited = ev("l", "Few Left", "X", "T", "2030-01-01T00:00:00Z", Some((1050, 2599)));
    limited.available_seats = 5;
    let f = fixture(&[limited, ev("n", "No Seats Yet", "X", "T", "2030-01-02T00:00:00Z", None)]);
    let r = f.svc.search(&params(&[])).await.unwrap();
    let body = serde_json::to_string(&r).unwrap();
    assert!(body.contains(r#""minPrice":10.50,"maxPrice":25.99,"availableSeats":5,"totalSeats":100,"availability":"LIMITED""#), "{body}");
    assert!(body.contains(r#""minPrice":null,"maxPrice":null,"availableSeats":0,"totalSeats":0,"availability":"SOLD_OUT""#), "{body}");
    assert!(body.contains(r#""tookMs":"#));
}

#[tokio::test]
async fn upserts_are_idempotent_and_deletes_and_commits_clear_the_cache() {
    let f = fixture(&catalogue());
    assert_eq!(ids(&f.svc, &[("q", "hamlet")]).await, vec!["e2"]);
    assert_eq!(ids(&f.svc, &[("q", "hamlet")]).await, vec!["e2"]);
    assert!(f.svc.cached_entries().await >= 1);
    let mut w = f.svc.index().writer().unwrap();
    let mut renamed = catalogue()[1].clone();
    renamed.event_name = "Macbeth".into();
    renamed.description = None;
    w.upsert(&renamed).unwrap();
    w.upsert(&renamed).unwrap();
    w.delete("e3");
    w.delete("e3");
    w.commit().unwrap();
    // Not visible until the service hears of the commit.
    assert_eq!(ids(&f.svc, &[("q", "hamlet")]).await, vec!["e2"]);
    f.svc.committed().unwrap();
    assert_eq!(f.svc.cached_entries().await, 0);
    assert!(ids(&f.svc, &[("q", "hamlet")]).await.is_empty());
    assert_eq!(ids(&f.svc, &[("q", "macbeth")]).await, vec!["e2"]);
    assert!(ids(&f.svc, &[("q", "jazz")]).await.is_empty());
    assert_eq!(f.svc.index().num_docs(), 4);
}

#[tokio::test]
async fn reopening_keeps_the_index_and_a_new_schema_version_rebuilds_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("idx");
    let id = {
        let (index, opened) = SearchIndex::open(&path).unwrap();
        assert!(matches!(opened, Opened::Created(_)));
        let mut w = index.writer().unwrap();
        w.upsert(&catalogue()[0]).unwrap();
        w.commit().unwrap();
        index.index_id().to_string()
    };
    let (index, opened) = SearchIndex::open(&path).unwrap();
    assert_eq!(opened, Opened::Existing);
    assert_eq!(index.index_id(), id);
    assert_eq!(index.num_docs(), 1);
    // A second writer on the same index is refused, not a crash.
    let w = index.writer().unwrap();
    assert!(matches!(index.writer(), Err(crate::IndexError::Busy(_))));
    assert!(matches!(SearchIndex::recreate(&path), Err(crate::IndexError::Busy(_))));
    drop(w);
    drop(index);
    // `ticketing reindex`: empty, and a new identity (so the indexer's cursor starts over).
    let index = SearchIndex::recreate(&path).unwrap();
    assert_eq!(index.num_docs(), 0);
    assert_ne!(index.index_id(), id);
    drop(index);
    // Another schema version: rebuilt from nothing.
    std::fs::write(path.join("ticketing-index.json"), r#"{"schemaVersion":0,"indexId":"old"}"#).unwrap();
    let (index, opened) = SearchIndex::open(&path).unwrap();
    assert!(matches!(opened, Opened::Created(ref why) if why.contains("schema version")), "{opened:?}");
    assert_eq!(index.num_docs(), 0);
    assert_ne!(index.index_id(), "old");
}
