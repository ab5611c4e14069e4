//! One worker process seen from the parent: spawn `collect worker`, hand it its [`Job`], collect
//! its [`Event`]s under a time limit, and reap it with the kernel's account of its resources.
//!
//! Shared by `collect run` ([`crate::campaign`]) and `collect profile` ([`crate::profile`]): both
//! measure in a fresh process, so that a crash, an out-of-memory kill or a hang of llama.cpp costs
//! one run and never the collector. What the parent does around the process (telemetry, rows) stays
//! with its caller; the `on_spawn` hook runs between the spawn and the hand-over of the job, so a
//! sampler started there sees the whole life of the model in the worker.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::telemetry::monotonic_ns;
use crate::worker::{Event, Job};

/// What the worker's stderr (llama.cpp's log) tells the parent: its last bytes, for failure
/// reasons, and every buffer-size line, wherever it falls (they come early, during load).
#[derive(Debug, Default)]
pub struct WorkerLog {
    pub tail: String,
    pub buffer_lines: Vec<String>,
}

/// Everything the parent learnt from one worker process.
#[derive(Debug)]
pub struct Finished {
    /// Events in the order the worker wrote them; those before a crash are kept.
    pub events: Vec<Event>,
    pub status: ExitStatus,
    /// The kernel's high-water mark of the worker's resident set (`ru_maxrss`).
    pub kernel_peak_rss: Option<u64>,
    /// The worker ran past its time limit and was killed.
    pub timed_out: bool,
    pub log: WorkerLog,
    /// CLOCK_MONOTONIC just before the spawn and just after the reaping.
    pub spawned_ns: u64,
    pub ended_ns: u64,
    /// CPU time the parent used (all its threads) while the worker lived.
    pub parent_cpu_ms: Option<f64>,
}

/// Bytes of the worker's stderr kept for failure reasons.
const LOG_TAIL_BYTES: usize = 64 * 1024;

/// Runs one worker to its end. `on_spawn` receives the worker's pid before the job is handed
/// over; its result is returned with the outcome. `on_event` sees each event as it arrives
/// (progress). `Err` only when the worker cannot be started or waited for.
pub fn run_worker<S>(
    exe: &Path,
    job: &Job,
    time_limit: Duration,
    on_spawn: impl FnOnce(u32) -> S,
    on_event: &mut dyn FnMut(&Event),
) -> Result<(Finished, S), String> {
    let spawned_ns = monotonic_ns();
    let parent_cpu_start = own_cpu_ms();
    let mut child = Command::new(exe)
        .arg("worker")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start the worker {}: {e}", exe.display()))?;
    let hooked = on_spawn(child.id());
    {
        let mut stdin = child.stdin.take().expect("piped");
        let line = serde_json::to_string(job).expect("job serialises");
        // A worker that dies at once closes its stdin; its exit status tells why.
        let _ = writeln!(stdin, "{line}");
    }
    let stderr = log_reader(child.stderr.take().expect("piped"), LOG_TAIL_BYTES);
    let stdout = child.stdout.take().expect("piped");
    let (tx, rx) = mpsc::channel::<Event>();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Ok(event) = serde_json::from_str::<Event>(&line)
                && tx.send(event).is_err()
            {
                break;
            }
        }
    });
    let deadline = Instant::now() + time_limit;
    let mut events = Vec::new();
    let mut timed_out = false;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(event) => {
                on_event(&event);
                events.push(event);
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                timed_out = true;
                let _ = child.kill();
                break;
            }
        }
    }
    let (status, kernel_peak_rss) = wait_with_rusage(&mut child)?;
    let _ = reader.join();
    let ended_ns = monotonic_ns();
    let parent_cpu_ms = own_cpu_ms().zip(parent_cpu_start).map(|(end, start)| end - start);
    let log = stderr.join().unwrap_or_default();
    Ok((Finished { events, status, kernel_peak_rss, timed_out, log, spawned_ns, ended_ns, parent_cpu_ms }, hooked))
}

fn log_reader(stream: impl Read + Send + 'static, limit: usize) -> std::thread::JoinHandle<WorkerLog> {
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stream);
        let mut kept: Vec<u8> = Vec::new();
        let mut buffer_lines = Vec::new();
        let mut line = Vec::new();
        while let Ok(n) = reader.read_until(b'\n', &mut line) {
            if n == 0 {
                break;
            }
            let text = String::from_utf8_lossy(&line);
            if text.contains(" buffer size = ") {
                buffer_lines.push(text.trim_end().to_owned());
            }
            kept.extend_from_slice(&line);
            line.clear();
            if kept.len() > 2 * limit {
                kept.drain(..kept.len() - limit);
            }
        }
        let start = kept.len().saturating_sub(limit);
        WorkerLog { tail: String::from_utf8_lossy(&kept[start..]).into_owned(), buffer_lines }
    })
}

/// The lines of llama.cpp's log that explain a failure.
pub fn explain(stderr: &str) -> Option<String> {
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| {
            let l = l.to_ascii_lowercase();
            l.contains("error") || l.contains("failed") || l.contains("unknown") || l.contains("not supported") || l.contains("abort")
        })
        .collect();
    let picked = &lines[lines.len().saturating_sub(3)..];
    (!picked.is_empty()).then(|| picked.iter().map(|l| l.trim()).collect::<Vec<_>>().join(" | "))
}

/// CPU time (user + system) this process has used so far, all threads, in ms.
fn own_cpu_ms() -> Option<f64> {
    // SAFETY: rusage is plain data that getrusage fills.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: a valid pointer to a rusage.
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } != 0 {
        return None;
    }
    let ms = |t: libc::timeval| t.tv_sec as f64 * 1000.0 + t.tv_usec as f64 / 1000.0;
    Some(ms(usage.ru_utime) + ms(usage.ru_stime))
}

/// Waits for the worker and returns its exit status and the kernel's peak RSS of it (`ru_maxrss`).
fn wait_with_rusage(child: &mut std::process::Child) -> Result<(ExitStatus, Option<u64>), String> {
    use std::os::unix::process::ExitStatusExt;
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain data; wait4 fills it for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: pid is our child, not yet reaped.
        let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if rc == pid {
            // Linux reports ru_maxrss in KiB.
            let peak = u64::try_from(usage.ru_maxrss).ok().filter(|&k| k > 0).map(|k| k * 1024);
            return Ok((ExitStatus::from_raw(status), peak));
        }
        let err = std::io::Error::last_os_error();
        if err.kind() != std::io::ErrorKind::Interrupted {
            return Err(format!("cannot wait for the worker: {err}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::log_reader;

    #[test]
    fn the_log_reader_keeps_buffer_lines_beyond_the_tail() {
        let mut text = String::from("load_tensors:        CUDA0 model buffer size =   100.00 MiB\n");
        for i in 0..5000 {
            text.push_str(&format!("filler line {i}\n"));
        }
        let log = log_reader(std::io::Cursor::new(text.into_bytes()), 1024).join().unwrap();
        assert_eq!(log.buffer_lines, vec!["load_tensors:        CUDA0 model buffer size =   100.00 MiB".to_owned()]);
        assert!(log.tail.len() <= 1024 && log.tail.ends_with("filler line 4999\n"), "{}", log.tail.len());
    }
}
