//! Writes deterministic fake Yubico-format seed rows to stdout, for `samples/yubico.csv` and the
//! validate benchmark: `cargo run --example gen_seeds -- ROWS [FIRST_SERIAL]`.
//!
//! The secrets come from a fixed xorshift stream: fake, repeatable, and never real key material.

use std::io::{BufWriter, Write};

const MODHEX: &[u8; 16] = b"cbdefghijklnrtuv";

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let rows: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(300);
    let first: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000_000);
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut out = BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    for i in 0..rows {
        let serial = first.wrapping_add(i as u32);
        // ykman's -S public id: modhex of ff 00 followed by the serial, big-endian.
        let mut public = [0u8; 12];
        for (j, b) in [0xffu8, 0x00].into_iter().chain(serial.to_be_bytes()).enumerate() {
            public[2 * j] = MODHEX[usize::from(b >> 4)];
            public[2 * j + 1] = MODHEX[usize::from(b & 15)];
        }
        let private = next() & 0xffff_ffff_ffff;
        let (k1, k2) = (next(), next());
        writeln!(
            out,
            "{serial},{},{private:012x},{k1:016x}{k2:016x},,2024-05-01T12:00:00,",
            std::str::from_utf8(&public).expect("modhex is ASCII")
        )?;
    }
    out.flush()
}
