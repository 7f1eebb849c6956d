//! The scale benchmark's measurement of a child process (`benches/support/measure.rs`):
//! cargo runs no tests inside `harness = false` benches, so they are here.

#[path = "../benches/support/measure.rs"]
mod measure;

use measure::{measure, MeasureError};
use std::process::Command;

#[cfg(unix)]
#[test]
fn measures_a_child_and_its_memory() {
    let m = measure("sh", Command::new("sh").args(["-c", "head -c 50000000 /dev/zero | tail -c 1 >/dev/null"])).unwrap();
    assert!(m.seconds > 0.0);
    assert!(m.peak_bytes > 0);
}

#[cfg(unix)]
#[test]
fn a_failing_child_is_an_error_with_its_status() {
    let e = measure("false", &mut Command::new("false")).unwrap_err();
    assert!(matches!(e, MeasureError::Failed { .. }), "{e}");
}

#[test]
fn a_missing_program_cannot_be_spawned() {
    let e = measure("nothing", &mut Command::new("/no/such/program")).unwrap_err();
    assert!(matches!(e, MeasureError::Spawn { .. }), "{e}");
}
