//! Reading and validating seed files. `record` holds the validated types; the reader turns a file
//! into a stream of `Result<Seed, RowError>` with positions.

pub mod record;

pub use record::{AccessCode, AesKey, Field, FieldProblem, PrivateId, PublicId, Seed, SerialNumber};
pub mod validate;
