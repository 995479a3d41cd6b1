//! Integration tests of the emulator (issue 3).
