//! From the query string to a validated [`SearchRequest`]: every parameter is parsed here, and a
//! bad one is `400 VALIDATION_ERROR` naming it, so the index only ever sees well-formed requests.
//!
//! The text syntax is deliberately small, since it is typed by fans, not by engineers: words
//! (each must match, within one typo when it has 5+ letters), `"a phrase"`, `-word` or
//! `-"a phrase"` to exclude. Punctuation is a separator (`Beyoncé: Renaissance` is two words), so
//! ordinary text never fails to parse; an unclosed quote does (`400`, field `q`).

use crate::index::{folded_analyzer, keyword, tokens};
use common::extract::Paging;
use common::money::Money;
use common::ApiError;
use serde::Deserialize;

/// Words of at least this many letters match within one typo (edit distance 1, a transposition
/// counting as one edit).
pub const FUZZY_MIN_CHARS: usize = 5;
/// Longest `q` accepted.
pub const MAX_QUERY_CHARS: usize = 200;
/// Most words (and phrases) in `q`.
pub const MAX_CLAUSES: usize = 16;
/// Words that do not have to match (they only add to the score), unless the query is made of
/// nothing else.
const STOP_WORDS: &[&str] = &["a", "an", "and", "at", "by", "for", "in", "of", "on", "or", "the", "to", "with"];

/// The raw query string. Everything is text here so that a wrong type is our error naming the
/// field, not the extractor's.
#[derive(Debug, Default, Clone, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    pub q: Option<String>,
    pub city: Option<String>,
    pub category: Option<String>,
    pub date_from: Option<String>,
    pub date_to: Option<String>,
    pub price_min: Option<String>,
    pub price_max: Option<String>,
    pub status: Option<String>,
    pub sort: Option<String>,
    pub page: Option<String>,
    pub size: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sort {
    /// Best match first; without text, soonest first (every hit is equally relevant then).
    Relevance,
    /// Soonest first.
    Date,
    /// Cheapest ticket (`minPrice`) first; events without prices last.
    PriceAsc,
    /// Most expensive `minPrice` first; events without prices last.
    PriceDesc,
}

impl Sort {
    fn parse(s: &str) -> Option<Sort> {
        Some(match s.to_ascii_lowercase().as_str() {
            "relevance" => Sort::Relevance,
            "date" => Sort::Date,
            "price_asc" => Sort::PriceAsc,
            "price_desc" => Sort::PriceDesc,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TextClause {
    /// One analyzed word. `optional`: a stop word, which only adds to the score.
    Word { token: String, negated: bool, optional: bool },
    /// Analyzed words that must follow each other.
    Phrase { tokens: Vec<String>, negated: bool },
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TextQuery {
    pub clauses: Vec<TextClause>,
}

/// Filters, normalized as the index stores them (keywords folded, times in ms, money in cents).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct FilterSet {
    pub city: Option<String>,
    pub category: Option<String>,
    pub status: Option<String>,
    pub date_from: Option<i64>,
    pub date_to: Option<i64>,
    pub price_min: Option<i64>,
    pub price_max: Option<i64>,
}

/// A validated search. `Hash + Eq`: it is the key of the result cache (with the index generation).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SearchRequest {
    /// `None`: no text, every event matches.
    pub text: Option<TextQuery>,
    pub filters: FilterSet,
    pub sort: Sort,
    pub page: i64,
    pub size: i64,
}

const STATUSES: [&str; 5] = ["UPCOMING", "ON_SALE", "SOLD_OUT", "CANCELLED", "COMPLETED"];

fn nonempty(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn int_param(field: &str, v: &Option<String>) -> Result<Option<i64>, ApiError> {
    match nonempty(v) {
        None => Ok(None),
        Some(s) => s.parse::<i64>().map(Some).map_err(|_| ApiError::validation(field, format!("'{s}' is not a whole number"))),
    }
}

fn money_param(field: &str, v: &Option<String>) -> Result<Option<i64>, ApiError> {
    match nonempty(v) {
        None => Ok(None),
        Some(s) => {
            let m = Money::parse(s).map_err(|e| ApiError::validation(field, format!("must be an amount such as 25 or 25.50 ({e})")))?;
            if m.cents() < 0 {
                return Err(ApiError::validation(field, "must not be negative"));
            }
            Ok(Some(m.cents()))
        }
    }
}

fn time_param(field: &str, v: &Option<String>, end_of_day: bool) -> Result<Option<i64>, ApiError> {
    match nonempty(v) {
        None => Ok(None),
        Some(s) => {
            let t = common::time::parse_rfc3339(s)
                .ok_or_else(|| ApiError::validation(field, "must be a date (2026-12-05) or an RFC 3339 timestamp"))?;
            // A plain date as an upper bound means the whole of that day.
            Ok(Some(if end_of_day && s.len() == 10 { t + 86_400_000 - 1 } else { t }))
        }
    }
}

/// Parse the text syntax (see the module doc). `Ok(None)`: no text (blank or `*`).
pub fn parse_text(q: &str) -> Result<Option<TextQuery>, ApiError> {
    let q = q.trim();
    if q.is_empty() || q == "*" {
        return Ok(None);
    }
    if q.chars().count() > MAX_QUERY_CHARS {
        return Err(ApiError::validation("q", format!("must be at most {MAX_QUERY_CHARS} characters")));
    }
    if q.chars().filter(|c| *c == '"').count() % 2 == 1 {
        return Err(ApiError::validation("q", "has an unclosed quote"));
    }
    let mut analyzer = folded_analyzer();
    let mut clauses = Vec::new();
    let mut rest = q;
    while !rest.is_empty() {
        rest = rest.trim_start();
        if rest.is_empty() {
            break;
        }
        let negated = rest.starts_with('-') && rest.len() > 1 && !rest[1..].starts_with(char::is_whitespace);
        let body = if negated || rest.starts_with('+') { &rest[1..] } else { rest };
        let (segment, quoted, next) = if let Some(inner) = body.strip_prefix('"') {
            let end = inner.find('"').unwrap_or(inner.len());
            (&inner[..end], true, &inner[(end + 1).min(inner.len())..])
        } else {
            let end = body.find(|c: char| c.is_whitespace() || c == '"').unwrap_or(body.len());
            (&body[..end], false, &body[end..])
        };
        rest = next;
        let toks = tokens(&mut analyzer, segment);
        match toks.len() {
            0 => {}
            1 if !quoted => {
                let token = toks.into_iter().next().unwrap_or_default();
                let optional = !negated && STOP_WORDS.contains(&token.as_str());
                clauses.push(TextClause::Word { token, negated, optional });
            }
            1 => clauses.push(TextClause::Word { token: toks.into_iter().next().unwrap_or_default(), negated, optional: false }),
            // `AC/DC`, `rock-n-roll`: one word written with punctuation reads as a phrase.
            _ => clauses.push(TextClause::Phrase { tokens: toks, negated }),
        }
        if clauses.len() > MAX_CLAUSES {
            return Err(ApiError::validation("q", format!("at most {MAX_CLAUSES} words")));
        }
    }
    // Only stop words: they are what the fan is looking for, so they must match.
    if clauses.iter().all(|c| matches!(c, TextClause::Word { optional: true, .. } | TextClause::Word { negated: true, .. })) {
        for c in clauses.iter_mut() {
            if let TextClause::Word { optional, .. } = c {
                *optional = false;
            }
        }
    }
    // Punctuation alone (`!!!`) leaves no word: that text matches nothing.
    Ok(Some(TextQuery { clauses }))
}

impl SearchRequest {
    pub fn parse(p: &SearchParams) -> Result<SearchRequest, ApiError> {
        let paging = Paging::parse(int_param("page", &p.page)?, int_param("size", &p.size)?)?;
        let text = match &p.q {
            Some(q) => parse_text(q)?,
            None => None,
        };
        let status = match nonempty(&p.status) {
            Some(s) => {
                let up = s.to_ascii_uppercase();
                if !STATUSES.contains(&up.as_str()) {
                    return Err(ApiError::validation("status", format!("must be one of {}", STATUSES.join(", "))));
                }
                Some(up)
            }
            None => None,
        };
        let sort = match nonempty(&p.sort) {
            Some(s) => {
                Sort::parse(s).ok_or_else(|| ApiError::validation("sort", "must be one of relevance, date, price_asc, price_desc"))?
            }
            None => Sort::Relevance,
        };
        let date_from = time_param("dateFrom", &p.date_from, false)?;
        let date_to = time_param("dateTo", &p.date_to, true)?;
        if let (Some(a), Some(b)) = (date_from, date_to) {
            if a > b {
                return Err(ApiError::validation("dateFrom", "must not be after dateTo"));
            }
        }
        let price_min = money_param("priceMin", &p.price_min)?;
        let price_max = money_param("priceMax", &p.price_max)?;
        if let (Some(a), Some(b)) = (price_min, price_max) {
            if a > b {
                return Err(ApiError::validation("priceMin", "must not be more than priceMax"));
            }
        }
        let city = nonempty(&p.city).map(keyword);
        let category = nonempty(&p.category).map(keyword);
        for (field, v) in [("city", &city), ("category", &category)] {
            if v.as_ref().is_some_and(|s| s.chars().count() > 200) {
                return Err(ApiError::validation(field, "must be at most 200 characters"));
            }
        }
        Ok(SearchRequest {
            text,
            filters: FilterSet { city, category, status, date_from, date_to, price_min, price_max },
            sort,
            page: paging.page,
            size: paging.size,
        })
    }
}

#[cfg(test)]
impl SearchParams {
    /// Query parameters as a client would send them (tests).
    pub(crate) fn from_pairs(pairs: &[(&str, &str)]) -> SearchParams {
        let mut p = SearchParams::default();
        for (k, v) in pairs {
            let v = Some(v.to_string());
            match *k {
                "q" => p.q = v,
                "city" => p.city = v,
                "category" => p.category = v,
                "dateFrom" => p.date_from = v,
                "dateTo" => p.date_to = v,
                "priceMin" => p.price_min = v,
                "priceMax" => p.price_max = v,
                "status" => p.status = v,
                "sort" => p.sort = v,
                "page" => p.page = v,
                "size" => p.size = v,
                _ => panic!("unknown {k}"),
            }
        }
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> SearchParams {
        SearchParams::from_pairs(pairs)
    }

    fn field_of(r: Result<SearchRequest, ApiError>) -> String {
        let e = r.expect_err("should be refused");
        assert_eq!(e.code, common::ErrorCode::ValidationError);
        e.details["field"].as_str().unwrap().to_string()
    }

    #[test]
    fn words_phrases_and_exclusions() {
        let t = parse_text(r#"Beyoncé "world tour" -cancelled the AC/DC"#).unwrap().unwrap();
        assert_eq!(
            t.clauses,
            vec![
                TextClause::Word { token: "beyonce".into(), negated: false, optional: false },
                TextClause::Phrase { tokens: vec!["world".into(), "tour".into()], negated: false },
                TextClause::Word { token: "cancelled".into(), negated: true, optional: false },
                TextClause::Word { token: "the".into(), negated: false, optional: true },
                TextClause::Phrase { tokens: vec!["ac".into(), "dc".into()], negated: false },
            ]
        );
        // Ordinary punctuation never fails.
        assert!(parse_text("Beyoncé: Renaissance (live) & more!").unwrap().is_some());
        assert_eq!(parse_text("  ").unwrap(), None);
        assert_eq!(parse_text("*").unwrap(), None);
        assert_eq!(parse_text("!!!").unwrap(), Some(TextQuery { clauses: vec![] }));
        // Only stop words: they must match.
        let t = parse_text("the").unwrap().unwrap();
        assert_eq!(t.clauses, vec![TextClause::Word { token: "the".into(), negated: false, optional: false }]);
    }

    #[test]
    fn bad_input_names_the_field() {
        assert_eq!(field_of(SearchRequest::parse(&params(&[("q", "\"unclosed")]))), "q");
        assert_eq!(field_of(SearchRequest::parse(&params(&[("q", &"x ".repeat(150))]))), "q");
        assert_eq!(field_of(SearchRequest::parse(&params(&[("q", &"word ".repeat(20))]))), "q");
        assert_eq!(field_of(SearchRequest::parse(&params(&[("size", "101")]))), "size");
        assert_eq!(field_of(SearchRequest::parse(&params(&[("size", "0")]))), "size");
        assert_eq!(field_of(SearchRequest::parse(&params(&[("size", "ten")]))), "size");
        assert_eq!(field_of(SearchRequest::parse(&params(&[("page", "-1")]))), "page");
        assert_eq!(field_of(SearchRequest::parse(&params(&[("page", "1.5")]))), "page");
        assert_eq!(field_of(SearchRequest::parse(&params(&[("sort", "name")]))), "sort");
        assert_eq!(field_of(SearchRequest::parse(&params(&[("status", "OPEN")]))), "status");
        assert_eq!(field_of(SearchRequest::parse(&params(&[("dateFrom", "yesterday")]))), "dateFrom");
        assert_eq!(field_of(SearchRequest::parse(&params(&[("dateTo", "2030-13-01")]))), "dateTo");
        assert_eq!(field_of(SearchRequest::parse(&params(&[("dateFrom", "2030-02-01"), ("dateTo", "2030-01-01")]))), "dateFrom");
        assert_eq!(field_of(SearchRequest::parse(&params(&[("priceMin", "abc")]))), "priceMin");
        assert_eq!(field_of(SearchRequest::parse(&params(&[("priceMax", "-5")]))), "priceMax");
        assert_eq!(field_of(SearchRequest::parse(&params(&[("priceMin", "1.234")]))), "priceMin");
        assert_eq!(field_of(SearchRequest::parse(&params(&[("priceMin", "50"), ("priceMax", "10")]))), "priceMin");
    }

    #[test]
    fn good_input_is_normalized() {
        let r = SearchRequest::parse(&params(&[
            ("city", " São Paulo "),
            ("category", "Concert"),
            ("status", "on_sale"),
            ("sort", "PRICE_ASC"),
            ("dateFrom", "2030-01-01"),
            ("dateTo", "2030-01-01"),
            ("priceMin", "10"),
            ("priceMax", "25.5"),
            ("page", "2"),
            ("size", "100"),
        ]))
        .unwrap();
        assert_eq!(r.filters.city.as_deref(), Some("sao paulo"));
        assert_eq!(r.filters.category.as_deref(), Some("concert"));
        assert_eq!(r.filters.status.as_deref(), Some("ON_SALE"));
        assert_eq!(r.sort, Sort::PriceAsc);
        assert_eq!(r.filters.date_to.unwrap() - r.filters.date_from.unwrap(), 86_400_000 - 1);
        assert_eq!((r.filters.price_min, r.filters.price_max), (Some(1000), Some(2550)));
        assert_eq!((r.page, r.size), (2, 100));
        let d = SearchRequest::parse(&SearchParams::default()).unwrap();
        assert_eq!((d.page, d.size, d.sort, d.text), (0, 20, Sort::Relevance, None));
    }
}
