//! Writing datasets: Parquet (and CSV on request), each written to a
//! temporary file in the same folder and renamed into place, so a reader
//! never sees half a file and a crash never leaves one.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use polars::prelude::*;

/// Why an output could not be written.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// The file system refused.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file being written.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// polars could not encode the data.
    #[error("cannot encode {path}: {source}")]
    Polars {
        /// The file being written.
        path: PathBuf,
        /// What polars said.
        source: PolarsError,
    },
}

/// Writes `path` atomically with `write`.
fn atomic(path: &Path, write: impl FnOnce(&mut File) -> Result<(), OutputError>) -> Result<(), OutputError> {
    let io = |source| OutputError::Io { path: path.to_owned(), source };
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    let mut file = File::create(&tmp).map_err(io)?;
    let written = write(&mut file).and_then(|()| file.sync_all().map_err(io));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    std::fs::rename(&tmp, path).map_err(io)
}

/// Writes a frame as Parquet (zstd).
///
/// # Errors
/// [`OutputError`] naming the file.
pub fn write_parquet(df: &mut DataFrame, path: &Path) -> Result<(), OutputError> {
    atomic(path, |f| {
        ParquetWriter::new(f)
            .with_compression(ParquetCompression::Zstd(None))
            .finish(df)
            .map(|_| ())
            .map_err(|source| OutputError::Polars { path: path.to_owned(), source })
    })
}

/// Writes a frame as CSV with a header.
///
/// # Errors
/// [`OutputError`] naming the file.
pub fn write_csv(df: &mut DataFrame, path: &Path) -> Result<(), OutputError> {
    atomic(path, |f| {
        CsvWriter::new(f)
            .include_header(true)
            .finish(df)
            .map_err(|source| OutputError::Polars { path: path.to_owned(), source })
    })
}

/// Writes text (a manifest, a report).
///
/// # Errors
/// [`OutputError`] naming the file.
pub fn write_text(text: &str, path: &Path) -> Result<(), OutputError> {
    atomic(path, |f| f.write_all(text.as_bytes()).map_err(|source| OutputError::Io { path: path.to_owned(), source }))
}

/// Reads a Parquet file back, for tests and later analysis.
///
/// # Errors
/// [`OutputError`] naming the file.
pub fn read_parquet(path: &Path) -> Result<DataFrame, OutputError> {
    let f = File::open(path).map_err(|source| OutputError::Io { path: path.to_owned(), source })?;
    ParquetReader::new(f).finish().map_err(|source| OutputError::Polars { path: path.to_owned(), source })
}
