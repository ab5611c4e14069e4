//! Nsight Systems SQLite export (`nsys export --type sqlite`): one row per kernel launch in
//! `CUPTI_ACTIVITY_KIND_KERNEL` (`start`, `end` in ns; the names are ids into `StringIds`).
//!
//! The file is someone else's and may be hostile, so SQLite never gets a chance to change or
//! create anything: the 100-byte header is checked by hand first (magic, page size, declared
//! size against the file's), then the file is opened read-only through an `immutable=1` URI (no
//! locks, no journal, no `-wal`/`-shm` files), with `query_only`, `trusted_schema=OFF` and
//! cell-size checks on, and a cap on string lengths. Only real tables are read (a view could
//! compute anything), and only the columns the query needs.

use std::collections::HashMap;
use std::path::Path;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};

use crate::aggregate::{LaunchTable, check_name, check_ns};
use crate::error::{At, ErrorKind, Problem};
use crate::{ImportedKernel, Limits};

pub(crate) const MAGIC: &[u8; 16] = b"SQLite format 3\0";
const KERNELS: &str = "CUPTI_ACTIVITY_KIND_KERNEL";
const STRINGS: &str = "StringIds";
const REEXPORT: &str = "export the report again with `nsys export --type sqlite -o REPORT.sqlite REPORT.nsys-rep`";

pub(crate) struct Parsed {
    pub tool_version: Option<String>,
    pub kernels: Vec<ImportedKernel>,
}

fn table(name: &str) -> At {
    At::Table(name.to_owned())
}

/// Checks the database header against the file before SQLite sees it.
pub(crate) fn check_header(header: &[u8], file_len: u64, limits: &Limits) -> Result<(), Problem> {
    let broken = |what: String| Problem::malformed(At::Nowhere, what, REEXPORT);
    if header.len() < 100 || file_len < 512 {
        return Err(broken(format!(
            "a SQLite file of {file_len} bytes is truncated (its header alone is 100 bytes, a page at least 512)"
        )));
    }
    let be16 = |at: usize| u16::from_be_bytes([header[at], header[at + 1]]) as u64;
    let be32 = |at: usize| u32::from_be_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]]) as u64;
    let page_size = match be16(16) {
        1 => 65_536,
        n => n,
    };
    if !(512..=65_536).contains(&page_size) || !page_size.is_power_of_two() {
        return Err(broken(format!("header page size {page_size} is not a power of two between 512 and 65536")));
    }
    if !file_len.is_multiple_of(page_size) {
        return Err(broken(format!(
            "file length {file_len} is not a multiple of its page size {page_size}: the file is truncated"
        )));
    }
    // The in-header page count is valid when the change counter matches "version-valid-for".
    let pages = be32(28);
    if pages != 0 && be32(24) == be32(92) {
        let declared = pages * page_size;
        if declared > limits.max_file_bytes {
            return Err(Problem::new(
                At::Nowhere,
                ErrorKind::TooLarge,
                format!(
                    "header declares {pages} pages of {page_size} bytes ({declared} bytes), more than the limit of {} bytes",
                    limits.max_file_bytes
                ),
                "this is not a real export, or it is too large to import: export a shorter capture",
            ));
        }
        if declared > file_len {
            return Err(broken(format!(
                "header declares {declared} bytes but the file has {file_len}: the file is truncated"
            )));
        }
    }
    Ok(())
}

/// `file:` URI of `path`, every byte outside the unreserved set percent-encoded.
fn uri(path: &Path) -> Result<String, Problem> {
    #[cfg(unix)]
    let bytes = std::os::unix::ffi::OsStrExt::as_bytes(path.as_os_str()).to_vec();
    #[cfg(not(unix))]
    let bytes = path
        .to_str()
        .ok_or_else(|| Problem::new(At::Nowhere, ErrorKind::Io, "the path is not UTF-8", "rename the file"))?
        .replace('\\', "/")
        .into_bytes();
    let mut out = String::from("file:");
    for b in bytes {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out.push_str("?immutable=1");
    Ok(out)
}

fn sql_error(at: At, e: rusqlite::Error, limits: &Limits) -> Problem {
    if let rusqlite::Error::SqliteFailure(f, _) = &e
        && f.code == rusqlite::ErrorCode::TooBig
    {
        return Problem::limit(
            at,
            format!("a value longer than {} bytes", limits.max_name_bytes),
            "this is not a name a profiler writes: check the file",
        );
    }
    Problem::malformed(at, format!("SQLite: {e}"), REEXPORT)
}

/// Reads the kernel launches of an export: the file is opened locked down, the tables and
/// columns the query needs are checked, the launches are read and grouped by name id, and each
/// distinct id is then looked up once in `StringIds`.
pub(crate) fn read(path: &Path, limits: &Limits) -> Result<Parsed, Problem> {
    let conn = open_locked_down(path, limits)?;
    let tables = real_tables(&conn, limits)?;
    check_tables(&tables)?;
    let name_col = kernel_name_column(&conn, limits)?;
    let by_id = durations_by_name_id(&conn, name_col, limits)?;
    let kernels = name_launches(&conn, by_id, limits)?;
    Ok(Parsed { tool_version: tool_version(&conn, &tables), kernels })
}

/// Opens `path` so that SQLite can neither change nor create anything, nor be led by the schema
/// to run functions, nor hold a string longer than any name we accept (see the module notes).
fn open_locked_down(path: &Path, limits: &Limits) -> Result<Connection, Problem> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(uri(path)?, flags).map_err(|e| sql_error(At::Nowhere, e, limits))?;
    let cap = i32::try_from(limits.max_name_bytes.saturating_add(1024)).unwrap_or(i32::MAX);
    conn.set_limit(rusqlite::limits::Limit::SQLITE_LIMIT_LENGTH, cap).map_err(|e| sql_error(At::Nowhere, e, limits))?;
    conn.execute_batch(
        "PRAGMA query_only = ON; PRAGMA trusted_schema = OFF; PRAGMA cell_size_check = ON; PRAGMA mmap_size = 0;",
    )
    .map_err(|e| sql_error(At::Nowhere, e, limits))?;
    Ok(conn)
}

/// Both tables must be real tables. A missing kernel table means the capture had no CUDA
/// tracing (a remedy for the person profiling); a missing name table means a broken export.
fn check_tables(tables: &[String]) -> Result<(), Problem> {
    if !tables.iter().any(|t| t == KERNELS) {
        return Err(Problem::no_kernels(
            table(KERNELS),
            "there is no such table: profile with CUDA tracing (`nsys profile -t cuda`), then export again",
        ));
    }
    if !tables.iter().any(|t| t == STRINGS) {
        return Err(Problem::malformed(table(STRINGS), "the table of names is missing", REEXPORT));
    }
    Ok(())
}

/// The kernel table's name column, the most readable one the export has (older exports have
/// only `shortName`), after checking that `start` and `end` are there too.
fn kernel_name_column(conn: &Connection, limits: &Limits) -> Result<&'static str, Problem> {
    let columns = columns(conn, KERNELS, limits)?;
    let has = |c: &str| columns.iter().any(|x| x == c);
    let Some(name_col) = ["demangledName", "shortName", "mangledName"].into_iter().find(|c| has(c)) else {
        return Err(Problem::malformed(table(KERNELS), "no demangledName, shortName or mangledName column", REEXPORT));
    };
    if !has("start") || !has("end") {
        return Err(Problem::malformed(table(KERNELS), "no start or end column", REEXPORT));
    }
    Ok(name_col)
}

/// Launch durations grouped by name id, in one pass over the kernel table. Names are not looked
/// up here: a capture has millions of launches but few distinct names. An empty table is refused.
fn durations_by_name_id(conn: &Connection, name_col: &str, limits: &Limits) -> Result<HashMap<i64, Vec<f64>>, Problem> {
    let mut by_id: HashMap<i64, Vec<f64>> = HashMap::new();
    let mut launches: u64 = 0;
    let at = table(KERNELS);
    let sql = format!("SELECT \"start\", \"end\", \"{name_col}\" FROM {KERNELS}");
    let mut stmt = conn.prepare(&sql).map_err(|e| sql_error(at.clone(), e, limits))?;
    let mut rows = stmt.query([]).map_err(|e| sql_error(at.clone(), e, limits))?;
    while let Some(row) = rows.next().map_err(|e| sql_error(at.clone(), e, limits))? {
        launches += 1;
        if launches > limits.max_launches {
            return Err(Problem::limit(
                at,
                format!("more than {} kernel launches", limits.max_launches),
                "export a shorter capture, or import `nsys stats` CSV instead",
            ));
        }
        let (id, duration) = launch(row, launches, name_col, &at, limits)?;
        if !by_id.contains_key(&id) && by_id.len() >= limits.max_kernels {
            return Err(Problem::limit(
                at,
                format!("more than {} distinct kernel names", limits.max_kernels),
                "this is not an inference capture: check the file",
            ));
        }
        by_id.entry(id).or_default().push(duration);
    }
    if launches == 0 {
        return Err(Problem::no_kernels(
            at,
            "the table is empty: profile with CUDA tracing (`nsys profile -t cuda`) over the inference",
        ));
    }
    Ok(by_id)
}

/// One kernel row (the `number`th, for messages): its name id and checked duration. SQLite
/// columns are dynamically typed, so each value is checked to be an integer.
fn launch(
    row: &rusqlite::Row<'_>,
    number: u64,
    name_col: &str,
    at: &At,
    limits: &Limits,
) -> Result<(i64, f64), Problem> {
    let int = |i: usize, what: &str| match row.get_ref(i) {
        Ok(ValueRef::Integer(v)) => Ok(v),
        _ => Err(Problem::malformed(table(KERNELS), format!("row {number}: {what} is not an integer"), REEXPORT)),
    };
    let (start, end, id) = (int(0, "start")?, int(1, "end")?, int(2, name_col)?);
    let duration = end
        .checked_sub(start)
        .ok_or_else(|| Problem::malformed(table(KERNELS), format!("row {number}: end − start overflows"), REEXPORT))?;
    let what = format!("row {number}: end − start =");
    let duration = check_ns(duration as f64, &what, at, limits)?;
    Ok((id, duration))
}

/// Gives each name id its name and adds its launches to one table. Ids are taken in order, so
/// that which bad name is reported first does not depend on hashing.
fn name_launches(
    conn: &Connection,
    by_id: HashMap<i64, Vec<f64>>,
    limits: &Limits,
) -> Result<Vec<ImportedKernel>, Problem> {
    let mut table_out = LaunchTable::new(limits);
    let mut ids: Vec<(i64, Vec<f64>)> = by_id.into_iter().collect();
    ids.sort_by_key(|(id, _)| *id);
    let mut lookup = conn
        .prepare(&format!("SELECT value FROM {STRINGS} WHERE id = ?1"))
        .map_err(|e| sql_error(table(STRINGS), e, limits))?;
    for (id, durations) in ids {
        let name = kernel_name(&mut lookup, id, limits)?;
        for d in durations {
            table_out.add(&name, d, None, &table(KERNELS))?;
        }
    }
    Ok(table_out.finish())
}

/// The name of id `id` in `StringIds` (through `lookup`, the prepared query), refused unless it
/// is there, is UTF-8 text and passes the name checks.
fn kernel_name(lookup: &mut rusqlite::Statement<'_>, id: i64, limits: &Limits) -> Result<String, Problem> {
    let name = lookup
        .query_row([id], |r| {
            Ok(match r.get_ref(0)? {
                ValueRef::Text(t) => Some(std::str::from_utf8(t).map(str::to_owned)),
                _ => None,
            })
        })
        .map_err(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => {
                Problem::malformed(table(STRINGS), format!("kernel name id {id} is absent"), REEXPORT)
            }
            e => sql_error(table(STRINGS), e, limits),
        })?;
    let name = match name {
        Some(Ok(name)) => name,
        Some(Err(_)) => {
            return Err(Problem::malformed(table(STRINGS), format!("kernel name id {id} is not UTF-8 text"), REEXPORT));
        }
        None => {
            return Err(Problem::malformed(table(STRINGS), format!("kernel name id {id} is not text"), REEXPORT));
        }
    };
    check_name(&name, &table(STRINGS), limits)?;
    Ok(name)
}

fn real_tables(conn: &Connection, limits: &Limits) -> Result<Vec<String>, Problem> {
    let mut stmt = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' LIMIT 100000")
        .map_err(|e| sql_error(At::Nowhere, e, limits))?;
    let names = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
        .map_err(|e| sql_error(At::Nowhere, e, limits))?;
    Ok(names)
}

fn columns(conn: &Connection, name: &str, limits: &Limits) -> Result<Vec<String>, Problem> {
    let mut stmt = conn
        .prepare(&format!("SELECT name FROM pragma_table_info('{name}')"))
        .map_err(|e| sql_error(table(name), e, limits))?;
    stmt.query_map([], |r| r.get::<_, String>(0))
        .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
        .map_err(|e| sql_error(table(name), e, limits))
}

/// The product version nsys records about itself in `META_DATA_EXPORT` or `META_DATA_CAPTURE`
/// (`name`, `value` rows; a version-like value under a name ending in `PRODUCT_VERSION` or
/// `NSIGHT_SYSTEMS_VERSION`). Absent tables or keys, or anything odd, give None: the version is
/// provenance, not a reason to refuse a capture.
fn tool_version(conn: &Connection, tables: &[String]) -> Option<String> {
    for meta in ["META_DATA_EXPORT", "META_DATA_CAPTURE"] {
        if !tables.iter().any(|t| t == meta) {
            continue;
        }
        let sql = format!("SELECT name, value FROM {meta} LIMIT 10000");
        let Ok(mut stmt) = conn.prepare(&sql) else { continue };
        let Ok(rows) = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))) else { continue };
        for (key, value) in rows.flatten() {
            let key = key.to_ascii_uppercase();
            let version_like = !value.is_empty()
                && value.len() <= 64
                && value.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-+ ".contains(&b));
            if version_like
                && (key.ends_with("PRODUCT_VERSION")
                    || key.ends_with("NSIGHT_SYSTEMS_VERSION")
                    || key == "NSYS_VERSION")
            {
                return Some(value);
            }
        }
    }
    None
}
