//! `ykprov demo`: the whole pipeline against the embedded emulator, narrated on stdout.

use super::Outcome;
use crate::cli::{DemoArgs, GlobalArgs};
use crate::demo::{self, DemoOptions, Narrator};
use std::io::Write;

/// Prints the narration as it comes, so the operator follows the run live.
struct Stdout;

impl Narrator for Stdout {
    fn show(&mut self, text: &str) {
        // `print!` rather than a locked handle, so test harnesses capture it.
        print!("{text}");
        let _ = std::io::stdout().flush();
    }
}

/// Runs `ykprov demo`.
pub async fn run(args: &DemoArgs, global: &GlobalArgs) -> anyhow::Result<Outcome> {
    let opts = DemoOptions {
        rows: args.rows,
        dir: args.dir.clone(),
        seed: args.seed,
        quiet: global.quiet,
    };
    let result = demo::run(&opts, &mut Stdout).await?;
    Stdout.show(&format!(
        "\ndemo finished in {:.1}s; the emulator is stopped and nothing is left running.\n",
        result.elapsed.as_secs_f64()
    ));
    Ok(Outcome::problems_if(!result.clean))
}
