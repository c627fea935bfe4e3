//! Forwarding a request to a service in another process.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName};
use axum::response::{IntoResponse, Response};
use common::{ApiError, ErrorCode};
use std::sync::Arc;
use std::time::Duration;

pub struct Remote {
    base: String,
    http: reqwest::Client,
}

impl Remote {
    pub fn new(base: &str) -> Arc<Self> {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(60)).pool_max_idle_per_host(256).build().expect("http client");
        Arc::new(Self { base: base.trim_end_matches('/').to_string(), http })
    }
}

/// Hop-by-hop headers are not forwarded (RFC 9110 §7.6.1).
fn hop_by_hop(name: &HeaderName) -> bool {
    matches!(
        name.as_str(),
        "connection" | "keep-alive" | "proxy-connection" | "transfer-encoding" | "te" | "trailer" | "upgrade" | "host" | "content-length"
    )
}

fn copy_headers(from: &HeaderMap, to: &mut HeaderMap) {
    for (k, v) in from {
        if !hop_by_hop(k) {
            to.append(k.clone(), v.clone());
        }
    }
}

/// Which process serves which paths: each prefix (`/api/events`, or with a parameter,
/// `/api/events/{eventId}/waitlist`) with its process. The longest prefix that matches a path
/// decides, so one service may own a path under another's (the waitlist of an event belongs to the
/// inventory, the event to the events service), which the router itself cannot express beside a
/// catch-all.
#[derive(Default)]
pub struct Table {
    routes: Vec<(Vec<String>, Arc<Remote>)>,
}

impl Table {
    pub fn add(&mut self, prefix: &str, remote: Arc<Remote>) {
        self.routes.push((prefix.split('/').filter(|s| !s.is_empty()).map(str::to_string).collect(), remote));
    }

    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }

    /// The process of the longest prefix of `path` (a `{name}` segment matches any one segment).
    pub fn find(&self, path: &str) -> Option<&Arc<Remote>> {
        let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        self.routes
            .iter()
            .filter(|(prefix, _)| {
                prefix.len() <= segs.len() && prefix.iter().zip(&segs).all(|(p, s)| p == s || (p.starts_with('{') && p.ends_with('}')))
            })
            .max_by_key(|(prefix, _)| prefix.len())
            .map(|(_, r)| r)
    }
}

/// Forward to the process that serves the path, or answer `404` as for any unknown API path.
pub async fn dispatch(State(table): State<Arc<Table>>, req: Request) -> Response {
    match table.find(req.uri().path()) {
        Some(remote) => forward(State(remote.clone()), req).await,
        None => common::http::not_found().await.into_response(),
    }
}

pub async fn forward(State(remote): State<Arc<Remote>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, common::http::MAX_BODY_BYTES).await {
        Ok(b) => b,
        Err(_) => return ApiError::new(ErrorCode::PayloadTooLarge, "request body is larger than 1 MiB").into_response(),
    };
    let path = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let mut headers = HeaderMap::new();
    copy_headers(&parts.headers, &mut headers);
    if let Some(ci) = parts.extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>() {
        if let Ok(v) = ci.0.ip().to_string().parse() {
            headers.insert(HeaderName::from_static("x-forwarded-for"), v);
        }
    }
    let sent = remote.http.request(parts.method, format!("{}{}", remote.base, path)).headers(headers).body(bytes).send().await;
    let resp = match sent {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(upstream = %remote.base, error = %e.without_url(), "upstream unreachable");
            return ApiError::unavailable("the service is unavailable; nothing was changed").into_response();
        }
    };
    let status = resp.status();
    let mut out_headers = HeaderMap::new();
    copy_headers(resp.headers(), &mut out_headers);
    match resp.bytes().await {
        Ok(b) => {
            let mut r = Response::new(Body::from(b));
            *r.status_mut() = status;
            *r.headers_mut() = out_headers;
            r
        }
        Err(e) => {
            tracing::warn!(upstream = %remote.base, error = %e.without_url(), "upstream answer cut short");
            ApiError::unavailable("the service did not answer in full").into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_prefix_decides() {
        let (events, inventory) = (Remote::new("http://events"), Remote::new("http://inventory"));
        let mut t = Table::default();
        t.add("/api/events", events.clone());
        t.add("/api/inventory", inventory.clone());
        t.add("/api/events/{eventId}/waitlist", inventory.clone());
        let base = |p: &str| t.find(p).map(|r| r.base.clone());
        assert_eq!(base("/api/events"), Some("http://events".into()));
        assert_eq!(base("/api/events/e1"), Some("http://events".into()));
        assert_eq!(base("/api/events/e1/status"), Some("http://events".into()));
        assert_eq!(base("/api/events/e1/waitlist"), Some("http://inventory".into()));
        assert_eq!(base("/api/inventory/reservations"), Some("http://inventory".into()));
        assert_eq!(base("/api/eventsx"), None);
        assert_eq!(base("/api/nothing"), None);
    }
}
