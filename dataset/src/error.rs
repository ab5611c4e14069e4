use std::path::PathBuf;

/// Errors of the store and the shard codec. Each names the file it concerns.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    /// A file exists but is not what it should be (not Parquet, wrong schema, over a limit...).
    #[error("{}: {message}", path.display())]
    Format { path: PathBuf, message: String },
    /// Rows handed to the writer are not valid (wrong id, duplicate, failed check).
    #[error("{0}")]
    InvalidRows(String),
    #[error("{}: another process is writing this dataset; wait for it to finish", path.display())]
    Locked { path: PathBuf },
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io { path, source }
    }

    /// A file whose content is not what it should be.
    pub fn format(path: impl Into<PathBuf>, message: impl Into<String>) -> Error {
        Error::Format { path: path.into(), message: message.into() }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
