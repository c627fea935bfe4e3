//! The web app: the React build (`web/dist`) embedded in the binary when it existed at build time,
//! or served from `TICKETING_WEB_DIR`; `index.html` answers every client-side route. Without
//! either, a placeholder page says how to build it.
//!
//! Release builds carry the files inside the binary (an installed or containerised `ticketing`
//! needs nothing beside it); debug builds read them from `web/dist` of the checkout at run time,
//! so `npm run build` shows without a Rust rebuild.

use axum::http::{header, HeaderValue, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::MethodRouter;
use std::path::Path;

#[derive(rust_embed::Embed)]
#[folder = "../../web/dist/"]
#[allow_missing = true]
struct Built;

const PLACEHOLDER: &str = r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Ticketing</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; padding: 0 1rem">
<h1>Ticketing is running</h1>
<p>This binary was built without the web app. Build it (<code>cd web &amp;&amp; npm ci &amp;&amp; npm run build</code>)
and then the binary (<code>cargo build --release -p cli</code>), or point <code>TICKETING_WEB_DIR</code> at a build of it.
The API is at <a href="/api/events">/api/events</a>; health at <a href="/health">/health</a>.</p>
</body></html>"#;

/// Whether this binary carries the web app.
pub fn embedded() -> bool {
    Built::get("index.html").is_some()
}

/// The route serving the web app (GET and HEAD); other methods are a JSON 404.
pub fn app(dir: Option<&Path>) -> MethodRouter {
    match dir {
        Some(dir) if dir.join("index.html").is_file() => {
            let serve = tower_http::services::ServeDir::new(dir).fallback(tower_http::services::ServeFile::new(dir.join("index.html")));
            axum::routing::get_service(serve).fallback(common::http::not_found)
        }
        None if embedded() => axum::routing::get(from_binary).fallback(common::http::not_found),
        _ => axum::routing::get(|| async { Html(PLACEHOLDER) }).fallback(common::http::not_found),
    }
}

/// A file of the embedded build; `index.html` for any path that is not one (a client-side route).
async fn from_binary(uri: Uri) -> Response {
    let path = uri.path().trim_start_matches('/');
    let (file, name) = match Built::get(path).filter(|_| !path.is_empty()) {
        Some(f) => (f, path),
        None => match Built::get("index.html") {
            Some(f) => (f, "index.html"),
            None => return StatusCode::NOT_FOUND.into_response(),
        },
    };
    // Vite names what it builds under assets/ by content hash: those never change.
    let cache = if name.starts_with("assets/") { "public, max-age=31536000, immutable" } else { "no-cache" };
    let mime = HeaderValue::from_str(file.metadata.mimetype()).unwrap_or(HeaderValue::from_static("application/octet-stream"));
    ([(header::CONTENT_TYPE, mime), (header::CACHE_CONTROL, HeaderValue::from_static(cache))], file.data).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    async fn get(router: &axum::Router, path: &str) -> (StatusCode, String, String) {
        let r = router.clone().oneshot(Request::get(path).body(Body::empty()).unwrap()).await.unwrap();
        let (status, cache) =
            (r.status(), r.headers().get(header::CACHE_CONTROL).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default());
        let body = axum::body::to_bytes(r.into_body(), usize::MAX).await.unwrap();
        (status, String::from_utf8_lossy(&body).into_owned(), cache)
    }

    #[tokio::test]
    async fn the_binary_serves_its_own_build_or_says_how_to_make_one() {
        let router = axum::Router::new().route("/", app(None)).route("/{*path}", app(None));
        let (status, home, _) = get(&router, "/").await;
        assert_eq!(status, StatusCode::OK);
        if !embedded() {
            assert!(home.contains("built without the web app"), "{home}");
            return;
        }
        assert!(home.contains("<div id=\"root\">"), "{home}");
        // A client-side route is the app too.
        let (status, route, cache) = get(&router, "/events/some-id").await;
        assert_eq!((status, route.as_str(), cache.as_str()), (StatusCode::OK, home.as_str(), "no-cache"));
        // Hashed assets are cached for good.
        let asset = Built::iter().find(|f| f.starts_with("assets/")).expect("a built app has assets");
        let (status, _, cache) = get(&router, &format!("/{asset}")).await;
        assert_eq!((status, cache.as_str()), (StatusCode::OK, "public, max-age=31536000, immutable"));
    }

    #[tokio::test]
    async fn a_directory_without_a_build_gets_the_placeholder() {
        let dir = std::env::temp_dir().join(format!("no-web-{}", std::process::id()));
        let router = axum::Router::new().route("/", app(Some(&dir)));
        let (status, body, _) = get(&router, "/").await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains("built without the web app"), "{body}");
    }
}
