//! The load generator's arguments (`ticketing loadgen --help`).

#[derive(clap::ValueEnum, Clone, Copy, PartialEq, Eq, Debug)]
pub enum Scenario {
    /// Buyers browse, reserve, pay or abandon (the default).
    Sale,
    /// `--users` fans join a waiting room before the sale opens, then poll their place.
    Queue,
    /// Reservations of 1-2 seats out of the first `--hot-seats`: contested holds decided per second.
    Hotspot,
    /// Reservations of one seat each, no seat asked for twice: holds granted per second.
    Field,
    /// Reservations of 1-4 seats out of all the free ones, some refused: holds and seats held per second.
    Contended,
    /// Holds of 1-4 seats nobody else asks for, each paid at once: bookings and seats sold per second.
    Purchase,
    /// Tickets of a sold-out event scanned at several gates, many more than once: scans per second.
    Checkin,
}

#[derive(clap::Args, Clone)]
pub struct LoadgenArgs {
    #[arg(long, value_enum, default_value = "sale")]
    pub scenario: Scenario,
    /// Queue scenario: fans that join the waiting room.
    #[arg(long, default_value = "100000")]
    pub users: usize,
    /// Queue, hotspot, field, contended: requests in flight at once; purchase: journeys in flight
    /// (closed model; also the requests in flight of `/health`).
    #[arg(long, default_value = "256")]
    pub concurrency: usize,
    /// Queue, hotspot, field, contended, purchase: the platform's JWT secret, to act as many
    /// distinct accounts without registering each (read from `<data dir>/jwt_secret` in embedded
    /// mode). Required by queue.
    #[arg(long, env = "TICKETING_JWT_SECRET")]
    pub jwt_secret: Option<String>,
    /// Queue scenario: the server's process id, to report its memory per waiting fan.
    #[arg(long)]
    pub server_pid: Option<u32>,
    /// The platform's base URL (this machine only).
    #[arg(long, default_value = "http://127.0.0.1:8000")]
    pub url: String,
    /// Hotspot, field, contended, purchase: another process of the same platform (same databases)
    /// to send the scenario's requests (purchase: journeys) to as well, round robin with `--url`
    /// (repeat for more; this machine only). The event, the tokens and the audit go through `--url`.
    #[arg(long)]
    pub also_url: Vec<String>,
    /// Stop after this many seconds (queue: with `--poll-rate`, the length of the poll phase).
    #[arg(long, default_value = "30")]
    pub duration: u64,
    /// Stop after this many requests (all endpoints; purchase: half as many journeys).
    #[arg(long, default_value = "1000000")]
    pub requests: u64,
    /// Buyers (accounts, or minted identities with `--jwt-secret` in hotspot, field, contended and
    /// purchase); in the sale's closed model, also the journeys in flight.
    #[arg(long, default_value = "200")]
    pub buyers: usize,
    /// Open model: start this many journeys (sale, purchase) or requests (hotspot, field,
    /// contended) per second, whatever the answers.
    #[arg(long)]
    pub rate: Option<f64>,
    /// Seats of the event to create (ignored with --event). Field: at least rate x duration;
    /// purchase: about 2.5 x the journeys.
    #[arg(long, default_value = "2000")]
    pub seats: i64,
    /// Use this event (on sale) instead of creating one.
    #[arg(long)]
    pub event: Option<String>,
    /// Share of specific-seat picks that go to the hot spot (the first 5% of seats).
    #[arg(long, default_value = "0.5")]
    pub hot: f64,
    /// Share of journeys that ask for best available instead of specific seats.
    #[arg(long, default_value = "0.3")]
    pub best: f64,
    /// Sale, purchase: share of confirmations paid with a card that is declined. Default 0.2 in
    /// sale, 0 in purchase (whose figure is the bookings made).
    #[arg(long)]
    pub declined: Option<f64>,
    /// Share of holds abandoned (left to expire).
    #[arg(long, default_value = "0.1")]
    pub abandon: f64,
    /// Hotspot: the hot set, the first this many seats of the map.
    #[arg(long, default_value = "100")]
    pub hot_seats: usize,
    /// Checkin: the gates the scans are spread over.
    #[arg(long, default_value = "8")]
    pub gates: usize,
    /// Hotspot, field, contended: share of requests that read the availability instead of reserving.
    #[arg(long, default_value = "0.1")]
    pub availability_share: f64,
    /// Hotspot, field, contended, purchase: seconds of `GET /health` at `--concurrency` before the
    /// scenario, the yardstick every rate is compared with.
    #[arg(long, default_value = "5")]
    pub health_secs: u64,
    /// Hotspot, field, contended, purchase: seed of every request's (purchase: journey's) choices
    /// (request i draws from seed and i alone).
    #[arg(long, default_value = "1")]
    pub seed: u64,
    /// Queue scenario: poll at this many polls/s (open model) for about `--duration` seconds,
    /// instead of as fast as `--concurrency` allows.
    #[arg(long)]
    pub poll_rate: Option<f64>,
    /// Queue scenario: seconds to wait after the opening before polling, to measure the steady
    /// state rather than the opening itself (the shuffle and the write of every new position).
    #[arg(long, default_value = "0")]
    pub settle_secs: u64,
    #[arg(long, env = "TICKETING_ADMIN_EMAIL", default_value = "admin@example.com")]
    pub admin_email: String,
    #[arg(long, env = "TICKETING_ADMIN_PASSWORD", default_value = "admin-password")]
    pub admin_password: String,
    /// Draw each endpoint's latency by percentile into this PNG file.
    #[arg(long)]
    pub plot: Option<std::path::PathBuf>,
    /// Write the report as JSON here.
    #[arg(long)]
    pub json: Option<std::path::PathBuf>,
    /// Sale, field: also measure the backend's raw reservation ceiling at the same concurrency
    /// (after the run); purchase: the purchase's transactions run raw (`bench::raw_purchase_ceiling`).
    /// `sqlite` or a MySQL URL (scratch databases are made there, not the platform's).
    #[arg(long)]
    pub baseline: Option<String>,
}

impl LoadgenArgs {
    /// `--declined`, or the scenario's default: a sale mixes in declined cards, a purchase run
    /// measures bookings made, so declines only when asked for.
    pub(crate) fn declined_share(&self) -> f64 {
        self.declined.unwrap_or(if self.scenario == Scenario::Purchase { 0.0 } else { 0.2 })
    }
}
