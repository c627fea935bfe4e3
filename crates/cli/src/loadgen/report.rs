//! What a run prints: the per-endpoint table beside `/health`, the audits' verdicts, the JSON
//! report, the baseline and the latency plot.

use super::*;
use hdrhistogram::Histogram;
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// One line of the report: an endpoint's rate, latencies and outcomes.
#[derive(serde::Serialize)]
pub(crate) struct Row {
    pub(crate) endpoint: String,
    pub(crate) count: u64,
    pub(crate) per_sec: f64,
    pub(crate) p50_ms: f64,
    pub(crate) p95_ms: f64,
    pub(crate) p99_ms: f64,
    pub(crate) max_ms: f64,
    /// `per_sec` over the `/health` rate of the same run (hotspot, field, contended, purchase).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) ratio_to_health: Option<f64>,
    pub(crate) outcomes: BTreeMap<String, u64>,
    /// For `--plot`: (nines, ms) where nines = -log10(1 - quantile), so 1 is the 90th percentile,
    /// 2 the 99th, up to the resolution of the sample (or 5 nines).
    #[serde(skip)]
    pub(crate) curve: Vec<(f64, f64)>,
}

impl Row {
    pub(crate) fn new(endpoint: &str, h: &Histogram<u64>, outcomes: BTreeMap<String, u64>, secs: f64) -> Row {
        let ms = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
        Row {
            endpoint: endpoint.into(),
            count: h.len(),
            per_sec: h.len() as f64 / secs.max(1e-9),
            p50_ms: ms(0.5),
            p95_ms: ms(0.95),
            p99_ms: ms(0.99),
            max_ms: h.max() as f64 / 1000.0,
            ratio_to_health: None,
            outcomes,
            curve: {
                let top = (h.len().max(1) as f64).log10().min(5.0);
                (0..=(top * 20.0) as usize).map(|k| k as f64 / 20.0).map(|x| (x, ms(1.0 - 10f64.powf(-x)))).collect()
            },
        }
    }
}

/// The per-endpoint table; a `/health` column when the rows have ratios.
pub(crate) fn print_table(rows: &[Row]) {
    let ratios = rows.iter().any(|r| r.ratio_to_health.is_some());
    let ratio_head = if ratios { format!(" {:>8}", "x health") } else { String::new() };
    println!(
        "\n{:<13} {:>9} {:>10}{ratio_head} {:>8} {:>8} {:>8} {:>8}  outcomes",
        "endpoint", "count", "per sec", "p50 ms", "p95 ms", "p99 ms", "max ms"
    );
    for r in rows {
        let ratio_col = match r.ratio_to_health {
            Some(x) => format!(" {x:>8.3}"),
            None if ratios => format!(" {:>8}", "-"),
            None => String::new(),
        };
        let outcomes: Vec<String> = r.outcomes.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        println!(
            "{:<13} {:>9} {:>10.1}{ratio_col} {:>8.2} {:>8.2} {:>8.2} {:>8.2}  {}",
            r.endpoint,
            r.count,
            r.per_sec,
            r.p50_ms,
            r.p95_ms,
            r.p99_ms,
            r.max_ms,
            outcomes.join(", ")
        );
    }
}

/// `GET /health` for `--health-secs` at `--concurrency` in flight (closed model, whatever the
/// scenario's): the bare round trip through the gateway, the yardstick of the run's rates.
/// Says what it does and what it found.
pub(crate) async fn measure_health(args: &LoadgenArgs, http: &reqwest::Client) -> Row {
    eprintln!("/health for {} s, {} in flight...", args.health_secs, args.concurrency.max(1));
    let url = format!("{}/health", args.url);
    let until = Instant::now() + Duration::from_secs(args.health_secs);
    let mut row =
        blast(Model::Closed(args.concurrency.max(1)), usize::MAX, Some(until), |_| status_of(http.get(&url))).await.row("/health");
    row.ratio_to_health = ratio(row.per_sec, row.per_sec);
    println!("/health: {:.1} requests/s (p50 {:.2} ms, p99 {:.2} ms)", row.per_sec, row.p50_ms, row.p99_ms);
    row
}

/// `rate` over the `/health` rate, when there is one.
pub(crate) fn ratio(rate: f64, health_rate: f64) -> Option<f64> {
    (health_rate > 0.0).then(|| rate / health_rate)
}

pub(crate) fn fmt_ratio(r: Option<f64>) -> String {
    r.map_or("n/a".into(), |x| format!("{x:.3}"))
}

/// At most five of these ids, sorted, for an audit's message.
pub(crate) fn examples(mut ids: Vec<&str>) -> String {
    ids.sort_unstable();
    ids.truncate(5);
    ids.join(", ")
}

/// Prints the problems of an audit, or that it passed; true when it passed.
pub(crate) fn report_problems(problems: &[String]) -> bool {
    for p in problems {
        println!("AUDIT FAILED: {p}");
    }
    if problems.is_empty() {
        println!("audit passed");
    }
    problems.is_empty()
}

pub(crate) fn write_json(path: Option<&std::path::Path>, report: Value) -> anyhow::Result<()> {
    if let Some(p) = path {
        std::fs::write(p, serde_json::to_string_pretty(&report)?)?;
    }
    Ok(())
}

/// `--baseline`: the reservation's SQL alone on `backend` at `concurrency`, printed beside the
/// platform's `rate` over HTTP.
pub(crate) async fn print_baseline(
    backend: &str,
    concurrency: usize,
    seats: i64,
    rate: f64,
    what: &str,
) -> anyhow::Result<crate::bench::Figure> {
    eprintln!("baseline: the reservation's SQL alone, {concurrency} in flight...");
    let fig = crate::bench::raw_ceiling(backend, concurrency, seats.clamp(1000, 20_000)).await?;
    println!("\nbaseline: the reservation's SQL alone, {concurrency} in flight: {:.0}/s (p50 {:.2} ms); the platform {what} {rate:.0}/s over HTTP: \
        {:.2} x the ceiling", fig.per_sec, fig.p50_ms, rate / fig.per_sec.max(1e-9));
    Ok(fig)
}

/// With `--plot FILE.png`: each endpoint's latency by percentile, the percentiles spaced by their
/// nines (50%, 90%, 99%, 99.9%...) and the latency on a log scale, so the tail is as visible as
/// the median. Text is drawn with a font embedded in the binary (Hack, from epaint_default_fonts).
pub(crate) fn plot(path: Option<&std::path::Path>, rows: &[Row]) -> anyhow::Result<()> {
    use plotters::prelude::*;
    let Some(path) = path else { return Ok(()) };
    static FONT: std::sync::Once = std::sync::Once::new();
    FONT.call_once(|| {
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, epaint_default_fonts::HACK_REGULAR);
    });
    let rows: Vec<&Row> = rows.iter().filter(|r| r.curve.len() > 1).collect();
    let points = || rows.iter().flat_map(|r| r.curve.iter());
    let x_max = points().map(|p| p.0).fold(1.0, f64::max);
    let y_min = points().map(|p| p.1).fold(f64::MAX, f64::min).max(0.01) / 1.5;
    let y_max = points().map(|p| p.1).fold(y_min * 10.0, f64::max) * 1.5;
    let root = BitMapBackend::new(path, (1000, 600)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption("latency by percentile", ("sans-serif", 22))
        .margin(15)
        .margin_right(45)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(0f64..x_max, (y_min..y_max).log_scale())?;
    let percentile = |nines: &f64| {
        let p = 100.0 * (1.0 - 10f64.powf(-nines));
        if nines.fract() == 0.0 {
            format!("{}%", (p * 1000.0).round() / 1000.0)
        } else {
            String::new()
        }
    };
    chart.configure_mesh().x_desc("percentile").y_desc("ms").x_labels(2 * x_max as usize + 1).x_label_formatter(&percentile).draw()?;
    for (i, r) in rows.iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        chart
            .draw_series(LineSeries::new(r.curve.iter().map(|&(x, y)| (x, y.max(y_min))), color.stroke_width(2)))?
            .label(format!("{}  p50 {:.2} ms  p99 {:.2} ms", r.endpoint, r.p50_ms, r.p99_ms))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperLeft)
        .draw()?;
    root.present()?;
    println!("latency plot: {}", path.display());
    Ok(())
}
