//! What a node does with each service it runs, said once per service: its routes (public and
//! internal: other processes may call this one), what `/ready` checks, and how it stops (its
//! background jobs end; what they hold is let go). [`Services::running`] is the one list of them;
//! routing, readiness and shutdown read it. How each service is *built* (its storage, its peers)
//! is in `lib.rs`, in the order the services need each other.

use crate::Services;
use auth::AuthService;
use axum::Router;
use booking::BookingService;
use common::http::Check;
use events::EventsService;
use futures::future::BoxFuture;
use indexer::Indexer;
use inventory::InventoryService;
use notification::NotificationService;
use payment::PaymentService;
use search::SearchService;
use std::sync::Arc;

/// A service running in this process.
pub trait Running: Send + Sync {
    /// Its routes; internal ones take only a service token (an end user gets 403).
    fn routes(&self) -> Router {
        Router::new()
    }
    /// What `/ready` checks of it: its own database (and Redis, where it keeps state there).
    fn ready(&self) -> BoxFuture<'_, Check>;
    /// Stop its background jobs (a node shutting down, or a test's node "killed").
    fn stop(&self) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }
}

fn db_check(name: &'static str, db: &store::Db) -> BoxFuture<'static, Check> {
    let db = db.clone();
    Box::pin(async move { Check::own(name, db.ping().await.map_err(|e| e.to_string())) })
}

impl Running for Arc<AuthService> {
    fn routes(&self) -> Router {
        auth::router(self.clone()).merge(auth::internal_router(self.clone()))
    }
    fn ready(&self) -> BoxFuture<'_, Check> {
        db_check("auth database", self.db())
    }
}

impl Running for Arc<EventsService> {
    fn routes(&self) -> Router {
        events::router(self.clone()).merge(events::internal_router(self.clone()))
    }
    fn ready(&self) -> BoxFuture<'_, Check> {
        db_check("events database", self.db())
    }
}

impl Running for Arc<InventoryService> {
    fn routes(&self) -> Router {
        inventory::router(self.clone()).merge(inventory::internal_router(self.clone()))
    }
    fn ready(&self) -> BoxFuture<'_, Check> {
        Box::pin(async move { Check::own("inventory database and locks", self.ping().await) })
    }
}

impl Running for Arc<BookingService> {
    fn routes(&self) -> Router {
        booking::router(self.clone()).merge(booking::internal_router(self.clone()))
    }
    fn ready(&self) -> BoxFuture<'_, Check> {
        Box::pin(async move { Check::own("bookings database", self.ping().await) })
    }
    fn stop(&self) -> BoxFuture<'_, ()> {
        BookingService::stop(self);
        Box::pin(async {})
    }
}

impl Running for Arc<PaymentService> {
    fn routes(&self) -> Router {
        payment::router(self.clone()).merge(payment::internal_router(self.clone()))
    }
    fn ready(&self) -> BoxFuture<'_, Check> {
        db_check("payment database", self.db())
    }
    fn stop(&self) -> BoxFuture<'_, ()> {
        PaymentService::stop(self);
        Box::pin(async {})
    }
}

impl Running for Arc<NotificationService> {
    fn routes(&self) -> Router {
        notification::router(self.clone())
    }
    fn ready(&self) -> BoxFuture<'_, Check> {
        Box::pin(async move { Check::own("notification database", self.ping().await) })
    }
    fn stop(&self) -> BoxFuture<'_, ()> {
        NotificationService::stop(self);
        Box::pin(async {})
    }
}

/// The search service and its indexer run together (each search process keeps its own index).
/// The indexer, and the search service when this process runs it too.
pub struct SearchWithIndexer {
    pub search: Option<Arc<SearchService>>,
    pub indexer: Arc<Indexer>,
}

impl Running for SearchWithIndexer {
    fn routes(&self) -> Router {
        self.search.clone().map(search::router).unwrap_or_default()
    }
    fn ready(&self) -> BoxFuture<'_, Check> {
        Box::pin(async move { Check::own("search database", self.indexer.ping().await.map_err(|e| e.to_string())) })
    }
    fn stop(&self) -> BoxFuture<'_, ()> {
        // Also lets go of the index's writer, so a node started on the same data dir can take it.
        Box::pin(self.indexer.stop())
    }
}

/// A search process that reads the index an indexer in another process writes.
pub struct SearchReader {
    pub search: Arc<SearchService>,
    pub follower: Option<Arc<tokio::task::JoinHandle<()>>>,
}

impl Running for SearchReader {
    fn routes(&self) -> Router {
        search::router(self.search.clone())
    }
    fn ready(&self) -> BoxFuture<'_, Check> {
        // Its one dependency is the index on disk that the indexer commits to.
        let commit = self.search.index().last_commit();
        Box::pin(
            async move { Check::own("search index", commit.map(|_| ()).ok_or_else(|| "the index directory has no commit".to_string())) },
        )
    }
    fn stop(&self) -> BoxFuture<'_, ()> {
        if let Some(f) = &self.follower {
            f.abort();
        }
        Box::pin(async {})
    }
}

impl Running for Arc<queue::QueueService> {
    fn routes(&self) -> Router {
        queue::router(self.clone()).merge(queue::internal_router(self.clone()))
    }
    fn ready(&self) -> BoxFuture<'_, Check> {
        Box::pin(async move { Check::own("queue store", self.ping().await) })
    }
    fn stop(&self) -> BoxFuture<'_, ()> {
        // Stops admitting, and waits until every join is on disk.
        Box::pin(queue::QueueService::stop(self))
    }
}

impl Services {
    /// Every service this node runs, in one list.
    pub fn running(&self) -> Vec<Box<dyn Running>> {
        fn boxed<S: Running + Clone + 'static>(s: &Option<S>) -> Option<Box<dyn Running>> {
            s.clone().map(|s| Box::new(s) as Box<dyn Running>)
        }
        let search = match (&self.search, &self.indexer) {
            (search, Some(indexer)) => {
                Some(Box::new(SearchWithIndexer { search: search.clone(), indexer: indexer.clone() }) as Box<dyn Running>)
            }
            (Some(search), None) => {
                Some(Box::new(SearchReader { search: search.clone(), follower: self.search_follower.clone() }) as Box<dyn Running>)
            }
            (None, None) => None,
        };
        [
            boxed(&self.auth),
            boxed(&self.events),
            boxed(&self.inventory),
            boxed(&self.booking),
            boxed(&self.payment),
            boxed(&self.notification),
            search,
            boxed(&self.queue),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    /// Stop every service's background jobs.
    pub async fn stop(&self) {
        for s in self.running() {
            s.stop().await;
        }
    }
}
