use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

/// Large freed blocks are kept for reuse in the room below the peak so far
/// (see the type's docs).
#[global_allocator]
static ALLOCATOR: abm_segments::memory::KeepWithinPeak = abm_segments::memory::KeepWithinPeak;

fn main() -> ExitCode {
    // Polars decodes Parquet on its own worker threads; a damaged page can make
    // its decoder panic there. The reader turns that into a bad-input error, so
    // keep those threads' panic messages off the user's terminal.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let worker = std::thread::current()
            .name()
            .is_some_and(|n| n.starts_with("async-executor"));
        if !worker {
            default_hook(info);
        }
    }));
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
