use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = observatoire::cli::Cli::parse();
    observatoire::telemetry::init(cli.log_format);
    // Test builds only: failure points configured by the FAILPOINTS environment variable.
    #[cfg(feature = "failpoints")]
    let _failpoints = fail::FailScenario::setup();
    match observatoire::cli::run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // One clear line, no panic, no backtrace.
            eprintln!(
                "erreur : {}",
                observatoire::store::one_line(&format!("{e:#}"))
            );
            std::process::ExitCode::FAILURE
        }
    }
}
