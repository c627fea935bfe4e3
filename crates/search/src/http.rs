//! The route of the search service: parse, call, map errors.

use crate::query::SearchParams;
use crate::service::SearchService;
use axum::extract::State;
use axum::routing::get;
use axum::Router;
use common::extract::Query;
use common::ApiError;
use std::sync::Arc;

pub fn router(svc: Arc<SearchService>) -> Router {
    Router::new().route("/api/search", get(search)).with_state(svc)
}

async fn search(State(s): State<Arc<SearchService>>, Query(p): Query<SearchParams>) -> Result<axum::Json<crate::model::SearchResponse>, ApiError> {
    Ok(axum::Json(s.search(&p).await?))
}
