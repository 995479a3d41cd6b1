//! The run-wide retry budget: an org failing half its requests stops the upload early, every
//! unfinished row pending, and a later healthy run uploads each row exactly once.

use crate::helpers::TestDir;
use crate::seeds;
use crate::upload::{options, run};
use okta_emulator::{self as emulator, EmulatorConfig};
use ykprov::journal::{self, RowResult};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_failing_okta_stops_the_run_early_and_the_next_run_finishes_each_row_once() {
    let emu = emulator::spawn(EmulatorConfig {
        fail_rate: 0.5,
        fault_seed: 21,
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let dir = TestDir::new();
    let n = 400u32;
    let file = dir.write("seeds.csv", seeds::csv(&seeds::rows(40_000_000, n)));
    let mut o = options(&file);
    o.concurrency = 8;
    let first = run(&emu, &o).await;
    let fatal = first.fatal.clone().unwrap_or_default();
    assert!(fatal.starts_with("Okta is failing: "), "{first:?}");
    assert!(fatal.ends_with(" of the last 100 requests failed"), "{fatal}");
    assert!(
        first.counts.uploaded < u64::from(n) / 2,
        "stopped early: {:?}",
        first.counts
    );
    let replay = journal::replay(first.journal.as_ref().unwrap()).unwrap();
    assert!(
        replay
            .outcomes
            .values()
            .all(|r| !matches!(r, RowResult::Rejected { .. })),
        "no row was given up for a fault"
    );
    let before = emu.log();
    assert!(before.failed > 0);

    emu.set_faults(0.0, 0.0);
    let second = run(&emu, &o).await;
    assert!(second.fatal.is_none() && second.is_clean(), "{second:?}");
    let log = emu.log();
    for s in 40_000_000..40_000_000 + n {
        let key = format!("{s:012}");
        assert_eq!(log.stored_per_serial.get(&key).copied(), Some(1), "serial {key}");
    }
    assert_eq!(emu.tokens().len(), n as usize);
}
