use clap::Parser;
use leakscope::cli::{run, Cli};

fn main() {
    let cli = Cli::parse();
    let code = match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("leakscope: error: {e:#}");
            2
        }
    };
    std::process::exit(code);
}
