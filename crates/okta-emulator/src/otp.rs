//! Yubico OTP: generating one from a seed (for tests and the demo) and verifying one the way
//! Yubico's KSM and validation server do (AES-128-ECB, CRC-16 residue, private id, replay).
//!
//! Layout of the 16-byte token (little-endian): `uid[6] ctr[2] tstpl[2] tstph[1] use[1] rnd[2]
//! crc[2]`. The OTP text is modhex(public id) followed by modhex(AES(token)), 32 characters.

use super::fields::{AesKey, PrivateId, PublicId, MODHEX};
use aes::cipher::{generic_array::GenericArray, BlockDecrypt, BlockEncrypt, KeyInit};
use aes::Aes128;

/// `crc16` over a whole valid token (CRC included) always gives this residue.
const CRC_OK_RESIDUE: u16 = 0xF0B8;
/// Modhex characters of the encrypted part.
const TOKEN_CHARS: usize = 32;
/// The usage counter's top bit is the caps-lock flag, not part of the count.
const COUNTER_MASK: u16 = 0x7FFF;

/// Why an OTP was refused. Messages never include key material.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OtpError {
    /// Not lowercase modhex, or not 32 + an even number (up to 32) of characters.
    #[error("the passcode is not a Yubico OTP (modhex, 32 to 64 characters)")]
    Malformed,
    /// The prefix is not the token's public id.
    #[error("the passcode was not made by this YubiKey (public id differs)")]
    WrongPublicId,
    /// Decryption gave garbage: wrong key or a typo.
    #[error("the passcode does not decrypt with this YubiKey's key (CRC check failed)")]
    BadCrc,
    /// Decrypted fine, but the private id differs.
    #[error("the passcode's private id does not match this YubiKey")]
    WrongPrivateId,
    /// Counters not above the last accepted OTP.
    #[error("the passcode was already used (counters not increasing)")]
    Replayed,
}

/// The fields of a decrypted, CRC-checked token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OtpFields {
    /// Usage counter, caps-lock bit removed.
    pub counter: u16,
    /// Session use counter.
    pub session: u8,
    /// 24-bit timestamp.
    pub timestamp: u32,
    /// Random field.
    pub rnd: u16,
}

impl OtpFields {
    /// What replay protection compares: (counter, session), lexicographically.
    pub fn counters(&self) -> (u16, u8) {
        (self.counter, self.session)
    }
}

/// CRC-16 as in yubico-c `yubikey_crc16` (reflected, poly 0x8408, init 0xFFFF, no final xor).
pub fn crc16(data: &[u8]) -> u16 {
    let mut crc: u16 = 0xFFFF;
    for &b in data {
        crc ^= u16::from(b);
        for _ in 0..8 {
            let carry = crc & 1;
            crc >>= 1;
            if carry != 0 {
                crc ^= 0x8408;
            }
        }
    }
    crc
}

/// Encodes bytes as modhex.
pub fn modhex_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(MODHEX[usize::from(b >> 4)]));
        out.push(char::from(MODHEX[usize::from(b & 0x0F)]));
    }
    out
}

/// Decodes modhex; `None` for odd length or a character outside the alphabet.
pub fn modhex_decode(text: &str) -> Option<Vec<u8>> {
    let nibble = |c: u8| {
        MODHEX
            .iter()
            .position(|&m| m == c)
            .and_then(|p| u8::try_from(p).ok())
    };
    let bytes = text.as_bytes();
    if bytes.len() % 2 != 0 {
        return None;
    }
    bytes
        .chunks_exact(2)
        .map(|pair| Some(nibble(pair[0])? << 4 | nibble(pair[1])?))
        .collect()
}

/// Builds the OTP a YubiKey programmed with this seed would type for these counters.
pub fn generate(
    public_id: &PublicId,
    private_id: &PrivateId,
    key: &AesKey,
    counter: u16,
    session: u8,
    timestamp: u32,
    rnd: u16,
) -> String {
    let mut token = [0u8; 16];
    token[0..6].copy_from_slice(&private_id.to_bytes());
    token[6..8].copy_from_slice(&counter.to_le_bytes());
    let ts = timestamp.to_le_bytes();
    token[8..11].copy_from_slice(&ts[0..3]);
    token[11] = session;
    token[12..14].copy_from_slice(&rnd.to_le_bytes());
    let crc = !crc16(&token[0..14]);
    token[14..16].copy_from_slice(&crc.to_le_bytes());
    let cipher = Aes128::new(GenericArray::from_slice(&key.to_bytes()));
    let mut block = GenericArray::clone_from_slice(&token);
    cipher.encrypt_block(&mut block);
    let mut otp = public_id.as_str().to_string();
    otp.push_str(&modhex_encode(&block));
    otp
}

/// Splits an OTP into its public-id prefix and the 32-character token, checking the shape.
pub fn split(otp: &str) -> Result<(&str, &str), OtpError> {
    let len = otp.len();
    let shape_ok = (TOKEN_CHARS..=TOKEN_CHARS * 2).contains(&len)
        && len % 2 == 0
        && otp.bytes().all(|b| MODHEX.contains(&b));
    if !shape_ok {
        return Err(OtpError::Malformed);
    }
    Ok(otp.split_at(len - TOKEN_CHARS))
}

/// Decrypts the 32-character modhex token and checks its CRC; returns the private id and fields.
pub fn decrypt(token: &str, key: &AesKey) -> Result<([u8; 6], OtpFields), OtpError> {
    let bytes = modhex_decode(token)
        .filter(|b| b.len() == 16)
        .ok_or(OtpError::Malformed)?;
    let cipher = Aes128::new(GenericArray::from_slice(&key.to_bytes()));
    let mut block = GenericArray::clone_from_slice(&bytes);
    cipher.decrypt_block(&mut block);
    if crc16(&block) != CRC_OK_RESIDUE {
        return Err(OtpError::BadCrc);
    }
    let mut uid = [0u8; 6];
    uid.copy_from_slice(&block[0..6]);
    let fields = OtpFields {
        counter: u16::from_le_bytes([block[6], block[7]]) & COUNTER_MASK,
        timestamp: u32::from_le_bytes([block[8], block[9], block[10], 0]),
        session: block[11],
        rnd: u16::from_le_bytes([block[12], block[13]]),
    };
    Ok((uid, fields))
}

/// Verifies an OTP against a seed and the last accepted counters (`None` = never used).
/// On success the caller stores `fields.counters()` as the new last pair.
pub fn verify(
    otp: &str,
    public_id: &PublicId,
    private_id: &PrivateId,
    key: &AesKey,
    last: Option<(u16, u8)>,
) -> Result<OtpFields, OtpError> {
    let (prefix, token) = split(otp)?;
    if prefix != public_id.as_str() {
        return Err(OtpError::WrongPublicId);
    }
    let (uid, fields) = decrypt(token, key)?;
    if uid != private_id.to_bytes() {
        return Err(OtpError::WrongPrivateId);
    }
    if last.is_some_and(|last| fields.counters() <= last) {
        return Err(OtpError::Replayed);
    }
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seed(public: &str, private: &str, key: &str) -> (PublicId, PrivateId, AesKey) {
        (
            PublicId::parse(public).unwrap(),
            PrivateId::parse(private).unwrap(),
            AesKey::parse(key).unwrap(),
        )
    }

    #[test]
    fn yubico_c_test_vector_decrypts_with_the_ok_residue() {
        let key = AesKey::parse("ecde18dbe76fbd0c33330f1c354871db").unwrap();
        let (prefix, token) = split("dteffujehknhfjbrjnlnldnhcujvddbikngjrtgh").unwrap();
        assert_eq!(prefix, "dteffuje");
        let (uid, f) = decrypt(token, &key).unwrap();
        assert_eq!(hex::encode(uid), "8792ebfe26cc");
        assert_eq!(
            (f.counter, f.session, f.timestamp, f.rnd),
            (19, 17, 0xc230, 0x9fc8)
        );
    }

    /// (key, uid, ctr, tstpl, tstph, use, rnd, otp).
    type Vector = (&'static str, &'static str, u16, u32, u32, u8, u16, &'static str);

    #[test]
    fn developers_yubico_com_vectors_decrypt_to_their_fields() {
        // (key, uid, ctr, tstpl, tstph, use, rnd, otp) from the published table.
        let rows = [
            (
                "000102030405060708090a0b0c0d0e0f",
                "010203040506",
                0x0001,
                0x0001,
                0x01,
                0x01,
                0x0000,
                "dvgtiblfkbgturecfllberrvkinnctnn",
            ),
            (
                "000102030405060708090a0b0c0d0e0f",
                "010203040506",
                0x0001,
                0x0001,
                0x01,
                0x02,
                0x0000,
                "rnibcnfhdninbrdebccrndfhjgnhftee",
            ),
            (
                "000102030405060708090a0b0c0d0e0f",
                "010203040506",
                0x0fff,
                0x0001,
                0x01,
                0x01,
                0x0000,
                "iikkijbdknrrdhfdrjltvgrbkkjblcbh",
            ),
            (
                "88888888888888888888888888888888",
                "888888888888",
                0x8888,
                0x8888,
                0x88,
                0x88,
                0x8888,
                "dcihgvrhjeucvrinhdfddbjhfjftjdei",
            ),
            (
                "00000000000000000000000000000000",
                "000000000000",
                0x0000,
                0x0000,
                0x00,
                0x00,
                0x0000,
                "kkkncjnvcnenkjvjgncjihljiibgbhbh",
            ),
            (
                "c4422890653076cde73d449b191b416a",
                "33c69e7f249e",
                0x0001,
                0x13a7,
                0x24,
                0x00,
                0xc63c,
                "iucvrkjiegbhidrcicvlgrcgkgurhjnj",
            ),
        ];
        let rows: [Vector; 6] = rows;
        for (key, uid, ctr, tstpl, tstph, session, rnd, otp) in rows {
            let (got_uid, f) = decrypt(otp, &AesKey::parse(key).unwrap()).unwrap();
            assert_eq!(hex::encode(got_uid), uid, "{otp}");
            assert_eq!(f.counter, ctr & COUNTER_MASK, "{otp}");
            assert_eq!(f.timestamp, tstph << 16 | tstpl, "{otp}");
            assert_eq!((f.session, f.rnd), (session, rnd), "{otp}");
            // And generating from the same fields gives the published ciphertext back.
            let (p, q, k) = seed("cccccc", uid, key);
            let again = generate(&p, &q, &k, ctr, session, tstph << 16 | tstpl, rnd);
            assert_eq!(again.strip_prefix("cccccc"), Some(otp));
        }
    }

    #[test]
    fn okta_example_credential_matches_the_synthesised_vectors() {
        let (p, q, k) = seed("ccccccijgibu", "b74be6169486", "1fcc6d8ce39bf1604e0b17f3e0a11067");
        assert_eq!(
            generate(&p, &q, &k, 1, 0, 1, 0x1234),
            "ccccccijgibuueetfgkljkldjurkeflrefnuinvrbjie"
        );
        assert_eq!(
            generate(&p, &q, &k, 1, 1, 9, 0xbeef),
            "ccccccijgibujtbehbdtehnguiunfudlnjttgeljhldh"
        );
        assert_eq!(
            generate(&p, &q, &k, 2, 0, 0x0a0b0c, 1),
            "ccccccijgibughrbirfenjdcitukvrcghteetrctbukt"
        );
    }

    #[test]
    fn verify_accepts_increasing_counters_and_rejects_replays() {
        let (p, q, k) = seed("ccccccijgibu", "b74be6169486", "1fcc6d8ce39bf1604e0b17f3e0a11067");
        let first = generate(&p, &q, &k, 1, 0, 1, 7);
        let f = verify(&first, &p, &q, &k, None).unwrap();
        assert_eq!(f.counters(), (1, 0));
        assert_eq!(verify(&first, &p, &q, &k, Some((1, 0))), Err(OtpError::Replayed));
        let second = generate(&p, &q, &k, 1, 1, 2, 7);
        assert!(verify(&second, &p, &q, &k, Some((1, 0))).is_ok());
        let older = generate(&p, &q, &k, 0, 200, 2, 7);
        assert_eq!(verify(&older, &p, &q, &k, Some((1, 0))), Err(OtpError::Replayed));
        // The caps-lock bit does not count as a higher counter.
        let caps = generate(&p, &q, &k, 0x8001, 0, 2, 7);
        assert_eq!(verify(&caps, &p, &q, &k, Some((1, 0))), Err(OtpError::Replayed));
    }

    #[test]
    fn verify_rejects_wrong_key_private_id_public_id_and_garbage() {
        let (p, q, k) = seed("ccccccijgibu", "b74be6169486", "1fcc6d8ce39bf1604e0b17f3e0a11067");
        let otp = generate(&p, &q, &k, 1, 0, 1, 7);
        let other_key = AesKey::parse("00000000000000000000000000000000").unwrap();
        assert_eq!(verify(&otp, &p, &q, &other_key, None), Err(OtpError::BadCrc));
        let other_uid = PrivateId::parse("000000000000").unwrap();
        assert_eq!(
            verify(&otp, &p, &other_uid, &k, None),
            Err(OtpError::WrongPrivateId)
        );
        let other_pub = PublicId::parse("ccccccijgibv").unwrap();
        assert_eq!(
            verify(&otp, &other_pub, &q, &k, None),
            Err(OtpError::WrongPublicId)
        );
        for bad in [
            "",
            "abc",
            &otp.to_uppercase(),
            &format!("{otp}c"),
            &"c".repeat(66),
            "ccccccijgibu€€",
        ] {
            assert_eq!(verify(bad, &p, &q, &k, None), Err(OtpError::Malformed), "{bad:?}");
        }
    }
}
