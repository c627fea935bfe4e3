//! Search benchmark: 100,000 synthetic events in a fresh index, then a mixed query set (text only,
//! text + filters, filters only, facets over everything) run once with a cold cache (emptied before every query) and once warm,
//! through `SearchService::search` (parsing, cache, the blocking pool, the index).
//!
//! `cargo run -p search --example search_bench [-- EVENTS [QUERIES_PER_KIND]]`; figures are quoted in
//! docs/performance.md.

use common::clients::EventDoc;
use common::money::Money;
use search::{SearchIndex, SearchParams, SearchService};
use std::sync::Arc;
use std::time::{Duration, Instant};

const WORDS: &[&str] = &[
    "midnight",
    "summer",
    "electric",
    "golden",
    "velvet",
    "festival",
    "orchestra",
    "symphony",
    "acoustic",
    "session",
    "legends",
    "revival",
    "tribute",
    "harmony",
    "rhythm",
    "thunder",
    "crystal",
    "shadow",
    "horizon",
    "paradise",
    "opera",
    "ballet",
    "comedy",
    "derby",
    "classic",
    "marathon",
    "championship",
    "gala",
    "carnival",
    "sunset",
];
const ARTISTS: &[&str] = &["Beyoncé", "Coldplay", "Metallica", "Rosalía", "Adele", "Muse", "Björk", "Shakira", "Queen", "Radiohead"];
const CITIES: &[&str] = &[
    "Lisbon",
    "Porto",
    "Madrid",
    "Barcelona",
    "Paris",
    "Lyon",
    "Berlin",
    "Munich",
    "Rome",
    "Milan",
    "London",
    "Dublin",
    "Amsterdam",
    "Brussels",
    "Vienna",
    "Prague",
    "Warsaw",
    "Oslo",
    "Stockholm",
    "Helsinki",
    "Copenhagen",
    "Zürich",
    "São Paulo",
    "Montréal",
    "New York",
    "Chicago",
    "Austin",
    "Seattle",
    "Tokyo",
    "Seoul",
];
const CATEGORIES: &[&str] = &["CONCERT", "THEATER", "SPORTS", "COMEDY", "FESTIVAL", "OPERA", "DANCE", "FAMILY"];

/// A small deterministic generator (no dependency, same data every run).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn pick<'a>(&mut self, v: &'a [&'a str]) -> &'a str {
        v[(self.next() as usize) % v.len()]
    }
}

fn event(i: usize, r: &mut Lcg) -> EventDoc {
    let name = format!("{} {} {}", r.pick(ARTISTS), r.pick(WORDS), r.pick(WORDS));
    let description = (0..12).map(|_| r.pick(WORDS)).collect::<Vec<_>>().join(" ");
    let day = (r.next() % 730) as i64;
    let date = common::time::to_rfc3339(1_900_000_000_000 + day * 86_400_000);
    let min = 1000 + (r.next() % 20_000) as i64;
    let total = 100 + (r.next() % 5000) as i64;
    EventDoc {
        event_id: format!("ev{i:06}"),
        event_name: name,
        description: Some(description),
        category: r.pick(CATEGORIES).to_string(),
        venue_name: format!("{} Arena", r.pick(WORDS)),
        city: r.pick(CITIES).to_string(),
        event_date: date,
        status: if r.next().is_multiple_of(5) { "UPCOMING".into() } else { "ON_SALE".into() },
        tags: vec![r.pick(WORDS).to_string(), r.pick(WORDS).to_string()],
        total_seats: total,
        available_seats: (r.next() as i64) % (total + 1),
        min_price: Some(Money(min)),
        max_price: Some(Money(min + (r.next() % 30_000) as i64)),
    }
}

fn queries(per_kind: usize, r: &mut Lcg) -> Vec<(&'static str, SearchParams)> {
    let mut out = Vec::new();
    for i in 0..per_kind {
        let word = r.pick(WORDS).to_string();
        // Every third text query has a typo (a dropped letter) to exercise the fuzzy terms.
        let word = if i % 3 == 0 { word[..word.len() - 1].to_string() } else { word };
        let q = if i % 2 == 0 { format!("{} {}", r.pick(ARTISTS), word) } else { word };
        out.push(("text", SearchParams { q: Some(q.clone()), ..Default::default() }));
        out.push((
            "text+filters",
            SearchParams {
                q: Some(q),
                city: Some(r.pick(CITIES).to_string()),
                price_max: Some(format!("{}", 50 + r.next() % 150)),
                date_from: Some("2030-03-01".into()),
                sort: Some(["date", "price_asc", "relevance"][i % 3].into()),
                ..Default::default()
            },
        ));
        out.push((
            "filters",
            SearchParams {
                category: Some(r.pick(CATEGORIES).to_string()),
                status: Some("ON_SALE".into()),
                price_min: Some(format!("{}", r.next() % 100)),
                sort: Some("price_desc".into()),
                page: Some(format!("{}", i % 5)),
                ..Default::default()
            },
        ));
        out.push(("facets", SearchParams { page: Some(format!("{}", i % 10)), size: Some("100".into()), ..Default::default() }));
    }
    out
}

fn pct(v: &mut [Duration], p: f64) -> f64 {
    v.sort();
    let i = ((v.len() as f64 * p).ceil() as usize).clamp(1, v.len()) - 1;
    v[i].as_secs_f64() * 1000.0
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let per_kind: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(250);
    let dir = tempfile::tempdir().unwrap();
    let (index, _) = SearchIndex::open(&dir.path().join("search-index")).unwrap();
    let index = Arc::new(index);
    let mut r = Lcg(42);
    let started = Instant::now();
    let mut w = index.writer().unwrap();
    for i in 0..n {
        w.upsert(&event(i, &mut r)).unwrap();
        if (i + 1) % 20_000 == 0 {
            w.commit().unwrap();
        }
    }
    w.commit().unwrap();
    drop(w);
    let svc = SearchService::new(index.clone());
    svc.committed().unwrap();
    println!("indexed {} events in {:.1} s", index.num_docs(), started.elapsed().as_secs_f64());

    let set = queries(per_kind, &mut r);
    println!("{} queries ({} per kind), run one at a time", set.len(), per_kind);
    println!("{:<14} {:>6} {:>10} {:>10} {:>10} {:>10}", "kind", "n", "cold p50", "cold p99", "warm p50", "warm p99");
    let mut all = (Vec::new(), Vec::new());
    let mut by_kind: Vec<(&str, Vec<Duration>, Vec<Duration>)> = Vec::new();
    for pass in 0..2 {
        if pass == 1 {
            // Warm: every query of the set is in the cache.
            for (_, p) in &set {
                svc.search(p).await.expect("query ok");
            }
        }
        for (kind, p) in &set {
            if pass == 0 {
                // Cold: nothing cached, whatever ran before (outside the timing).
                svc.committed().unwrap();
            }
            let t = Instant::now();
            let res = svc.search(p).await.expect("query ok");
            std::hint::black_box(res);
            let d = t.elapsed();
            let slot = match by_kind.iter_mut().find(|k| k.0 == *kind) {
                Some(s) => s,
                None => {
                    by_kind.push((kind, Vec::new(), Vec::new()));
                    by_kind.last_mut().unwrap()
                }
            };
            if pass == 0 {
                slot.1.push(d);
                all.0.push(d);
            } else {
                slot.2.push(d);
                all.1.push(d);
            }
        }
    }
    by_kind.push(("all", all.0, all.1));
    for (kind, mut cold, mut warm) in by_kind {
        println!(
            "{:<14} {:>6} {:>8.2}ms {:>8.2}ms {:>8.3}ms {:>8.3}ms",
            kind,
            cold.len(),
            pct(&mut cold, 0.5),
            pct(&mut cold, 0.99),
            pct(&mut warm, 0.5),
            pct(&mut warm, 0.99)
        );
    }
}
