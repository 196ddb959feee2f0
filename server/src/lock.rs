//! The data folder's lock: one writer process at a time.
//!
//! `kashimap serve` and `kashimap import` write the store and the staging area, so each holds
//! an exclusive lock on `<store-dir>/kashimap.lock` for as long as it runs; a second one on
//! the same folder is refused with a message naming the holder. The lock is an advisory
//! `flock` held by an open file, so the kernel releases it when the process ends, however it
//! ends (`kill -9` included): a stale lock file never blocks a restart.
//!
//! The user and token commands do not take it: they only touch the identity database, which
//! SQLite serialises itself (WAL, busy timeout, migrations in one transaction), so that an
//! administrator can add a user while the server runs. `check` and `export-tiles` read the
//! store without writing anything and take no lock.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

const LOCK_FILE: &str = "kashimap.lock";

/// Why the data folder could not be locked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LockError {
    #[error(
        "the data folder {dir} is in use by another kashimap process ({holder}); stop it first, \
         or give this one another --data-dir"
    )]
    Busy { dir: PathBuf, holder: String },
    #[error("cannot lock the data folder {dir}: {source}")]
    Io {
        dir: PathBuf,
        source: std::io::Error,
    },
}

/// The held lock; released when dropped (or when the process ends).
#[derive(Debug)]
pub struct DataLock {
    _file: File,
    path: PathBuf,
}

impl DataLock {
    /// Takes the lock of `data_dir` (created if missing) for `command` (shown to whoever is
    /// refused), or says who holds it.
    pub fn acquire(data_dir: &Path, command: &str) -> Result<Self, LockError> {
        let io = |source| LockError::Io {
            dir: data_dir.to_path_buf(),
            source,
        };
        std::fs::create_dir_all(data_dir).map_err(io)?;
        let path = data_dir.join(LOCK_FILE);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim();
                return Err(LockError::Busy {
                    dir: data_dir.to_path_buf(),
                    holder: if holder.is_empty() {
                        "unknown".to_owned()
                    } else {
                        holder.to_owned()
                    },
                });
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        // Say who holds it, for the message of whoever is refused next.
        file.set_len(0).map_err(io)?;
        file.rewind().map_err(io)?;
        writeln!(file, "kashimap {command}, pid {}", std::process::id()).map_err(io)?;
        Ok(Self { _file: file, path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_with_the_first_ones_name() {
        let dir = tempfile::tempdir().unwrap();
        let first = DataLock::acquire(dir.path(), "serve").unwrap();
        let err = DataLock::acquire(dir.path(), "import").unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, LockError::Busy { .. }));
        assert!(text.contains("kashimap serve"), "{text}");
        assert!(
            text.contains(&format!("pid {}", std::process::id())),
            "{text}"
        );
        drop(first);
        DataLock::acquire(dir.path(), "import").unwrap();
    }
}
