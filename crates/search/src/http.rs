//! The route of the search service: parse, call, map errors. Built with `utoipa_axum`'s `routes!`
//! from its `#[utoipa::path]`.

use crate::query::SearchParams;
use crate::service::SearchService;
use axum::extract::State;
use axum::Router;
use common::extract::Query;
use common::openapi::ErrorBody;
use common::ApiError;
use std::sync::Arc;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

fn routes() -> OpenApiRouter<Arc<SearchService>> {
    OpenApiRouter::new().routes(routes!(search))
}

pub fn router(svc: Arc<SearchService>) -> Router {
    routes().with_state(svc).split_for_parts().0
}

/// The description of the public route (shared/API.md §8).
pub fn openapi() -> utoipa::openapi::OpenApi {
    routes().into_openapi()
}

/// Full text over name, description, venue and tags; every filter combines with the text.
#[utoipa::path(get, path = "/api/search", tag = "search", params(SearchParams),
    responses(
        (status = 200, description = "A page of matches with facets", body = crate::model::SearchResponse),
        (status = 400, description = "VALIDATION_ERROR naming the parameter", body = ErrorBody),
        (status = 429, description = "RATE_LIMITED", body = ErrorBody),
        (status = 503, description = "UNAVAILABLE: the index is not ready", body = ErrorBody),
    ))]
async fn search(
    State(s): State<Arc<SearchService>>,
    Query(p): Query<SearchParams>,
) -> Result<axum::Json<crate::model::SearchResponse>, ApiError> {
    Ok(axum::Json(s.search(&p).await?))
}
