//! One child process measured: wall time and peak resident memory, from `wait4`'s
//! resource usage, so each number is that process alone. Used by the scale benchmark;
//! tested by `tests/bench_measure.rs`.

use std::process::{Command, Stdio};
use std::time::Instant;

/// What one child cost.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measured {
    pub seconds: f64,
    /// Peak resident set, bytes.
    pub peak_bytes: u64,
}

/// Why a child could not be measured.
#[derive(Debug, thiserror::Error)]
pub enum MeasureError {
    #[error("cannot run {what}: {source}")]
    Spawn {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{what} failed ({status}): {stderr}")]
    Failed { what: String, status: String, stderr: String },
}

/// Runs a child to completion, timing it and reading its peak memory; its standard
/// output is discarded and the tail of its standard error is kept for the error.
pub fn measure(what: &str, cmd: &mut Command) -> Result<Measured, MeasureError> {
    let started = Instant::now();
    let spawn = |source| MeasureError::Spawn { what: what.to_string(), source };
    let child = cmd.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().map_err(spawn)?;
    let (status, peak_bytes, stderr) = wait_with_peak(child).map_err(spawn)?;
    let seconds = started.elapsed().as_secs_f64();
    if !status.success() {
        let stderr = String::from_utf8_lossy(&stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(5).collect();
        return Err(MeasureError::Failed {
            what: what.to_string(),
            status: status.to_string(),
            stderr: tail.into_iter().rev().collect::<Vec<_>>().join(" | "),
        });
    }
    Ok(Measured { seconds, peak_bytes })
}

/// Waits for the child and returns its exit status, peak resident set and standard
/// error. The stderr pipe is drained on a thread so a chatty child never blocks.
#[cfg(unix)]
fn wait_with_peak(mut child: std::process::Child) -> std::io::Result<(std::process::ExitStatus, u64, Vec<u8>)> {
    use std::io::Read;
    use std::os::unix::process::ExitStatusExt;
    let mut pipe = child.stderr.take();
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(p) = pipe.as_mut() {
            let _ = p.read_to_end(&mut buf);
        }
        buf
    });
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: an all-zero rusage is a valid value of the plain C struct, and wait4 only
    // writes into the two pointers we pass, which live for the whole call.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = loop {
        // SAFETY: see above; pid is our own un-reaped child.
        let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if rc == -1 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
            continue;
        }
        break rc;
    };
    if rc == -1 {
        return Err(std::io::Error::last_os_error());
    }
    let stderr = reader.join().unwrap_or_default();
    // ru_maxrss is in kilobytes on Linux.
    let peak = u64::try_from(usage.ru_maxrss).unwrap_or(0) * 1024;
    Ok((std::process::ExitStatus::from_raw(status), peak, stderr))
}

#[cfg(not(unix))]
fn wait_with_peak(child: std::process::Child) -> std::io::Result<(std::process::ExitStatus, u64, Vec<u8>)> {
    let out = child.wait_with_output()?;
    Ok((out.status, 0, out.stderr))
}
