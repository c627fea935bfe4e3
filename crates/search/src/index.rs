//! The tantivy index: its schema and analyzers, opening (and rebuilding when missing or of another
//! schema version), writing documents, and running a validated [`SearchRequest`].
//!
//! One document per event, keyed by `event_id`. Text fields go through the `folded` analyzer
//! (split on non-alphanumerics, lowercase, ASCII folding: `Beyoncé` is indexed as `beyonce`);
//! `all_text` holds the five searchable fields (name, description, venue, city, tags) together and
//! is what fuzzy terms run against, so a typo costs one automaton walk per word rather than five. City and category are indexed twice:
//! as folded keywords (exact, case- and accent-insensitive filters) and as facets (counts with
//! their display value). Dates and prices are fast fields (ranges and sorts); prices carry
//! sentinels so an event without seats sorts last both ways and never matches a price filter.
//! The displayed hit is a stored JSON blob: one stored-field read per hit.

use crate::query::{FilterSet, SearchRequest, Sort, TextClause, TextQuery};
use common::clients::EventDoc;
use serde::{Deserialize, Serialize};
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use tantivy::collector::{Count, FacetCollector, TopDocs};
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, EmptyQuery, FuzzyTermQuery, Occur, PhraseQuery, Query, RangeQuery, TermQuery,
};
use tantivy::schema::{
    Facet, FacetOptions, Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value, FAST, INDEXED, STORED, STRING,
};
use tantivy::tokenizer::{AsciiFoldingFilter, LowerCaser, RawTokenizer, RemoveLongFilter, SimpleTokenizer, TextAnalyzer};
use tantivy::{DocAddress, Index, IndexReader, IndexWriter, Order, ReloadPolicy, Searcher, TantivyDocument, Term};

/// Bump when the schema or the analyzers change: an index of another version is rebuilt at start.
pub const SCHEMA_VERSION: u32 = 2;
/// The file beside tantivy's own that records the schema version and the index's identity.
const MARKER: &str = "ticketing-index.json";
/// The text analyzer of every searchable field.
pub const FOLDED: &str = "folded";
/// The analyzer of keyword filters (whole value, lowercased, folded).
pub const KEYWORD: &str = "keyword_folded";
/// How many values each facet lists at most.
pub const FACET_LIMIT: usize = 100;
/// Memory of the single indexing thread.
const WRITER_BUDGET: usize = 32_000_000;

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("search index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error("search index: {0}")]
    Io(#[from] std::io::Error),
    #[error("the search index at {0} is in use by another process (a running `ticketing serve`?)")]
    Busy(PathBuf),
}

/// The fields, resolved once.
#[derive(Clone, Copy)]
pub struct Fields {
    pub event_id: Field,
    pub name: Field,
    pub description: Field,
    pub venue: Field,
    pub city: Field,
    pub tags: Field,
    pub all_text: Field,
    pub city_kw: Field,
    pub category_kw: Field,
    pub city_facet: Field,
    pub category_facet: Field,
    pub status: Field,
    pub event_date: Field,
    pub min_price_asc: Field,
    pub min_price_desc: Field,
    pub max_price: Field,
    pub stored: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default().set_tokenizer(FOLDED).set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let keyword = TextOptions::default()
        .set_indexing_options(TextFieldIndexing::default().set_tokenizer(KEYWORD).set_index_option(IndexRecordOption::Basic));
    let fields = Fields {
        event_id: b.add_text_field("event_id", STRING | STORED),
        name: b.add_text_field("name", text.clone()),
        description: b.add_text_field("description", text.clone()),
        venue: b.add_text_field("venue", text.clone()),
        city: b.add_text_field("city", text.clone()),
        tags: b.add_text_field("tags", text.clone()),
        all_text: b.add_text_field("all_text", text),
        city_kw: b.add_text_field("city_kw", keyword.clone()),
        category_kw: b.add_text_field("category_kw", keyword),
        city_facet: b.add_facet_field("city_facet", FacetOptions::default()),
        category_facet: b.add_facet_field("category_facet", FacetOptions::default()),
        status: b.add_text_field("status", STRING),
        event_date: b.add_i64_field("event_date", INDEXED | FAST),
        min_price_asc: b.add_i64_field("min_price_asc", INDEXED | FAST),
        min_price_desc: b.add_i64_field("min_price_desc", FAST),
        max_price: b.add_i64_field("max_price", INDEXED | FAST),
        stored: b.add_text_field("stored", STORED),
    };
    (b.build(), fields)
}

/// The analyzer of searchable text: `Beyoncé Live!` -> `beyonce`, `live`.
pub fn folded_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

/// The analyzer of keyword filters: `São Paulo` -> `sao paulo`.
pub fn keyword_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(RawTokenizer::default()).filter(LowerCaser).filter(AsciiFoldingFilter).build()
}

/// Run `text` through an analyzer.
pub fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while let Some(t) = stream.next() {
        out.push(t.text.clone());
    }
    out
}

/// A keyword as filters and the index compare it.
pub fn keyword(text: &str) -> String {
    tokens(&mut keyword_analyzer(), text.trim()).into_iter().next().unwrap_or_default()
}

/// What a hit shows, stored with the document (money as cents: no float on the way).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StoredHit {
    pub event_id: String,
    pub event_name: String,
    pub description: Option<String>,
    pub category: String,
    pub city: String,
    pub venue_name: String,
    pub event_date: String,
    pub status: String,
    pub min_price: Option<i64>,
    pub max_price: Option<i64>,
    pub available_seats: i64,
    pub total_seats: i64,
}

/// A page of matches as the index sees it.
#[derive(Debug, Clone, Default)]
pub struct IndexPage {
    pub hits: Vec<StoredHit>,
    pub total: u64,
    pub city: Vec<(String, u64)>,
    pub category: Vec<(String, u64)>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Marker {
    schema_version: u32,
    index_id: String,
}

/// Why the index was (re)built at open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Opened {
    /// An existing index of this schema version.
    Existing,
    /// Created from nothing; the reason (missing, other schema version, unreadable).
    Created(String),
}

/// The index of one search process.
pub struct SearchIndex {
    dir: PathBuf,
    index: Index,
    reader: IndexReader,
    fields: Fields,
    index_id: String,
    /// Bumped at every reload after a commit: cached results carry it in their key.
    generation: AtomicU64,
}

fn read_marker(dir: &Path) -> Option<Marker> {
    let text = std::fs::read_to_string(dir.join(MARKER)).ok()?;
    serde_json::from_str(&text).ok()
}

fn write_marker(dir: &Path, index_id: &str) -> std::io::Result<()> {
    let m = Marker { schema_version: SCHEMA_VERSION, index_id: index_id.to_string() };
    let tmp = dir.join(format!("{MARKER}.tmp"));
    std::fs::write(&tmp, serde_json::to_vec(&m).unwrap_or_default())?;
    std::fs::rename(tmp, dir.join(MARKER))
}

fn register_analyzers(index: &Index) {
    index.tokenizers().register(FOLDED, folded_analyzer());
    index.tokenizers().register(KEYWORD, keyword_analyzer());
}

fn is_lock_busy(e: &tantivy::TantivyError) -> bool {
    matches!(e, tantivy::TantivyError::LockFailure(..))
}

impl SearchIndex {
    /// Open the index in `dir`, creating it from nothing when it is missing, unreadable or of
    /// another schema version (the caller then replays the events outbox from the start: a new
    /// index has a new id, and the indexer's cursor is kept per index id).
    pub fn open(dir: &Path) -> Result<(SearchIndex, Opened), IndexError> {
        let (schema, fields) = schema();
        let reason = match read_marker(dir) {
            None if dir.join("meta.json").exists() => Some("no schema version marker".to_string()),
            None => Some("no index yet".to_string()),
            Some(m) if m.schema_version != SCHEMA_VERSION => {
                Some(format!("schema version {} differs from {SCHEMA_VERSION}", m.schema_version))
            }
            Some(m) => match Index::open_in_dir(dir) {
                Ok(index) if index.schema() == schema => {
                    return Ok((Self::with(dir, index, fields, m.index_id)?, Opened::Existing));
                }
                Ok(_) => Some("the stored schema differs".to_string()),
                Err(e) => Some(format!("unreadable: {e}")),
            },
        };
        let reason = reason.unwrap_or_default();
        Ok((Self::create(dir, schema, fields)?, Opened::Created(reason)))
    }

    /// Open the index an indexer in another process writes (`--services search` without
    /// `indexer`): never created or changed here. `None` while there is no index of this schema
    /// version in `dir` yet.
    pub fn open_existing(dir: &Path) -> Result<Option<SearchIndex>, IndexError> {
        let (schema, fields) = schema();
        let Some(m) = read_marker(dir).filter(|m| m.schema_version == SCHEMA_VERSION) else { return Ok(None) };
        match Index::open_in_dir(dir) {
            Ok(index) if index.schema() == schema => Ok(Some(Self::with(dir, index, fields, m.index_id)?)),
            _ => Ok(None),
        }
    }

    /// When the last commit was written (its `meta.json`), for a reader that follows another
    /// process's commits.
    pub fn last_commit(&self) -> Option<std::time::SystemTime> {
        std::fs::metadata(self.dir.join("meta.json")).and_then(|m| m.modified()).ok()
    }

    /// Start over with an empty index (`ticketing reindex`). When an index of this schema is
    /// there, its documents are dropped through a writer, which fails with [`IndexError::Busy`]
    /// if another process holds it, rather than pulling files from under that process.
    pub fn recreate(dir: &Path) -> Result<SearchIndex, IndexError> {
        let (idx, opened) = Self::open(dir)?;
        if opened != Opened::Existing {
            return Ok(idx);
        }
        let mut w = idx.writer()?;
        w.inner.delete_all_documents()?;
        w.inner.commit()?;
        drop(w);
        let index_id = common::ids::new_id();
        write_marker(dir, &index_id)?;
        let SearchIndex { dir, index, fields, .. } = idx;
        Self::with(&dir, index, fields, index_id)
    }

    fn create(dir: &Path, schema: Schema, fields: Fields) -> Result<SearchIndex, IndexError> {
        if dir.exists() {
            // Refuse to wipe an index another process is writing to.
            if let Ok(index) = Index::open_in_dir(dir) {
                match index.writer_with_num_threads::<TantivyDocument>(1, WRITER_BUDGET) {
                    Err(e) if is_lock_busy(&e) => return Err(IndexError::Busy(dir.to_path_buf())),
                    _ => {}
                }
            }
            std::fs::remove_dir_all(dir)?;
        }
        std::fs::create_dir_all(dir)?;
        let index = Index::create_in_dir(dir, schema)?;
        let index_id = common::ids::new_id();
        write_marker(dir, &index_id)?;
        Self::with(dir, index, fields, index_id)
    }

    fn with(dir: &Path, index: Index, fields: Fields, index_id: String) -> Result<SearchIndex, IndexError> {
        register_analyzers(&index);
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        Ok(SearchIndex { dir: dir.to_path_buf(), index, reader, fields, index_id, generation: AtomicU64::new(0) })
    }

    /// An identity that changes whenever the index is created anew.
    pub fn index_id(&self) -> &str {
        &self.index_id
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn fields(&self) -> Fields {
        self.fields
    }

    /// The one writer of this index (tantivy's lock: a second one, in this or another process,
    /// gets [`IndexError::Busy`]).
    pub fn writer(&self) -> Result<DocWriter, IndexError> {
        let inner = self.index.writer_with_num_threads(1, WRITER_BUDGET).map_err(|e| {
            if is_lock_busy(&e) {
                IndexError::Busy(self.dir.clone())
            } else {
                IndexError::Tantivy(e)
            }
        })?;
        Ok(DocWriter { inner, fields: self.fields })
    }

    /// See what the last commit wrote. Returns the new generation.
    pub fn reload(&self) -> Result<u64, IndexError> {
        self.reader.reload()?;
        Ok(self.generation.fetch_add(1, Ordering::SeqCst) + 1)
    }

    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// How many events the index holds (as of the last reload).
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Run a validated request: the page of hits, the total and the facets of the whole query,
    /// in one pass over the matches.
    pub fn search(&self, req: &SearchRequest) -> Result<IndexPage, IndexError> {
        let searcher = self.reader.searcher();
        let query = self.build_query(req);
        let mut city = FacetCollector::for_field("city_facet");
        city.add_facet(Facet::root());
        let mut category = FacetCollector::for_field("category_facet");
        category.add_facet(Facet::root());
        let offset = (req.page * req.size) as u64;
        // A page past every document cannot hold a hit: skip the top-docs heap (whose size is
        // offset + size) rather than let a huge page number allocate.
        let want_hits = offset < searcher.num_docs();
        let top = TopDocs::with_limit(req.size as usize).and_offset(offset as usize);
        let facets = (city, category);
        let (total, (city, category), addrs): (usize, _, Vec<DocAddress>) = if !want_hits {
            let (total, f) = searcher.search(&query, &(Count, facets))?;
            (total, f, Vec::new())
        } else {
            match req.sort {
                Sort::Relevance if req.text.is_some() => {
                    let (t, f, d) = searcher.search(&query, &(Count, facets, top.order_by_score()))?;
                    (t, f, d.into_iter().map(|x| x.1).collect())
                }
                Sort::Relevance | Sort::Date => {
                    let c = top.order_by_fast_field::<i64>("event_date", Order::Asc);
                    let (t, f, d) = searcher.search(&query, &(Count, facets, c))?;
                    (t, f, d.into_iter().map(|x| x.1).collect())
                }
                Sort::PriceAsc => {
                    let c = top.order_by_fast_field::<i64>("min_price_asc", Order::Asc);
                    let (t, f, d) = searcher.search(&query, &(Count, facets, c))?;
                    (t, f, d.into_iter().map(|x| x.1).collect())
                }
                Sort::PriceDesc => {
                    let c = top.order_by_fast_field::<i64>("min_price_desc", Order::Desc);
                    let (t, f, d) = searcher.search(&query, &(Count, facets, c))?;
                    (t, f, d.into_iter().map(|x| x.1).collect())
                }
            }
        };
        let hits = self.load_hits(&searcher, &addrs)?;
        Ok(IndexPage { hits, total: total as u64, city: facet_values(&city), category: facet_values(&category) })
    }

    fn load_hits(&self, searcher: &Searcher, addrs: &[DocAddress]) -> Result<Vec<StoredHit>, IndexError> {
        let mut hits = Vec::with_capacity(addrs.len());
        for a in addrs {
            let doc: TantivyDocument = searcher.doc(*a)?;
            let Some(text) = doc.get_first(self.fields.stored).and_then(|v| v.as_str().map(str::to_string)) else { continue };
            match serde_json::from_str::<StoredHit>(&text) {
                Ok(h) => hits.push(h),
                Err(e) => tracing::warn!(error = %e, "unreadable stored search hit"),
            }
        }
        Ok(hits)
    }

    fn build_query(&self, req: &SearchRequest) -> Box<dyn Query> {
        let f = &self.fields;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        match &req.text {
            Some(text) => match self.text_query(text) {
                Some(q) => clauses.push((Occur::Must, q)),
                // Text with no searchable word in it matches nothing.
                None => return Box::new(EmptyQuery),
            },
            None => clauses.push((Occur::Must, Box::new(AllQuery))),
        }
        for filter in self.filter_queries(&req.filters, f) {
            // Filters narrow the matches without touching their relevance.
            clauses.push((Occur::Must, Box::new(ConstScoreQuery::new(filter, 0.0))));
        }
        Box::new(BooleanQuery::new(clauses))
    }

    fn filter_queries(&self, fs: &FilterSet, f: &Fields) -> Vec<Box<dyn Query>> {
        let mut out: Vec<Box<dyn Query>> = Vec::new();
        let term = |field: Field, v: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(Term::from_field_text(field, v), IndexRecordOption::Basic))
        };
        if let Some(c) = &fs.city {
            out.push(term(f.city_kw, c));
        }
        if let Some(c) = &fs.category {
            out.push(term(f.category_kw, c));
        }
        if let Some(s) = &fs.status {
            out.push(term(f.status, s));
        }
        let range = |field: Field, lo: Option<i64>, hi: Option<i64>| -> Box<dyn Query> {
            let b = |v: Option<i64>| v.map_or(Bound::Unbounded, |v| Bound::Included(Term::from_field_i64(field, v)));
            Box::new(RangeQuery::new(b(lo), b(hi)))
        };
        if fs.date_from.is_some() || fs.date_to.is_some() {
            out.push(range(f.event_date, fs.date_from, fs.date_to));
        }
        // Price ranges overlap: some ticket of the event costs between priceMin and priceMax.
        if let Some(min) = fs.price_min {
            out.push(range(f.max_price, Some(min), None));
        }
        if let Some(max) = fs.price_max {
            out.push(range(f.min_price_asc, None, Some(max)));
        }
        out
    }

    /// Every word must match (in any of the five fields, or within one typo for words of 5+
    /// letters); stop words only add to the score; `-word` excludes; `"..."` is a phrase.
    fn text_query(&self, text: &TextQuery) -> Option<Box<dyn Query>> {
        let f = &self.fields;
        let weighted = [(f.name, 3.0f32), (f.tags, 2.0), (f.venue, 1.5), (f.city, 1.5), (f.description, 1.0)];
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let mut positive = false;
        for c in &text.clauses {
            let (occur, q): (Occur, Box<dyn Query>) = match c {
                TextClause::Word { token, negated, optional } => {
                    let mut any: Vec<(Occur, Box<dyn Query>)> = weighted
                        .iter()
                        .map(|(field, boost)| {
                            let t = TermQuery::new(Term::from_field_text(*field, token), IndexRecordOption::WithFreqs);
                            (Occur::Should, Box::new(BoostQuery::new(Box::new(t), *boost)) as Box<dyn Query>)
                        })
                        .collect();
                    if !negated && token.chars().count() >= crate::query::FUZZY_MIN_CHARS {
                        let fz = FuzzyTermQuery::new(Term::from_field_text(f.all_text, token), 1, true);
                        any.push((Occur::Should, Box::new(BoostQuery::new(Box::new(fz), 0.5))));
                    }
                    let occur = if *negated {
                        Occur::MustNot
                    } else if *optional {
                        Occur::Should
                    } else {
                        Occur::Must
                    };
                    (occur, Box::new(BooleanQuery::new(any)))
                }
                TextClause::Phrase { tokens, negated } => {
                    let any: Vec<(Occur, Box<dyn Query>)> = weighted
                        .iter()
                        .map(|(field, boost)| {
                            let terms = tokens.iter().map(|t| Term::from_field_text(*field, t)).collect();
                            (Occur::Should, Box::new(BoostQuery::new(Box::new(PhraseQuery::new(terms)), *boost)) as Box<dyn Query>)
                        })
                        .collect();
                    (if *negated { Occur::MustNot } else { Occur::Must }, Box::new(BooleanQuery::new(any)))
                }
            };
            positive |= occur != Occur::MustNot;
            clauses.push((occur, q));
        }
        if clauses.is_empty() {
            return None;
        }
        if !positive {
            // Only exclusions: everything but them.
            clauses.push((Occur::Must, Box::new(AllQuery)));
        }
        Some(Box::new(BooleanQuery::new(clauses)))
    }
}

/// `(value, count)` by count, then value; at most [`FACET_LIMIT`].
fn facet_values(counts: &tantivy::collector::FacetCounts) -> Vec<(String, u64)> {
    let mut v: Vec<(String, u64)> = counts
        .get(Facet::root())
        .filter(|(_, n)| *n > 0)
        .map(|(facet, n)| (facet.to_path().last().map(|s| s.to_string()).unwrap_or_default(), n))
        .collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v.truncate(FACET_LIMIT);
    v
}

/// The writer side: upserts by `event_id`, deletes, commits. Nothing is visible before
/// [`DocWriter::commit`] and the index's reload.
pub struct DocWriter {
    inner: IndexWriter,
    fields: Fields,
}

impl DocWriter {
    /// Replace the document of this event (idempotent: the same event twice leaves one document).
    pub fn upsert(&mut self, e: &EventDoc) -> Result<(), IndexError> {
        let f = &self.fields;
        self.inner.delete_term(Term::from_field_text(f.event_id, &e.event_id));
        let mut doc = TantivyDocument::default();
        doc.add_text(f.event_id, &e.event_id);
        doc.add_text(f.name, &e.event_name);
        let description = e.description.clone().unwrap_or_default();
        doc.add_text(f.description, &description);
        doc.add_text(f.venue, &e.venue_name);
        doc.add_text(f.city, &e.city);
        for t in &e.tags {
            doc.add_text(f.tags, t);
        }
        for t in [&e.event_name, &description, &e.venue_name, &e.city].into_iter().chain(e.tags.iter()) {
            doc.add_text(f.all_text, t);
        }
        doc.add_text(f.city_kw, &e.city);
        doc.add_text(f.category_kw, &e.category);
        doc.add_facet(f.city_facet, Facet::from_path([e.city.as_str()]));
        doc.add_facet(f.category_facet, Facet::from_path([e.category.as_str()]));
        doc.add_text(f.status, &e.status);
        let date = common::time::parse_rfc3339(&e.event_date).unwrap_or(0);
        doc.add_i64(f.event_date, date);
        let min = e.min_price.map(|m| m.cents());
        let max = e.max_price.map(|m| m.cents());
        // Sentinels: no price sorts last in both directions and fails every price filter.
        doc.add_i64(f.min_price_asc, min.unwrap_or(i64::MAX));
        doc.add_i64(f.min_price_desc, min.unwrap_or(-1));
        doc.add_i64(f.max_price, max.unwrap_or(-1));
        let hit = StoredHit {
            event_id: e.event_id.clone(),
            event_name: e.event_name.clone(),
            description: e.description.clone(),
            category: e.category.clone(),
            city: e.city.clone(),
            venue_name: e.venue_name.clone(),
            event_date: e.event_date.clone(),
            status: e.status.clone(),
            min_price: min,
            max_price: max,
            available_seats: e.available_seats,
            total_seats: e.total_seats,
        };
        doc.add_text(f.stored, serde_json::to_string(&hit).unwrap_or_default());
        self.inner.add_document(doc)?;
        Ok(())
    }

    pub fn delete(&mut self, event_id: &str) {
        self.inner.delete_term(Term::from_field_text(self.fields.event_id, event_id));
    }

    /// Make every change so far durable (the caller then reloads the reader).
    pub fn commit(&mut self) -> Result<(), IndexError> {
        if let Err(e) = self.inner.commit() {
            // Drop what was pending: the caller retries the batch from its cursor.
            let _ = self.inner.rollback();
            return Err(e.into());
        }
        Ok(())
    }
}
