//! One run per state folder: an advisory lock (`flock`) on `DIR/lock`.
//!
//! The kernel releases the lock when the process ends, however it ends, so a run killed
//! with SIGKILL never leaves it stuck. The file holds the pid of the run holding it, for
//! the message a second run prints.
//!
//! The lock file is opened without following a symbolic link and must be a plain file
//! with no other name (a link to another file would have that file written), and it is
//! never truncated: the pid is written over its first bytes, padded.
//!
//! A killed run holds the lock until the kernel has torn it down, which for a large
//! process takes a moment after its parent saw it killed (`timeout -s KILL` returns at
//! once): a run started then would be refused, and the night's work silently left to
//! the next night (issue 21). So a run waits while the holder is a process on its way
//! out (killed, exiting, or gone), for up to [`DYING_HOLDER_WAIT`], and is refused at
//! once by a live one.

use super::StateError;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::Path;
use std::time::{Duration, Instant};

/// The longest a run waits for a holder on its way out.
pub const DYING_HOLDER_WAIT: Duration = Duration::from_secs(30);
/// The longest a run waits when the holder cannot be told (no `/proc`).
const UNKNOWN_HOLDER_WAIT: Duration = Duration::from_secs(2);

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
        match take_unless_alive(&file, &path) {
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

/// Takes the lock, waiting while its holder is on its way out; `WouldBlock` when a live
/// run holds it.
fn take_unless_alive(file: &File, path: &Path) -> Result<(), TryLockError> {
    let started = Instant::now();
    loop {
        match file.try_lock() {
            Err(TryLockError::WouldBlock) => {}
            done => return done,
        }
        let limit = match holder_is_leaving(path) {
            Some(true) => DYING_HOLDER_WAIT,
            Some(false) => return Err(TryLockError::WouldBlock),
            None => UNKNOWN_HOLDER_WAIT,
        };
        if started.elapsed() >= limit {
            return Err(TryLockError::WouldBlock);
        }
        tracing::debug!(lock = %path.display(), "the lock's holder is exiting: waiting for it");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Whether every process holding a lock on `path` is exiting or gone (Linux `/proc`);
/// `None` when that cannot be told.
fn holder_is_leaving(path: &Path) -> Option<bool> {
    let inode = std::fs::metadata(path).ok()?.ino();
    let locks = std::fs::read_to_string("/proc/locks").ok()?;
    // "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF": pid, then major:minor:inode.
    let holders: Vec<u32> = locks
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let at = fields.iter().position(|f| f.matches(':').count() == 2)?;
            let on_inode = fields[at].rsplit(':').next()?.parse::<u64>().ok()? == inode;
            on_inode.then(|| fields.get(at.checked_sub(1)?)?.parse().ok()).flatten()
        })
        .collect();
    if holders.is_empty() {
        // Released between the two looks, or not visible here.
        return None;
    }
    Some(holders.into_iter().all(is_leaving))
}

/// True for a process that is gone, a zombie, exiting, or has SIGKILL pending.
fn is_leaving(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return true };
    // After the command name (in parentheses, and which may hold anything): the state,
    // then ppid, pgrp, session, tty, tpgid and the flags (PF_EXITING is 0x4).
    let fields: Vec<&str> = stat.rsplit_once(')').map_or("", |(_, rest)| rest).split_whitespace().collect();
    let state = fields.first().copied().unwrap_or("");
    let flags: u64 = fields.get(6).and_then(|f| f.parse().ok()).unwrap_or(0);
    if matches!(state, "Z" | "X" | "x") || flags & 0x4 != 0 {
        return true;
    }
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kill_pending = |key: &str| {
        status.lines().find_map(|l| l.strip_prefix(key)).and_then(|v| u64::from_str_radix(v.trim(), 16).ok()).is_some_and(|m| m & (1 << 8) != 0)
    };
    kill_pending("SigPnd:") || kill_pending("ShdPnd:")
}
