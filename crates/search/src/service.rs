//! The query side: validate, look in the cache of recent results, else ask the index; measure.
//!
//! The cache key is the validated request plus the index generation, and [`SearchService::committed`]
//! (called by the indexer after each commit) reloads the reader, bumps the generation and empties
//! the cache. A query that was running across a commit may still insert its result, but under the
//! old generation, which no later query asks for: a result is never served stale past a commit.

use crate::index::{IndexError, SearchIndex};
use crate::model::{FacetValue, Facets, ResultPage, SearchHit, SearchResponse};
use crate::query::{SearchParams, SearchRequest};
use common::extract::Paging;
use common::ApiError;
use moka::future::Cache;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How many recent results are kept, and for how long at most.
const CACHE_ENTRIES: u64 = 10_000;
const CACHE_TTL: Duration = Duration::from_secs(300);

pub struct SearchService {
    index: Arc<SearchIndex>,
    cache: Cache<(u64, SearchRequest), Arc<ResultPage>>,
}

impl From<IndexError> for ApiError {
    fn from(e: IndexError) -> Self {
        ApiError::internal(e)
    }
}

impl SearchService {
    pub fn new(index: Arc<SearchIndex>) -> Self {
        let cache = Cache::builder().max_capacity(CACHE_ENTRIES).time_to_live(CACHE_TTL).build();
        Self { index, cache }
    }

    pub fn index(&self) -> &Arc<SearchIndex> {
        &self.index
    }

    /// `GET /api/search`.
    pub async fn search(&self, p: &SearchParams) -> Result<SearchResponse, ApiError> {
        let started = Instant::now();
        let req = SearchRequest::parse(p)?;
        let page = self.run(req).await?;
        let elapsed = started.elapsed();
        metrics::histogram!("search_query_duration_seconds").record(elapsed.as_secs_f64());
        Ok(SearchResponse {
            results: page.results.clone(),
            page: page.page.clone(),
            facets: page.facets.clone(),
            took_ms: elapsed.as_millis() as u64,
        })
    }

    /// A validated request, from the cache or the index.
    pub async fn run(&self, req: SearchRequest) -> Result<Arc<ResultPage>, ApiError> {
        let key = (self.index.generation(), req);
        if let Some(hit) = self.cache.get(&key).await {
            metrics::counter!("search_cache_hits_total").increment(1);
            return Ok(hit);
        }
        metrics::counter!("search_cache_misses_total").increment(1);
        let index = self.index.clone();
        let req = key.1.clone();
        // Searching reads mmapped segments and burns CPU: keep it off the async workers.
        let found = tokio::task::spawn_blocking(move || index.search(&req))
            .await
            .map_err(|e| ApiError::internal(format!("search task: {e}")))??;
        let (page_no, size) = (key.1.page, key.1.size);
        let paging = Paging { page: page_no, size };
        let page = Arc::new(ResultPage {
            results: found.hits.into_iter().map(SearchHit::from).collect(),
            page: paging.page_info(found.total as i64),
            facets: Facets {
                city: found.city.into_iter().map(|(value, count)| FacetValue { value, count }).collect(),
                category: found.category.into_iter().map(|(value, count)| FacetValue { value, count }).collect(),
            },
        });
        self.cache.insert(key, page.clone()).await;
        Ok(page)
    }

    /// The index committed: show the new documents and forget every cached result.
    pub fn committed(&self) -> Result<(), ApiError> {
        self.index.reload()?;
        self.cache.invalidate_all();
        Ok(())
    }

    /// Follow the commits of an indexer in another process (the index directory is shared): look
    /// at the index's last commit every `every` and show it when it changed. Abort the task to stop.
    pub fn follow_commits(self: &Arc<Self>, every: std::time::Duration) -> tokio::task::JoinHandle<()> {
        let svc = self.clone();
        tokio::spawn(async move {
            let mut seen = svc.index.last_commit();
            loop {
                tokio::time::sleep(every).await;
                let now = svc.index.last_commit();
                if now != seen {
                    match svc.committed() {
                        Ok(()) => seen = now,
                        Err(e) => tracing::warn!(error = %e, "could not load the indexer's last commit; trying again"),
                    }
                }
            }
        })
    }

    /// Entries in the result cache (for tests and metrics).
    pub async fn cached_entries(&self) -> u64 {
        self.cache.run_pending_tasks().await;
        self.cache.entry_count()
    }
}
