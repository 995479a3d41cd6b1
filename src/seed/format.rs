//! Which seed-file layout a command expects. The CLI offers these as `--input-format` values; the reader
//! and the journal header use them, so the type lives here, beside the reader.

/// Which seed file layout to expect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SeedFormat {
    /// Detect from the first lines.
    #[default]
    Auto,
    /// `serial,publicId,privateId,aesKey,accessCode,timestamp,` (ykman -O, Personalization Tool,
    /// ykksm).
    Yubico,
    /// A header row names the columns (serialNumber, publicId, privateId, aesKey).
    Headered,
}
