//! The one door to git: the base commit's dataset, and the commits rows name as provenance.
//!
//! Everything goes through the `git` command line (no library), read-only: the checker never
//! touches the index or the working tree. The base's dataset is unpacked with `git archive` into
//! a private temporary directory, so it can be read by the same code as the working tree.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A dataset directory inside a git work tree.
pub struct Repo {
    /// The work tree's top directory.
    top: PathBuf,
    /// The dataset directory relative to `top` (`dataset/`, or empty at the top), with `/`.
    prefix: String,
    /// Commit existence and version files, asked once per commit.
    cache: HashMap<String, CommitFacts>,
}

/// What the checker needs to know about a commit a row names.
#[derive(Clone, Debug)]
pub struct CommitFacts {
    /// Whether the commit is HEAD or one of its ancestors.
    pub in_history: bool,
    /// `collector/Cargo.toml`'s package version at that commit (through the workspace's
    /// `[workspace.package]` when the crate inherits it); None when absent.
    pub collector_version: Option<String>,
    /// Version of `llama-cpp-sys-2` in `Cargo.lock` at that commit; None when absent.
    pub llama_cpp_sys_version: Option<String>,
}

impl Repo {
    /// The repository holding `dataset_dir`; Err when it is not inside a git work tree.
    pub fn discover(dataset_dir: &Path) -> Result<Repo, String> {
        let top = git(dataset_dir, &["rev-parse", "--show-toplevel"])
            .map_err(|e| format!("{}: not inside a git work tree ({e})", dataset_dir.display()))?;
        let prefix = git(dataset_dir, &["rev-parse", "--show-prefix"])?;
        Ok(Repo { top: PathBuf::from(top.trim()), prefix: prefix.trim().to_owned(), cache: HashMap::new() })
    }

    /// The full hash of `rev` (a branch, tag or hash); Err when it names no commit.
    pub fn resolve(&self, rev: &str) -> Result<String, String> {
        if rev.starts_with('-') {
            return Err(format!("`{rev}` is not a revision"));
        }
        git(&self.top, &["rev-parse", "--verify", "--quiet", &format!("{rev}^{{commit}}")])
            .map(|s| s.trim().to_owned())
            .map_err(|_| format!("`{rev}` names no commit of {} (fetch the target branch first, e.g. `git fetch origin main`)", self.top.display()))
    }

    /// Unpacks the dataset directory (`v1/` only) as it is at `commit` into `into`. Returns false,
    /// writing nothing, when the commit has no dataset there (a repository's first contribution).
    pub fn unpack_dataset(&self, commit: &str, into: &Path) -> Result<bool, String> {
        let v1 = format!("{}{}", self.prefix, crate::schema::v1::VERSION_DIR);
        let manifest = format!("{commit}:{v1}/{}", crate::manifest::MANIFEST_FILE);
        if git(&self.top, &["cat-file", "-e", &manifest]).is_err() {
            return Ok(false);
        }
        let mut archive = Command::new("git")
            .current_dir(&self.top)
            .args(["archive", "--format=tar", commit, "--", &v1])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run git: {e}"))?;
        let stdout = archive.stdout.take().expect("piped");
        std::fs::create_dir_all(into).map_err(|e| format!("{}: {e}", into.display()))?;
        let tar = Command::new("tar")
            .current_dir(into)
            .args(["-x", "-f", "-"])
            .stdin(stdout)
            .output()
            .map_err(|e| format!("cannot run tar: {e}"))?;
        let archived = archive.wait_with_output().map_err(|e| format!("git archive: {e}"))?;
        if !archived.status.success() {
            return Err(format!("git archive {commit}: {}", String::from_utf8_lossy(&archived.stderr).trim()));
        }
        if !tar.status.success() {
            return Err(format!("tar: {}", String::from_utf8_lossy(&tar.stderr).trim()));
        }
        // The archive keeps the prefix: move its v1/ up to `into/v1`.
        if !self.prefix.is_empty() {
            let nested = into.join(&self.prefix).join(crate::schema::v1::VERSION_DIR);
            std::fs::rename(&nested, into.join(crate::schema::v1::VERSION_DIR))
                .map_err(|e| format!("{}: {e}", nested.display()))?;
        }
        Ok(true)
    }

    /// Facts about `commit` (a 40-hex hash), asked of git once.
    pub fn commit_facts(&mut self, commit: &str) -> CommitFacts {
        if let Some(f) = self.cache.get(commit) {
            return f.clone();
        }
        let exists = git(&self.top, &["cat-file", "-e", &format!("{commit}^{{commit}}")]).is_ok();
        let in_history = exists && git(&self.top, &["merge-base", "--is-ancestor", commit, "HEAD"]).is_ok();
        let facts = if exists {
            let show = |path: &str| git(&self.top, &["show", &format!("{commit}:{path}")]).ok();
            let collector_version = show("collector/Cargo.toml").and_then(|crate_toml| {
                package_version(&crate_toml, "package")
                    .or_else(|| show("Cargo.toml").and_then(|ws| package_version(&ws, "workspace.package")))
            });
            let llama_cpp_sys_version = show("Cargo.lock").and_then(|lock| locked_version(&lock, "llama-cpp-sys-2"));
            CommitFacts { in_history, collector_version, llama_cpp_sys_version }
        } else {
            CommitFacts { in_history: false, collector_version: None, llama_cpp_sys_version: None }
        };
        self.cache.insert(commit.to_owned(), facts.clone());
        facts
    }
}

/// Runs git in `dir`; stdout on success, stderr as the error.
fn git(dir: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_owned())
    }
}

/// `version = "x"` in the `[section]` of a Cargo.toml (a literal string, not `.workspace = true`).
/// A line scan rather than a TOML parser: Cargo writes these lines in this one form, and a miss
/// is reported as "cannot confirm", never as a pass.
fn package_version(toml: &str, section: &str) -> Option<String> {
    let header = format!("[{section}]");
    let mut inside = false;
    for line in toml.lines().map(str::trim) {
        if line.starts_with('[') {
            inside = line == header;
        } else if inside && let Some(rest) = line.strip_prefix("version") {
            let value = rest.trim_start().strip_prefix('=')?.trim();
            return value.strip_prefix('"')?.split('"').next().map(str::to_owned);
        }
    }
    None
}

/// The version of package `name` in a Cargo.lock (the first entry of that name).
fn locked_version(lock: &str, name: &str) -> Option<String> {
    let wanted = format!("name = \"{name}\"");
    let mut lines = lock.lines().map(str::trim);
    while let Some(line) = lines.next() {
        if line == wanted {
            let version = lines.next()?.strip_prefix("version = \"")?;
            return version.split('"').next().map(str::to_owned);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_read_from_cargo_files() {
        let crate_toml = "[package]\nname = \"collector\"\nversion.workspace = true\n";
        assert_eq!(package_version(crate_toml, "package"), None);
        let ws = "[workspace]\nmembers = []\n\n[workspace.package]\nversion = \"0.1.0\"\nedition = \"2024\"\n";
        assert_eq!(package_version(ws, "workspace.package").as_deref(), Some("0.1.0"));
        assert_eq!(package_version("[package]\nversion = \"2.3.4\"\n", "package").as_deref(), Some("2.3.4"));
        let lock = "[[package]]\nname = \"llama-cpp-2\"\nversion = \"0.1.1\"\n\n[[package]]\nname = \"llama-cpp-sys-2\"\nversion = \"0.1.160\"\n";
        assert_eq!(locked_version(lock, "llama-cpp-sys-2").as_deref(), Some("0.1.160"));
        assert_eq!(locked_version(lock, "absent"), None);
    }
}
