//! One run per state folder: an advisory lock (`flock`) on `DIR/lock`.
//!
//! The kernel releases the lock when the process ends, however it ends, so a run killed
//! with SIGKILL never leaves it stuck. The file holds the pid of the run holding it, for
//! the message a second run prints.

use super::StateError;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::Path;

/// The lock on a state folder, held until dropped.
#[derive(Debug)]
pub struct Lock {
    _file: File,
}

impl Lock {
    /// Takes the lock of `root`, or refuses at once, naming the run that holds it.
    pub fn take(root: &Path) -> Result<Self, StateError> {
        let path = root.join("lock");
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(super::io_error(&path))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim();
                let who = if holder.is_empty() { "another trailsight run".to_string() } else { format!("another trailsight run (pid {holder})") };
                return Err(StateError::Busy(format!(
                    "{who} is using the state in {}; only one run at a time may (it holds {}). Try again when it has finished",
                    root.display(),
                    path.display()
                )));
            }
            Err(TryLockError::Error(e)) => return Err(StateError::Io { path, source: e }),
        }
        let pid = std::process::id().to_string();
        let written = file.set_len(0).and_then(|()| file.rewind()).and_then(|()| file.write_all(pid.as_bytes()));
        written.map_err(super::io_error(&path))?;
        Ok(Self { _file: file })
    }
}
