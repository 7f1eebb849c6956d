//! What some end-to-end tests need beyond the binary, set up on first use so that a
//! plain `cargo test` works on a machine with only a Rust toolchain and Python 3:
//!
//! - Python tools in virtual environments under `~/.cache/trailsight/`, one per pinned
//!   requirements file ([`MOTO`], [`OCSF`], [`SPARK`]), made on first use: under a file
//!   lock (several test binaries and threads may ask at once) and with an
//!   install-complete stamp named after the file's hash (a half-made venv, or one from
//!   older requirements, is made again).
//! - Java (Spark's local mode) and Chromium (the report page), from the system.
//!
//! A component that cannot be had makes its test say on stderr that it was skipped and
//! why, and return; except when the `CI` variable is set, where it fails the test: CI
//! never skips silently.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;

/// A virtual environment made from one requirements file.
pub struct Venv {
    /// The folder under `~/.cache/trailsight/`.
    pub dir: &'static str,
    /// The requirements file, from the repository's root.
    pub requirements: &'static str,
    /// A variable naming a Python that already has the tools (then nothing is made).
    pub python_var: &'static str,
}

/// moto's S3 and EventBridge server (tests/s3.rs, tests/sinks_aws.rs).
pub const MOTO: Venv = Venv { dir: "venv-moto", requirements: "tests/requirements/moto.txt", python_var: "TRAILSIGHT_TEST_PYTHON" };
/// The official OCSF JSON schema and a validator (tests/sinks.rs).
pub const OCSF: Venv = Venv { dir: "venv-ocsf", requirements: "tests/requirements/ocsf.txt", python_var: "TRAILSIGHT_TEST_PYTHON" };
/// pyspark and pyarrow for the Spark job (tests/spark.rs).
pub const SPARK: Venv = Venv { dir: "venv-spark", requirements: "jobs/spark/requirements.txt", python_var: "TRAILSIGHT_SPARK_PYTHON" };

/// `Some(value)`, or `None` after saying on stderr that the test is skipped and why;
/// under CI a panic instead.
pub fn or_skip<T>(what: &str, found: Result<T, String>) -> Option<T> {
    match found {
        Ok(value) => Some(value),
        Err(why) if std::env::var_os("CI").is_some() => panic!("{what} is needed and CI must run every test: {why}"),
        Err(why) => {
            // Straight to stderr, not through eprintln!: libtest captures the print macros
            // of a passing test, and a skip must be seen without --nocapture.
            use std::io::Write;
            let line = format!("SKIPPED: {what} cannot be had here, so what needs it in this test did not run: {why}\n");
            let _ = std::io::stderr().lock().write_all(line.as_bytes());
            None
        }
    }
}

/// The Python of `venv`, made on first use (module doc); `None` when the test is to be
/// skipped ([`or_skip`]).
pub fn python(venv: &Venv) -> Option<PathBuf> {
    if let Some(python) = std::env::var_os(venv.python_var) {
        return Some(PathBuf::from(python));
    }
    // One thread of this binary makes a venv while the others wait here; other binaries
    // wait on the file lock.
    static MADE: Mutex<Vec<(&str, Result<PathBuf, String>)>> = Mutex::new(Vec::new());
    let mut made = MADE.lock().unwrap_or_else(|e| e.into_inner());
    let found = match made.iter().find(|(dir, _)| *dir == venv.dir) {
        Some((_, found)) => found.clone(),
        None => {
            let found = make(venv);
            made.push((venv.dir, found.clone()));
            found
        }
    };
    or_skip(&format!("Python with {}", venv.requirements), found)
}

/// `~/.cache/trailsight`.
fn cache() -> Result<PathBuf, String> {
    let home = std::env::var_os("HOME").filter(|h| !h.is_empty()).ok_or("HOME is not set")?;
    Ok(PathBuf::from(home).join(".cache/trailsight"))
}

/// Makes `venv` unless its stamp says it is complete for these requirements.
fn make(venv: &Venv) -> Result<PathBuf, String> {
    let requirements = Path::new(env!("CARGO_MANIFEST_DIR")).join(venv.requirements);
    let text = std::fs::read(&requirements).map_err(|e| format!("{}: {e}", requirements.display()))?;
    let cache = cache()?;
    std::fs::create_dir_all(&cache).map_err(|e| format!("{}: {e}", cache.display()))?;
    let dir = cache.join(venv.dir);
    let python = dir.join("bin/python");
    let stamp = dir.join(format!(".requirements-{}", &hex::encode(ring::digest::digest(&ring::digest::SHA256, &text))[..16]));
    let _lock = Lock::exclusive(&cache.join(format!("{}.lock", venv.dir)))?;
    if stamp.exists() && python.exists() {
        return Ok(python);
    }
    eprintln!("installing {} into {} (first use only; a minute or more)", venv.requirements, dir.display());
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(|e| format!("cannot remove the unfinished {}: {e}", dir.display()))?;
    }
    let log = cache.join(format!("{}.log", venv.dir));
    run(Command::new("python3").arg("-m").arg("venv").arg(&dir), &log)
        .map_err(|why| format!("python3 -m venv {} failed ({why}): Python 3 with its venv module is needed (Debian: apt-get install python3-venv)", dir.display()))?;
    let pip = ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--retries", "2", "-r"];
    run(Command::new(&python).args(pip).arg(&requirements), &log)
        .map_err(|why| format!("pip could not install {} (is PyPI reachable?): {why}", venv.requirements))?;
    std::fs::write(&stamp, b"").map_err(|e| format!("{}: {e}", stamp.display()))?;
    Ok(python)
}

/// Runs `command` with its output appended to `log`; on failure, why with the log's end.
fn run(command: &mut Command, log: &Path) -> Result<(), String> {
    let file = std::fs::OpenOptions::new().create(true).append(true).open(log).map_err(|e| format!("{}: {e}", log.display()))?;
    let err = file.try_clone().map_err(|e| e.to_string())?;
    let status = command.stdin(Stdio::null()).stdout(file).stderr(err).status().map_err(|e| format!("cannot run {:?}: {e}", command.get_program()))?;
    if status.success() {
        return Ok(());
    }
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let tail: Vec<&str> = text.lines().rev().take(12).collect();
    let tail: Vec<&str> = tail.into_iter().rev().collect();
    Err(format!("{status}; the end of {}:\n{}", log.display(), tail.join("\n")))
}

/// An exclusive `flock` on a file, released when dropped (or when the process dies).
struct Lock(std::fs::File);

impl Lock {
    fn exclusive(path: &Path) -> Result<Self, String> {
        use std::os::fd::AsRawFd;
        let file = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(path).map_err(|e| format!("{}: {e}", path.display()))?;
        loop {
            // SAFETY: flock on a descriptor this function owns.
            if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } == 0 {
                return Ok(Self(file));
            }
            let e = std::io::Error::last_os_error();
            if e.kind() != std::io::ErrorKind::Interrupted {
                return Err(format!("cannot lock {}: {e}", path.display()));
            }
        }
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        use std::os::fd::AsRawFd;
        // SAFETY: unlocks the descriptor this value owns (closing it would too).
        unsafe { libc::flock(self.0.as_raw_fd(), libc::LOCK_UN) };
    }
}

/// `java` (Java 17 or newer, what Spark 4 needs); `None` when the test is skipped.
pub fn java() -> Option<PathBuf> {
    or_skip("Java 17 or newer (Debian: apt-get install openjdk-17-jre-headless)", find_java())
}

fn find_java() -> Result<PathBuf, String> {
    let java = std::env::var_os("JAVA_HOME").map(|home| PathBuf::from(home).join("bin/java")).filter(|j| j.exists()).unwrap_or_else(|| PathBuf::from("java"));
    let out = Command::new(&java).arg("-version").output().map_err(|e| format!("cannot run {}: {e}", java.display()))?;
    let text = String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&out.stdout);
    let quoted = text.split('"').nth(1).unwrap_or("");
    let major: u32 = quoted.split(['.', '-', '+']).next().and_then(|m| m.parse().ok()).unwrap_or(0);
    if !out.status.success() || major < 17 {
        return Err(format!("{} -version says {:?}", java.display(), text.lines().next().unwrap_or("")));
    }
    Ok(java)
}

/// Headless Chromium (or Chrome); `None` when the test is skipped.
pub fn chromium() -> Option<PathBuf> {
    let found = ["chromium", "chromium-browser", "google-chrome"].iter().find_map(|name| {
        std::env::var_os("PATH").and_then(|paths| std::env::split_paths(&paths).map(|d| d.join(name)).find(|p| p.is_file()))
    });
    or_skip("Chromium (Debian: apt-get install chromium)", found.ok_or_else(|| "no chromium, chromium-browser or google-chrome on PATH".to_string()))
}
