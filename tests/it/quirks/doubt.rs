//! An upload in doubt is confirmed only by a live record created after its intent, with and
//! without soft-deleted history.

use super::{assert_stored, dpop_client, emulator_reading, options, run};
use crate::helpers::TestDir;
use crate::seeds;
use ykprov::demo::rehearse::Rehearsal;
use ykprov::journal::{self, RowResult};
use ykprov::secret::Secret;
use ykprov::seed::Serial;

/// An upload in doubt in the journal (an intent without its outcome) is settled by a lookup that
/// takes only a live record created after the intent: a REVOKED record is history and the key is
/// uploaded again; a live record older than the intent was already there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_in_doubt_is_confirmed_only_by_a_live_record_created_after_its_intent() {
    for quirks in [&[][..], &["soft-delete"][..]] {
        let what = format!("{quirks:?}");
        let emu = emulator_reading(quirks).await;
        emu.set_faults(0.0, 0.0);
        let dir = TestDir::new();
        let first = 950_000;
        let file = dir.write("seeds.csv", seeds::csv(&seeds::rows(first, 3)));
        let journal = dir.path().join("j.jsonl");
        let o = options(&file, &journal);
        assert!(run(dpop_client(&emu), &o).await.is_clean(), "{what}");
        let admin = Rehearsal::new(&emu.url(), &Secret::new(emu.token())).unwrap();
        let revoked = admin.token_of(&Serial::from(first)).await.unwrap().unwrap();
        admin.delete_token(&revoked.id).await.unwrap();
        // As if runs had sent the rows again and crashed before the answers: row 0 now (its
        // token was deleted since), row 1 long after its token was created (the token cannot be
        // that intent's answer), row 2 a minute before its token was created (it can).
        let now = chrono::Utc::now();
        let minutes = chrono::Duration::minutes;
        let intents = [
            (first, 1, now),
            (first + 1, 2, now + minutes(5)),
            (first + 2, 3, now - minutes(1)),
        ];
        let mut text = std::fs::read_to_string(&journal).unwrap();
        for (serial, line, at) in intents {
            let e = journal::Entry::Intent {
                serial: Serial::from(serial),
                line,
                attempt: 1,
                at,
            };
            text.push_str(&serde_json::to_string(&e).unwrap());
            text.push('\n');
        }
        std::fs::write(&journal, text).unwrap();
        let s = run(dpop_client(&emu), &o).await;
        assert!(s.is_clean(), "{what}: {s:?}");
        let outcomes = journal::replay(&journal).unwrap().outcomes;
        let of = |serial: u32| outcomes.get(Serial::from(serial).as_str()).cloned().unwrap();
        assert!(
            matches!(of(first), RowResult::Uploaded { confirmed_by_lookup: false, ref token_id, .. } if *token_id != revoked.id),
            "{what}: the revoked key is uploaded again, not confirmed by its old record: {:?}",
            of(first)
        );
        assert!(
            matches!(of(first + 1), RowResult::AlreadyPresent { .. }),
            "{what}: {:?}",
            of(first + 1)
        );
        assert!(
            matches!(
                of(first + 2),
                RowResult::Uploaded {
                    confirmed_by_lookup: true,
                    ..
                }
            ),
            "{what}: {:?}",
            of(first + 2)
        );
        assert_stored(&emu, first, 3, |s| if s == first { 2 } else { 1 }, &what);
    }
}
