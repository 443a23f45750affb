//! `yundong`: the one binary. `yundong serve` runs the server; the other subcommands administer the same database
//! directly, or help a developer (`yundong decrypt`).

mod backup;
mod cli;
mod control;
mod db;
mod decrypt;
mod demo;
mod faults;
mod files;
mod serve;

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = cli::Cli::parse();
    match cli::run(cli).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
