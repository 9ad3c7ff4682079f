use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = abm_segments::cmd::Cli::parse();
    match abm_segments::cmd::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            // A closed stdout (e.g. piped into `head`) is not a failure.
            if let abm_segments::error::Error::Io { source, .. } = &err {
                if source.kind() == std::io::ErrorKind::BrokenPipe {
                    return ExitCode::SUCCESS;
                }
            }
            let _ = writeln!(std::io::stderr(), "error: {err:#}");
            ExitCode::from(err.exit_code())
        }
    }
}
