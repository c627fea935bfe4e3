//! The API describes itself (shared/API.md §10): `GET /api/openapi.json`, the OpenAPI 3.1 document
//! the server assembles from the services' own descriptions, and `GET /api/docs`, an interactive
//! page (Swagger UI). Both are public. The page's assets are the `swagger-ui-dist` npm package's
//! bundle, vendored under `assets/swagger-ui/` and embedded in the binary: nothing is fetched at
//! build or run time.

use axum::http::{header, HeaderValue};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::sync::Arc;

const BUNDLE_JS: &[u8] = include_bytes!("../assets/swagger-ui/swagger-ui-bundle.js");
const CSS: &[u8] = include_bytes!("../assets/swagger-ui/swagger-ui.css");

const PAGE: &str = r##"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Ticketing API</title>
<link rel="stylesheet" href="/api/docs/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/api/docs/swagger-ui-bundle.js"></script>
<script>
window.ui = SwaggerUIBundle({
  url: "/api/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  docExpansion: "list",
  tryItOutEnabled: false,
  validatorUrl: null,
});
</script>
</body>
</html>
"##;

/// The routes of the document and the page; `openapi_json` is the serialized document.
pub fn router(openapi_json: String) -> Router {
    let doc: Arc<str> = openapi_json.into();
    Router::new()
        .route("/api/openapi.json", get(move || json(doc.clone())))
        .route("/api/docs", get(|| async { Html(PAGE) }))
        .route("/api/docs/", get(|| async { Html(PAGE) }))
        .route("/api/docs/swagger-ui-bundle.js", get(|| async { asset("text/javascript; charset=utf-8", BUNDLE_JS) }))
        .route("/api/docs/swagger-ui.css", get(|| async { asset("text/css; charset=utf-8", CSS) }))
}

async fn json(doc: Arc<str>) -> Response {
    ([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], doc.to_string()).into_response()
}

fn asset(content_type: &'static str, body: &'static [u8]) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=86400")),
        ],
        body,
    )
        .into_response()
}
