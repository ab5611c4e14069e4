//! `report`: regenerates the edgebench paper from the dataset.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use edgebench_report::exit_code;
use edgebench_report::findings::Verdict;

/// The exit statuses (`edgebench_report::exit_code`), shown by `report --help` and
/// `report build --help`.
const EXIT_STATUS: &str = "Exit status:\n  \
0  the report was built\n  \
1  data error: the dataset is missing, is not a dataset directory (the one that holds v1/MANIFEST.json), \
or is damaged (a missing, truncated or changed shard, a manifest or model registry that does not read)\n  \
2  usage error: an unknown option or a missing value\n  \
3  output error: the outputs cannot be written under --out\n  \
4  internal error: an output failed to render (a bug in report; please file an issue)\n\n\
Every error is one message on stderr that names the path, says what is wrong and, on its second line \
(`fix:`), what to do. While it works, `report build` says on stderr which step it is in; the summary goes \
to stdout.";

#[derive(Parser)]
#[command(
    name = "report",
    version,
    about = "Regenerate the edgebench report (PDF + HTML) from the dataset",
    long_about = "Regenerate the edgebench report from whatever the dataset holds: per-cell medians with \
distribution-free 95% confidence intervals, ratios, kernel-class shares, the paper's figures, and the \
paper's claims evaluated on the data with a verdict each (supported, contradicted, insufficient data).\n\n\
Outputs: report.pdf (Typst, compiled in-process with embedded fonts), index.html (self-contained: \
inline CSS and SVG, no script, no network), figures/*.svg and tables/*.csv (tables/medians.csv holds \
the per-cell medians as plain numbers). The same dataset always gives byte-identical files.",
    after_help = EXIT_STATUS
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build the PDF, the HTML page, the figures and the tables.
    #[command(after_help = EXIT_STATUS)]
    Build {
        /// Dataset directory (the one that holds v1/MANIFEST.json).
        #[arg(long, default_value = "dataset")]
        dataset: PathBuf,
        /// Output directory; created if missing, existing report files are replaced.
        #[arg(long, default_value = "out")]
        out: PathBuf,
        /// Print the time each phase took (load, analyse, document, svg, csv, html, pdf) to stderr.
        #[arg(long)]
        timings: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Build { dataset, out, timings } => {
            let progress = &mut |step: edgebench_report::Step<'_>| eprintln!("report: {step}");
            match edgebench_report::build_with_progress(&dataset, &out, progress) {
                Ok(built) => {
                    if timings {
                        for (phase, took) in &built.timings {
                            eprintln!("report: timing {phase} {:.3} s", took.as_secs_f64());
                        }
                    }
                    summarise(&built, &out);
                    ExitCode::from(exit_code::SUCCESS)
                }
                Err(e) => {
                    eprintln!("report: error: {e}");
                    ExitCode::from(e.exit_code())
                }
            }
        }
    }
}

/// The summary on stdout (scripts and tests read these lines).
fn summarise(built: &edgebench_report::BuildOutput, out: &Path) {
    let count = |verdict| built.findings.iter().filter(|f| f.1 == verdict).count();
    let supported = count(Verdict::Supported);
    let contradicted = count(Verdict::Contradicted);
    println!(
        "report: {} cells, {} findings ({supported} supported, {contradicted} contradicted, {} insufficient data)",
        built.cells,
        built.findings.len(),
        built.findings.len() - supported - contradicted
    );
    println!("report: wrote {} files under {}", built.files.len(), out.display());
    println!("report: {}", out.join("report.pdf").display());
    println!("report: {}", out.join("index.html").display());
}
