//! One run per state folder: an advisory lock (`flock`) on `DIR/lock`.
//!
//! The kernel releases the lock when the process ends, however it ends, so a run killed
//! with SIGKILL never leaves it stuck. The file holds the pid of the run holding it, for
//! the message a second run prints.
//!
//! The lock file is opened without following a symbolic link and must be a plain file
//! with no other name (a link to another file would have that file written), and it is
//! never truncated: the pid is written over its first bytes, padded.

use super::StateError;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
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
            .custom_flags(libc::O_NOFOLLOW)
            .open(&path)
            .map_err(|e| refusal(&path, e))?;
        let meta = file.metadata().map_err(super::io_error(&path))?;
        if !meta.file_type().is_file() || meta.nlink() != 1 {
            return Err(super::corrupt(&path, "it is not a plain file of its own (another name links to it); remove it, a run makes a new one"));
        }
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = holder.split_whitespace().next().unwrap_or("");
                let who = if holder.is_empty() { "another trailsight run".to_string() } else { format!("another trailsight run (pid {holder})") };
                return Err(StateError::Busy(format!(
                    "{who} is using the state in {}; only one run at a time may (it holds {}). Try again when it has finished",
                    root.display(),
                    path.display()
                )));
            }
            Err(TryLockError::Error(e)) => return Err(StateError::Io { path, source: e }),
        }
        // Padded past the longest pid, so that an earlier holder's pid never shows through.
        let pid = format!("{:<20}\n", std::process::id());
        let written = file.rewind().and_then(|()| file.write_all(pid.as_bytes())).and_then(|()| file.flush());
        written.map_err(super::io_error(&path))?;
        Ok(Self { _file: file })
    }
}

/// The error of opening the lock file: a symbolic link is refused by name.
fn refusal(path: &Path, e: std::io::Error) -> StateError {
    if e.raw_os_error() == Some(libc::ELOOP) {
        return super::corrupt(path, "it is a symbolic link; the lock file must be a plain file (remove the link, a run makes the file)");
    }
    StateError::Io { path: path.to_path_buf(), source: e }
}
