//! `report`: regenerates the edgebench paper from the dataset.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

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
the per-cell medians as plain numbers). The same dataset always gives byte-identical files."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build the PDF, the HTML page, the figures and the tables.
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
        Command::Build { dataset, out, timings } => match edgebench_report::build(&dataset, &out) {
            Ok(built) => {
                if timings {
                    for (phase, took) in &built.timings {
                        eprintln!("report: timing {phase} {:.3} s", took.as_secs_f64());
                    }
                }
                let supported = built.findings.iter().filter(|f| f.1 == edgebench_report::findings::Verdict::Supported).count();
                let contradicted =
                    built.findings.iter().filter(|f| f.1 == edgebench_report::findings::Verdict::Contradicted).count();
                println!(
                    "report: {} cells, {} findings ({supported} supported, {contradicted} contradicted, {} insufficient data)",
                    built.cells,
                    built.findings.len(),
                    built.findings.len() - supported - contradicted
                );
                println!("report: wrote {} files under {}", built.files.len(), out.display());
                println!("report: {}", out.join("report.pdf").display());
                println!("report: {}", out.join("index.html").display());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("report: error: {e}");
                ExitCode::from(2)
            }
        },
    }
}
