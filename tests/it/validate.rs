//! Integration tests of `ykprov validate` (issue 2).
