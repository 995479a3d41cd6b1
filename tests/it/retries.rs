//! Retry exhaustion: one row answered 5xx on every try until `--max-attempts` is spent is
//! journaled `failed` (and the rest of the file goes on), and the next run over the same journal
//! uploads it once. The emulator's request log is the witness.

use crate::helpers::TestDir;
use crate::seeds;
use crate::upload::{options, run};
use okta_emulator::{self as emulator, EmulatorConfig, Endpoint};
use ykprov::journal::{self, RowResult};
use ykprov::seed::Serial;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_row_failing_until_max_attempts_is_journaled_failed_and_uploaded_once_by_the_next_run() {
    let emu = emulator::spawn(EmulatorConfig::default()).await.unwrap();
    let dir = TestDir::new();
    let (first, n, max_attempts) = (31_000, 6, 3);
    let file = dir.write("seeds.csv", seeds::csv(&seeds::rows(first, n)));
    let unlucky = Serial::from(first + 2);
    // Exactly what the run may spend: the next run's first try is stored.
    emu.fail_uploads_of(&unlucky, max_attempts);
    let mut o = options(&file);
    o.max_attempts = max_attempts;

    let s = run(&emu, &o).await;
    let log = emu.log();
    assert_eq!(
        (s.counts.uploaded, s.counts.failed),
        (u64::from(n) - 1, 1),
        "{s:?}"
    );
    assert!(!s.is_clean());
    assert_eq!(
        log.failed_per_serial.get(unlucky.as_str()),
        Some(&max_attempts),
        "sent exactly --max-attempts times, each answered 5xx"
    );
    assert_eq!(log.failed, u64::from(max_attempts), "no other fault");
    assert_eq!(log.stored_per_serial.get(unlucky.as_str()), None);
    assert_eq!(log.count(Endpoint::UploadToken), u64::from(n - 1 + max_attempts));
    let journal_path = s.journal.clone().unwrap();
    let outcomes = journal::replay(&journal_path).unwrap().outcomes;
    assert_eq!(outcomes.len(), n as usize);
    match &outcomes[&unlucky] {
        RowResult::Failed { attempts, reason, .. } => {
            assert_eq!(*attempts, max_attempts);
            assert!(reason.contains("50"), "the last error names the 5xx: {reason}");
        }
        other => panic!("{unlucky} journaled {other:?}, not failed"),
    }
    let others_uploaded = outcomes
        .iter()
        .filter(|(serial, r)| **serial != unlucky && matches!(r, RowResult::Uploaded { .. }))
        .count();
    assert_eq!(others_uploaded, n as usize - 1);

    // The next run (same file, same journal): only the failed row is sent, once.
    let posts_before = log.count(Endpoint::UploadToken);
    let again = run(&emu, &o).await;
    assert!(again.is_clean(), "{again:?}");
    assert_eq!(
        (again.counts.uploaded, again.counts.done_before),
        (1, u64::from(n) - 1)
    );
    let log = emu.log();
    assert_eq!(log.count(Endpoint::UploadToken) - posts_before, 1, "one POST");
    assert_eq!(log.failed, u64::from(max_attempts), "no new failure");
    assert_eq!(log.posts_per_serial.get(unlucky.as_str()), Some(&1));
    assert_eq!(log.stored_per_serial.get(unlucky.as_str()), Some(&1));
    crate::helpers::assert_each_stored_once(&emu, first, n);
    let outcomes = journal::replay(&journal_path).unwrap().outcomes;
    assert!(
        matches!(outcomes[&unlucky], RowResult::Uploaded { .. }),
        "{:?}",
        outcomes[&unlucky]
    );
}
