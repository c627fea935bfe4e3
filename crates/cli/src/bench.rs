//! `ticketing bench`: placeholder replaced below.
#[derive(clap::Args)]
pub struct BenchArgs {}
pub async fn run(_: BenchArgs) -> anyhow::Result<()> { Ok(()) }
