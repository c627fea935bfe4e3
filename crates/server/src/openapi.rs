//! The OpenAPI document a gateway serves at `/api/openapi.json` (shared/API.md §10): the
//! descriptions of the services it routes to, each from its own crate's `openapi()`, merged by
//! [`common::openapi::document`].
//!
//! Each service builds its public router from the same `#[utoipa::path]` annotations as its
//! description (`utoipa_axum::routes!`), and the test below reads the paths of a whole node's router
//! and fails on any `/api/...` route that the document does not describe, so a route added with a
//! plain `.route(...)` (or a new service without `openapi()`) cannot go unnoticed.

use common::config::{Config, Service};

/// The description of one service's public routes; `None` for a service without public routes.
pub fn of_service(s: Service) -> Option<utoipa::openapi::OpenApi> {
    match s {
        Service::Auth => Some(auth::openapi()),
        Service::Events => Some(events::openapi()),
        Service::Inventory => Some(inventory::openapi()),
        Service::Booking => Some(booking::openapi()),
        Service::Payment => Some(payment::openapi()),
        Service::Notification => Some(notification::openapi()),
        Service::Search => Some(search::openapi()),
        Service::Queue => Some(queue::openapi()),
        Service::Gateway | Service::Indexer => None,
    }
}

/// Every service whose routes this node's gateway serves: in process, or forwarded to its URL.
pub fn document(cfg: &Config) -> utoipa::openapi::OpenApi {
    common::openapi::document(
        Service::ALL.into_iter().filter(|s| *s != Service::Gateway && (cfg.runs(*s) || cfg.url_of(*s).is_some())).filter_map(of_service),
    )
}

pub fn document_json(cfg: &Config) -> String {
    serde_json::to_string(&document(cfg)).unwrap_or_else(|_| "{}".into())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    /// Paths the gateway itself serves (the document, the page and its assets, the JSON 404s).
    fn gateway_own(path: &str) -> bool {
        matches!(path, "/api" | "/api/" | "/api/{*rest}" | "/api/openapi.json") || path.starts_with("/api/docs")
    }

    /// The route paths of a router, read from its `Debug` form (axum has no other way to list them).
    fn router_paths(router: &axum::Router) -> BTreeSet<String> {
        let text = format!("{router:?}");
        let mut out = BTreeSet::new();
        for prefix in ["\"/api", "\"/internal"] {
            let mut rest = text.as_str();
            while let Some(i) = rest.find(prefix) {
                let tail = &rest[i + 1..];
                let end = tail.find('"').unwrap_or(tail.len());
                out.insert(tail[..end].to_string());
                rest = &tail[end..];
            }
        }
        out
    }

    #[tokio::test]
    async fn the_document_describes_every_public_route() {
        let dir = tempfile::tempdir().unwrap();
        let mut cfg = common::config::Config::for_tests(dir.path().to_path_buf());
        cfg.web_dir = Some(dir.path().join("no-web"));
        let (router, _, services) = crate::build(&cfg).await.expect("node builds");
        let doc = super::document(&cfg);
        let described: BTreeSet<String> = common::openapi::operations(&doc).into_iter().map(|(_, p)| p).collect();
        let routed = router_paths(&router);
        // The Debug form must still show the routes (an axum upgrade that hides them fails here).
        assert!(routed.iter().filter(|p| p.starts_with("/internal/")).count() >= 5, "cannot read routes: {routed:?}");
        let public: BTreeSet<&String> = routed.iter().filter(|p| p.starts_with("/api") && !gateway_own(p)).collect();
        let undocumented: Vec<&&String> = public.iter().filter(|p| !described.contains(p.as_str())).collect();
        assert!(undocumented.is_empty(), "routes missing from /api/openapi.json: {undocumented:?}");
        let unrouted: Vec<&String> = described.iter().filter(|p| !public.contains(p)).collect();
        assert!(unrouted.is_empty(), "described but not routed: {unrouted:?}");
        assert!(public.len() >= 20, "too few public routes found: {public:?}");
        services.stop().await;
    }

    #[test]
    fn every_operation_has_error_responses_and_auth_where_needed() {
        let cfg = common::config::Config::for_tests(std::env::temp_dir());
        let v = serde_json::to_value(super::document(&cfg)).unwrap();
        assert_eq!(v["openapi"], "3.1.0");
        assert!(v["components"]["securitySchemes"]["bearer"].is_object());
        for (path, item) in v["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let responses = op["responses"].as_object().unwrap();
                let errors: Vec<&String> = responses.keys().filter(|k| k.starts_with('4') || k.starts_with('5')).collect();
                assert!(!errors.is_empty(), "{method} {path} lists no error");
                for code in errors {
                    let schema = &responses[code]["content"]["application/json"]["schema"]["$ref"];
                    assert_eq!(schema, "#/components/schemas/Error", "{method} {path} {code}");
                }
                // An operation that can refuse a token says it takes one.
                let token_401 = responses.get("401").and_then(|r| r["description"].as_str()).is_some_and(|d| d.contains("forged token"));
                assert_eq!(op["security"].is_array(), token_401, "{method} {path}: bearer scheme and 401 disagree");
            }
        }
    }
}
