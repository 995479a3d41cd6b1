//! Fake seed files for the demo: deterministic for a `--seed`, clearly fake, and with a handful
//! of the mistakes real files have, so the validator has something to say.

use rand::{rngs::StdRng, Rng, SeedableRng};

const MODHEX: &[u8; 16] = b"cbdefghijklnrtuv";

fn modhex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .flat_map(|b| {
            [
                MODHEX[usize::from(b >> 4)] as char,
                MODHEX[usize::from(b & 15)] as char,
            ]
        })
        .collect()
}

/// One generated key: its line and its values (for enrolling it later with an OTP).
#[derive(Clone)]
pub struct FakeKey {
    /// Serial number.
    pub serial: u32,
    /// The Yubico-format line.
    pub line: String,
}

/// `rows` valid keys (serials from 20,000,000) plus five broken rows, in file order.
pub fn generate(rows: u32, seed: u64) -> (Vec<FakeKey>, String) {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut keys = Vec::with_capacity(rows as usize);
    let mut text = String::new();
    for i in 0..rows {
        let serial = 20_000_000 + i;
        let mut public = vec![0xff, 0x00];
        public.extend_from_slice(&serial.to_be_bytes());
        let private: [u8; 6] = rng.gen();
        let key: [u8; 16] = rng.gen();
        let line = format!(
            "{serial},{},{},{},,2026-11-28T09:00:00,",
            modhex(&public),
            hex::encode(private),
            hex::encode(key)
        );
        text.push_str(&line);
        text.push('\n');
        keys.push(FakeKey { serial, line });
    }
    // Mistakes seen in real files: a truncated key, a spreadsheet-mangled private id, serial 0,
    // a public id that is not modhex, and a missing AES key.
    let broken = [
        format!(
            "{},vvccbbbbbbbb,0a0b0c0d0e0f,1fcc6d8ce39bf1604e0b17f3e0a1106,,2026-11-28T09:00:00,",
            20_100_001
        ),
        format!(
            "{},vvccbbbbbbbd,8.30E+43,1fcc6d8ce39bf1604e0b17f3e0a11067,,2026-11-28T09:00:00,",
            20_100_002
        ),
        "0,vvccbbbbbbbe,0a0b0c0d0e0f,1fcc6d8ce39bf1604e0b17f3e0a11067,,2026-11-28T09:00:00,".to_string(),
        format!(
            "{},vvccbbbbbbbz,0a0b0c0d0e0f,1fcc6d8ce39bf1604e0b17f3e0a11067,,2026-11-28T09:00:00,",
            20_100_004
        ),
        format!("{},vvccbbbbbbbf,0a0b0c0d0e0f,,,2026-11-28T09:00:00,", 20_100_005),
    ];
    for b in broken {
        text.push_str(&b);
        text.push('\n');
    }
    (keys, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_file() {
        assert_eq!(generate(10, 7).1, generate(10, 7).1);
        assert_ne!(generate(10, 7).1, generate(10, 8).1);
        assert_eq!(generate(10, 7).1.lines().count(), 15);
    }
}
