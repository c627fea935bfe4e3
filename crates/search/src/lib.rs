//! The search service: `GET /api/search` (shared/API.md §8) over an embedded tantivy index.
//!
//! Owns the index in `TICKETING_DATA_DIR/search-index`; every search process keeps its own, fed by
//! the `indexer` crate, which follows the events outbox and writes through [`index::DocWriter`].
//! This crate owns no database and no SQL, and knows the events service only as
//! [`common::clients::EventDoc`] values handed to it.
//!
//! Full text over name, description, venue and tags, case- and accent-insensitive (an
//! ASCII-folding analyzer), every word required, words of 5+ letters within one typo; filters on
//! city, category, status, date and price ranges, each combined with the text; sort by relevance,
//! date or price; facets of city and category counting every match of the whole query;
//! `availability` derived from the seat counts ([`model::availability`]: `LIMITED` below 10% left).
//! Recent results are cached (moka) under the index generation, emptied at every commit.
//!
//! Layout: `http` (route) -> `service` (validation, cache, metrics) -> `index` (schema, analyzers,
//! open/rebuild, writer, query execution); `query` parses and validates the parameters and the
//! text syntax; `model` is the wire shape.

mod http;
pub mod index;
pub mod model;
pub mod query;
mod service;

pub use http::{openapi, router};
pub use index::{DocWriter, IndexError, Opened, SearchIndex};
pub use query::{SearchParams, SearchRequest};
pub use service::SearchService;

/// Where a search process keeps its index: `<data dir>/search-index`.
pub fn index_dir(data_dir: &std::path::Path) -> std::path::PathBuf {
    data_dir.join("search-index")
}

#[cfg(test)]
mod tests;
