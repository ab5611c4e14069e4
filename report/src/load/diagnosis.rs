//! Why a dataset could not be read, said so that the user knows what to do: every [`LoadError`]
//! names the path, what is wrong with it and the one fix that applies.
//!
//! Two moments. Before the manifest is read, [`locate`] looks at the path given with `--dataset`
//! (a few `stat`s, so a good dataset pays nothing): a path that does not exist, a file, the
//! dataset's own `v1/` or a directory inside it (the fix is then the dataset directory, named),
//! a directory that holds a dataset one level down, an empty directory. Once something read
//! fails, [`read_failed`] turns the dataset crate's error (a missing, truncated or changed shard,
//! a manifest that does not parse, a registry with bad lines) into the problem and its fix.
//!
//! The fix depends on where the damaged file came from, and only git knows. When the dataset
//! sits in a work tree (a `.git` above it), git is asked, read-only, about that one file
//! (`ls-tree`, `diff --quiet`): a committed file that was changed or deleted is restored by
//! `git checkout`, which no edgebench command can do better; a file git does not track is the
//! user's own data, for `dataset validate` to diagnose (and `dataset repair` only for what it
//! repairs: a missing manifest rebuilt from the shards present). Nothing here writes.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::Command;

use edgebench_dataset::manifest::MANIFEST_FILE;
use edgebench_dataset::model_registry::RegistryError;
use edgebench_dataset::schema::v1::VERSION_DIR;

/// Why the dataset could not be read: the problem (naming the path) and what to do about it.
#[derive(Debug, thiserror::Error)]
#[error("{problem}\n  fix: {fix}")]
pub struct LoadError {
    /// The path the problem is about: the dataset directory, or the file in it that failed.
    pub path: PathBuf,
    pub problem: String,
    pub fix: String,
}

impl LoadError {
    fn new(path: &Path, problem: String, fix: String) -> LoadError {
        LoadError { path: path.to_path_buf(), problem, fix }
    }
}

/// Checks that `root` is a dataset directory (it holds `v1/MANIFEST.json`), and if not, says
/// what it is instead and which path to pass.
pub(super) fn locate(root: &Path) -> Result<(), LoadError> {
    let shown = root.display();
    let metadata = match std::fs::metadata(root) {
        Ok(metadata) => metadata,
        Err(e) if e.kind() == ErrorKind::NotFound => {
            return Err(LoadError::new(root, format!("dataset directory {shown} does not exist"), pass_a_dataset()));
        }
        Err(e) => {
            return Err(LoadError::new(
                root,
                format!("dataset directory {shown} cannot be read: {e}"),
                "check the path and its permissions, or pass another dataset directory with --dataset".to_owned(),
            ));
        }
    };
    if !metadata.is_dir() {
        return Err(match enclosing_dataset(root) {
            Some(dataset) => LoadError::new(
                root,
                format!("{shown} is a file of the dataset {}, not the dataset directory", dataset.display()),
                format!("pass the dataset directory itself: --dataset {}", shell_word(&dataset)),
            ),
            None => LoadError::new(root, format!("{shown} is a file, not a dataset directory"), pass_a_dataset()),
        });
    }
    if root.join(VERSION_DIR).join(MANIFEST_FILE).is_file() {
        return Ok(());
    }
    if let Some(dataset) = enclosing_dataset(root) {
        let to = shell_word(&dataset);
        return Err(if is_version_dir_of(root, &dataset) {
            LoadError::new(
                root,
                format!("{shown} is the {VERSION_DIR}/ directory of the dataset {}, not the dataset directory", dataset.display()),
                format!("pass its parent, the dataset directory: --dataset {to}"),
            )
        } else {
            LoadError::new(
                root,
                format!("{shown} is a directory inside the dataset {}, not the dataset directory", dataset.display()),
                format!("pass the dataset directory itself: --dataset {to}"),
            )
        });
    }
    if let Some(child) = dataset_below(root) {
        return Err(LoadError::new(
            root,
            format!("{shown} is not a dataset directory (it has no {VERSION_DIR}/{MANIFEST_FILE}), but {} is", child.display()),
            format!("pass that directory: --dataset {}", shell_word(&child)),
        ));
    }
    let version_dir = root.join(VERSION_DIR);
    if version_dir.is_dir() {
        let manifest = version_dir.join(MANIFEST_FILE);
        let fix = match git_file(root, &manifest) {
            GitFile::Changed | GitFile::Staged => restore_with_git(root, GitFile::Changed),
            GitFile::Unavailable => format!(
                "if {shown} is the committed dataset of an edgebench clone, `git checkout -- {}` restores it; otherwise \
                 `dataset repair {}` lists the shards present in a new manifest",
                shell_word(root),
                shell_word(root)
            ),
            _ => format!("`dataset repair {}` lists the shards present in a new manifest", shell_word(root)),
        };
        return Err(LoadError::new(
            &manifest,
            format!("{} is missing: {shown} has a {VERSION_DIR}/ directory but no list of its shards", manifest.display()),
            fix,
        ));
    }
    let empty = std::fs::read_dir(root).map(|mut entries| entries.next().is_none()).unwrap_or(false);
    let problem = if empty {
        format!("{shown} is an empty directory, not an edgebench dataset")
    } else {
        format!("{shown} is not an edgebench dataset: it has no {VERSION_DIR}/{MANIFEST_FILE}")
    };
    Err(LoadError::new(root, problem, pass_a_dataset()))
}

/// The error of a read that failed in the dataset at `root` (manifest, shard or registry), with
/// the fix for where that file came from.
pub(super) fn read_failed(root: &Path, error: edgebench_dataset::Error) -> LoadError {
    use edgebench_dataset::Error;
    match error {
        Error::Io { path, source } if source.kind() == ErrorKind::NotFound => {
            let listed = if path.extension().is_some_and(|e| e == "parquet") {
                format!(", though {} lists it", root.join(VERSION_DIR).join(MANIFEST_FILE).display())
            } else {
                String::new()
            };
            let fix = restore(root, &path);
            LoadError::new(&path, format!("{} is missing{listed}", path.display()), fix)
        }
        Error::Io { path, source } if source.kind() == ErrorKind::PermissionDenied => LoadError::new(
            &path,
            format!("{} cannot be read: {source}", path.display()),
            "give yourself read permission on the dataset's files (or run as their owner)".to_owned(),
        ),
        Error::Io { path, source } => {
            let fix = restore(root, &path);
            LoadError::new(&path, format!("{} cannot be read: {source}", path.display()), fix)
        }
        Error::Format { path, message } => {
            let fix = restore(root, &path);
            LoadError::new(&path, format!("{}: {message}", path.display()), fix)
        }
        other @ (Error::InvalidRows(_) | Error::Locked { .. }) => LoadError::new(
            root,
            format!("{}: {other}", root.display()),
            format!("`dataset validate {}` lists every problem with its fix", shell_word(root)),
        ),
    }
}

/// The error of a model registry (`models.jsonl`) that does not read or whose lines are wrong:
/// every label would silently change, so it stops the build like a damaged shard.
pub(super) fn registry_failed(root: &Path, error: RegistryError) -> LoadError {
    let path = match &error {
        RegistryError::Unreadable { path, .. } | RegistryError::Invalid { path, .. } => path.clone(),
    };
    let fix = match (&error, git_file(root, &path)) {
        (_, state @ (GitFile::Changed | GitFile::Staged)) => restore_with_git(root, state),
        // Each line's problem carries its own fix (the registry's renderer adds it).
        (RegistryError::Invalid { .. }, _) => format!("correct each line of {} as it says", path.display()),
        _ => restore(root, &path),
    };
    LoadError::new(&path, error.to_string(), fix)
}

/// What to pass when `--dataset` names no dataset at all.
fn pass_a_dataset() -> String {
    format!(
        "pass the directory that holds {VERSION_DIR}/{MANIFEST_FILE} with --dataset (from the root of an edgebench \
         clone, the default `dataset` is the committed one)"
    )
}

/// The nearest directory above `path` (not `path` itself) that holds `v1/MANIFEST.json`, as the
/// user would write it: lexically from the path given, else from its absolute form.
fn enclosing_dataset(path: &Path) -> Option<PathBuf> {
    let holds_dataset = |dir: &Path| dir.join(VERSION_DIR).join(MANIFEST_FILE).is_file();
    let lexical = path.ancestors().skip(1).map(|a| if a.as_os_str().is_empty() { Path::new(".") } else { a });
    if let Some(found) = lexical.into_iter().find(|a| holds_dataset(a)) {
        return Some(found.to_path_buf());
    }
    // `.` or `..` components: the lexical parents are not the real ones.
    let absolute = std::fs::canonicalize(path).ok()?;
    absolute.ancestors().skip(1).find(|a| holds_dataset(a)).map(Path::to_path_buf)
}

/// Whether `dir` is `dataset`'s `v1/` directory itself.
fn is_version_dir_of(dir: &Path, dataset: &Path) -> bool {
    match (std::fs::canonicalize(dir), std::fs::canonicalize(dataset.join(VERSION_DIR))) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// A directory directly below `dir` that is a dataset (the first by name), for a user who passed
/// the repository root or the folder a dataset was unpacked into.
fn dataset_below(dir: &Path) -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join(VERSION_DIR).join(MANIFEST_FILE).is_file())
        .collect();
    found.sort();
    found.into_iter().next()
}

/// What git knows about one file of the dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GitFile {
    /// No `.git` above the dataset: not a clone.
    NoRepository,
    /// A `.git` above it, but git could not be asked (not installed, refused the directory).
    Unavailable,
    /// Not in the last commit (untracked, or only added since): data of the user's own.
    Untracked,
    /// Committed; the index still has the committed file, the work tree's differs (changed,
    /// truncated or deleted): `git checkout -- <dir>` restores it from the index.
    Changed,
    /// Committed, but the index differs from the commit (a change or deletion was staged):
    /// only `git checkout HEAD -- <dir>` restores it.
    Staged,
    /// As committed, in the index and the work tree.
    Committed,
}

/// Asks git, read-only, about `file` (a path under `root`), when the dataset is in a work tree.
fn git_file(root: &Path, file: &Path) -> GitFile {
    let Ok(absolute) = std::fs::canonicalize(root) else { return GitFile::NoRepository };
    if !absolute.ancestors().any(|a| a.join(".git").exists()) {
        return GitFile::NoRepository;
    }
    let relative = file.strip_prefix(root).unwrap_or(file);
    let git = |args: &[&str]| {
        Command::new("git")
            .arg("-C")
            .arg(root)
            .args(args)
            .arg("--")
            .arg(relative)
            // Never take the index lock, even for the stat refresh `diff` may do.
            .env("GIT_OPTIONAL_LOCKS", "0")
            .output()
    };
    // `ls-tree` fails without a commit (a fresh `git init`): nothing is committed then.
    let in_head = match git(&["ls-tree", "--name-only", "HEAD"]) {
        Err(_) => return GitFile::Unavailable,
        Ok(o) => o.status.success() && !o.stdout.is_empty(),
    };
    if !in_head {
        // Still make sure git answers at all in this directory (it may refuse it as unsafe).
        return match git(&["ls-files"]) {
            Ok(o) if o.status.success() => GitFile::Untracked,
            _ => GitFile::Unavailable,
        };
    }
    // `diff --quiet` exits 1 when there is a difference, 0 when none.
    match git(&["diff", "--cached", "--quiet", "HEAD"]).map(|o| o.status.code()) {
        Ok(Some(1)) => return GitFile::Staged,
        Ok(Some(0)) => {}
        _ => return GitFile::Unavailable,
    }
    match git(&["diff", "--quiet"]).map(|o| o.status.code()) {
        Ok(Some(1)) => GitFile::Changed,
        Ok(Some(0)) => GitFile::Committed,
        _ => GitFile::Unavailable,
    }
}

/// The fix for a file of the dataset at `root` that is missing or does not read, by where it
/// came from.
fn restore(root: &Path, file: &Path) -> String {
    let dir = shell_word(root);
    match git_file(root, file) {
        state @ (GitFile::Changed | GitFile::Staged) => restore_with_git(root, state),
        GitFile::Committed => format!(
            "the file is as committed, so this build of report cannot read the checkout's data: build report from the \
             same checkout (`cargo run --release -p report -- build`); `dataset validate {dir}` gives a full diagnosis"
        ),
        GitFile::Untracked => {
            format!("git does not track the file, so it is data of your own: `dataset validate {dir}` lists every problem with its fix")
        }
        GitFile::Unavailable => format!(
            "if {} is the committed dataset of an edgebench clone, `git checkout -- {dir}` restores it; otherwise \
             `dataset validate {dir}` lists every problem with its fix",
            root.display()
        ),
        GitFile::NoRepository => format!(
            "if {} is a copy, copy it again from where it came from; otherwise `dataset validate {dir}` lists every \
             problem with its fix",
            root.display()
        ),
    }
}

/// `git checkout` of the dataset directory, from the index (`Changed`) or the last commit
/// (`Staged`), in a form that works from the current directory.
fn restore_with_git(root: &Path, state: GitFile) -> String {
    let source = if state == GitFile::Staged { "HEAD " } else { "" };
    let command = if current_dir_shares_work_tree(root) {
        format!("git checkout {source}-- {}", shell_word(root))
    } else {
        format!("git -C {} checkout {source}-- .", shell_word(root))
    };
    format!(
        "restore the committed files: `{command}` (this also undoes any other uncommitted change under {})",
        root.display()
    )
}

/// Whether the current directory is in the same git work tree as `root` (so that a pathspec
/// relative to it works), judged by the nearest `.git` above each.
fn current_dir_shares_work_tree(root: &Path) -> bool {
    let top = |dir: PathBuf| dir.ancestors().find(|a| a.join(".git").exists()).map(Path::to_path_buf);
    let here = std::env::current_dir().ok().and_then(|d| std::fs::canonicalize(d).ok()).and_then(top);
    let there = std::fs::canonicalize(root).ok().and_then(top);
    here.is_some() && here == there
}

/// `path` as one shell word: as is when it is plain, else single-quoted.
fn shell_word(path: &Path) -> String {
    let text = path.display().to_string();
    if !text.is_empty() && text.chars().all(|c| c.is_ascii_alphanumeric() || "/._-+=:,@".contains(c)) {
        text
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_become_one_shell_word() {
        assert_eq!(shell_word(Path::new("dataset")), "dataset");
        assert_eq!(shell_word(Path::new("/tmp/my data")), "'/tmp/my data'");
        assert_eq!(shell_word(Path::new("it's")), r"'it'\''s'");
    }
}
