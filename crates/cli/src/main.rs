//! `ticketing`: the one binary of the platform.
//!
//! `ticketing serve` runs every service in one process on the embedded backends (SQLite, an
//! in-process lock table); `--services` picks a subset, and `TICKETING_MYSQL_URL` /
//! `TICKETING_REDIS_URL` move the state to MySQL and Redis so that any number of processes can run
//! side by side. Every setting is a flag and a `TICKETING_*` variable: see `ticketing serve --help`.

mod bench;
mod loadgen;

use clap::{CommandFactory, Parser, Subcommand};
use common::config::Config;
use std::io::Write;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "ticketing",
    version,
    about = "Reserved-seat ticketing: sells every seat once, however many fans arrive.",
    long_about = "Reserved-seat ticketing: sells every seat once, however many fans arrive.\n\n\
    Quick start: `ticketing serve`, then open http://127.0.0.1:8000/.\n\
    Every flag can also be set by the TICKETING_* variable shown in `ticketing serve --help`."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the platform: all services (default) or `--services a,b`.
    Serve {
        #[command(flatten)]
        config: Config,
        /// Load the demo events first (as `ticketing demo` does).
        #[arg(long)]
        demo: bool,
    },
    /// Create or upgrade every database, then exit.
    Migrate {
        #[command(flatten)]
        config: Config,
    },
    /// Load demo events on sale, with realistic seat maps, into the configured storage.
    Demo {
        #[command(flatten)]
        config: Config,
    },
    /// Rebuild the search index from the events database, then exit (stop `serve` first: the
    /// index has one writer).
    Reindex {
        #[command(flatten)]
        config: Config,
    },
    /// Check the platform's invariants across services on the configured storage (no seat sold
    /// twice, the seat map agrees with the bookings, no charge without seats...); exit 1 with a
    /// report of each violation.
    Audit {
        #[command(flatten)]
        config: Config,
        /// Print the whole report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print the public API's OpenAPI document (what `/api/openapi.json` serves), e.g. for the web
    /// app's generated types (`web/scripts/gen-api.sh`).
    Openapi {
        #[command(flatten)]
        config: Config,
    },
    /// Measure the reservation path of the store alone beside a raw-SQL baseline.
    Bench(bench::BenchArgs),
    /// A flash sale against a running platform (this machine), with a report and an audit.
    Loadgen(loadgen::LoadgenArgs),
}

/// Ctrl-C, or SIGTERM from a container runtime or an orchestrator.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => return std::future::pending().await,
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

fn fail(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::from(2)
}

/// A bad setting is one line naming the variable and the flag, never a usage dump or a panic.
fn parse_args() -> Result<Cli, ExitCode> {
    match Cli::try_parse() {
        Ok(c) => Ok(c),
        Err(e) if matches!(e.kind(), clap::error::ErrorKind::ValueValidation | clap::error::ErrorKind::InvalidValue) => {
            use clap::error::{ContextKind, ContextValue};
            let arg = match e.get(ContextKind::InvalidArg) {
                Some(ContextValue::String(s)) => s.clone(),
                _ => String::new(),
            };
            let long = arg.split_whitespace().next().unwrap_or("").trim_start_matches('-').to_string();
            let env = Cli::command()
                .get_subcommands()
                .flat_map(|c| c.get_arguments().cloned().collect::<Vec<_>>())
                .find(|a| a.get_long() == Some(long.as_str()))
                .and_then(|a| a.get_env().map(|v| v.to_string_lossy().into_owned()));
            let value = match e.get(ContextKind::InvalidValue) {
                Some(ContextValue::String(s)) => s.clone(),
                _ => String::new(),
            };
            // Never echo a secret back, even a malformed one.
            let secret = env
                .as_deref()
                .is_some_and(|v| v.contains("SECRET") || v.contains("PASSWORD") || v.ends_with("MYSQL_URL") || v.ends_with("REDIS_URL"));
            let value = if secret { "***".to_string() } else { value };
            let why = e.to_string();
            let why = why.lines().next().unwrap_or("").rsplit(": ").next().unwrap_or("").to_string();
            match env {
                Some(env) => eprintln!("error: invalid setting {env} (--{long}) = '{value}': {why}"),
                None => eprintln!("error: invalid value '{value}' for --{long}: {why}"),
            }
            Err(ExitCode::from(2))
        }
        Err(e) => {
            let _ = e.print();
            Err(ExitCode::from(if e.use_stderr() { 2 } else { 0 }))
        }
    }
}

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = match parse_args() {
        Ok(c) => c,
        Err(code) => return code,
    };
    match cli.command {
        Command::Serve { config, demo } => {
            common::telemetry::init_logging(&config.log_format);
            let started = std::time::Instant::now();
            let node = match server::start(config.clone()).await {
                Ok(n) => n,
                Err(e) => return fail(e),
            };
            if demo {
                match server::demo::load(&node.services).await {
                    Ok(ids) if !ids.is_empty() => tracing::info!(events = ids.len(), "demo events loaded"),
                    Ok(_) => tracing::info!("demo skipped: the catalogue already has events"),
                    Err(e) => return fail(e),
                }
            }
            let names: Vec<&str> = config.services.iter().map(|s| s.name()).collect();
            tracing::info!(services = %names.join(","), elapsed_ms = started.elapsed().as_millis() as u64, "ticketing is up");
            println!("ticketing is serving {} on {}  (open {}/)", names.join(", "), node.url(), node.url());
            shutdown_signal().await;
            tracing::info!("shutting down");
            node.stop().await;
            ExitCode::SUCCESS
        }
        Command::Migrate { config } => {
            common::telemetry::init_logging(&config.log_format);
            if let Err(e) = config.validate() {
                return fail(e);
            }
            match server::migrate(&config).await {
                Ok(()) => {
                    println!("databases are up to date");
                    ExitCode::SUCCESS
                }
                Err(e) => fail(e),
            }
        }
        Command::Demo { mut config } => {
            common::telemetry::init_logging(&config.log_format);
            // Not search nor its indexer: the index has one writer, which a running `serve` may hold.
            use common::config::Service;
            config.services = Service::ALL.into_iter().filter(|s| !matches!(s, Service::Search | Service::Indexer)).collect();
            config.port = 0;
            let (_, _, services) = match server::build(&config).await {
                Ok(b) => b,
                Err(e) => return fail(e),
            };
            match server::demo::load(&services).await {
                Ok(ids) if ids.is_empty() => println!("the catalogue already has events; nothing loaded"),
                Ok(ids) => println!("loaded {} demo events on sale: {}", ids.len(), ids.join(", ")),
                Err(e) => return fail(e),
            }
            ExitCode::SUCCESS
        }
        Command::Reindex { config } => {
            common::telemetry::init_logging(&config.log_format);
            if let Err(e) = config.validate() {
                return fail(e);
            }
            let started = std::time::Instant::now();
            match server::reindex(&config).await {
                Ok(n) => {
                    println!("search index rebuilt: {n} events in {} ms", started.elapsed().as_millis());
                    ExitCode::SUCCESS
                }
                Err(e) => fail(e),
            }
        }
        Command::Openapi { config } => {
            let doc: serde_json::Value = serde_json::from_str(&server::openapi::document_json(&config)).unwrap_or_default();
            // A closed pipe (`| head`) ends the output quietly.
            let _ = writeln!(std::io::stdout(), "{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
            ExitCode::SUCCESS
        }
        Command::Audit { config, json } => {
            if let Err(e) = config.validate() {
                return fail(e);
            }
            let report = match server::audit(&config).await {
                Ok(r) => r,
                Err(e) => return fail(e),
            };
            if json {
                println!("{}", serde_json::to_string_pretty(&report).unwrap_or_default());
            } else {
                for v in &report.violations {
                    println!("VIOLATION {}: {}", v.check, v.detail);
                }
                let failing: Vec<String> = report.counts.iter().filter(|(_, n)| **n > 0).map(|(c, n)| format!("{c} {n}")).collect();
                println!(
                    "audit of {} seats, {} bookings, {} payments: {}",
                    report.seats,
                    report.bookings,
                    report.payments,
                    if report.ok { "every invariant holds".to_string() } else { format!("violations: {}", failing.join(", ")) }
                );
            }
            if report.ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Command::Bench(args) => match bench::run(args).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(e),
        },
        Command::Loadgen(args) => match loadgen::run(args).await {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::from(1),
            Err(e) => fail(e),
        },
    }
}
