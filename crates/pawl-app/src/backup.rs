//! Backup, restore and moving between engines (A.8.13): one archive holds
//! every table read in one snapshot, while the server keeps running, and
//! the evidence files; it is restored into an empty database of either
//! engine, whose audit chains must then verify.
//!
//! The archive is a ZIP: `manifest.json`, `tables.jsonl` (a line naming a
//! table and its columns, then a line a row, as a JSON array), and
//! `evidence/<sha256>` for each file. The manifest gives every other
//! file's SHA-256 and size, and a restore checks them all before it
//! writes anything. The manifest itself is vouched for only by its own
//! SHA-256, which `pawl backup` prints for the operator to keep apart from
//! the archive: whoever can rewrite the archive can rewrite its manifest.

use crate::{App, AppError};
use pawl_store::{DumpSink, Store, StoreError, VerifyOutcome};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::io::{BufRead, Read, Seek, Write};
use std::path::{Path, PathBuf};
use tokio::io::AsyncReadExt;

const FORMAT: &str = "pawl-backup";
/// 2: the manifest lists every other file with its SHA-256 and size.
const FORMAT_VERSION: i64 = 2;
/// The longest line `tables.jsonl` may hold: a row with a document's text.
const MAX_LINE: usize = 64 << 20;
/// The largest manifest read: its list of files grows with the evidence.
const MAX_MANIFEST: u64 = 64 << 20;
const MANIFEST: &str = "manifest.json";
const TABLES: &str = "tables.jsonl";
const EVIDENCE: &str = "evidence/";

#[derive(Debug, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub format_version: i64,
    /// The schema the rows are in; a restore needs the same.
    pub schema_version: i64,
    /// `sqlite` or `postgres`.
    pub engine: String,
    pub created_at: String,
    pub tables: u64,
    pub rows: u64,
    pub evidence_files: u64,
    /// The organisation's slug when the backup holds one; else all.
    #[serde(default)]
    pub organisation: Option<String>,
    /// Every file of the archive but the manifest, as it was written.
    pub files: Vec<FileDigest>,
}

/// One file of the archive as the backup wrote it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FileDigest {
    pub name: String,
    /// Lowercase hex.
    pub sha256: String,
    pub bytes: u64,
}

/// A table header line of `tables.jsonl`.
#[derive(Serialize, Deserialize)]
struct TableLine {
    table: String,
    columns: Vec<String>,
}

fn refused(what: impl std::fmt::Display) -> AppError {
    AppError::Refused(what.to_string())
}

fn io(e: impl std::fmt::Display) -> AppError {
    refused(format!("the archive cannot be written: {e}"))
}

fn sink_error(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("the archive cannot be written: {e}"))
}

/// The SHA-256 and size of what went through it.
#[derive(Default)]
struct Digesting {
    sha: Sha256,
    bytes: u64,
}

impl Digesting {
    fn update(&mut self, chunk: &[u8]) {
        self.sha.update(chunk);
        self.bytes += chunk.len() as u64;
    }

    fn finish(self, name: String) -> FileDigest {
        FileDigest {
            name,
            sha256: hex::encode(self.sha.finalize()),
            bytes: self.bytes,
        }
    }
}

/// A reader that digests what it reads.
struct DigestReader<R> {
    inner: R,
    digest: Digesting,
}

impl<R: Read> Read for DigestReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.digest.update(&buf[..n]);
        Ok(n)
    }
}

/// Where `users` keeps an account's e-mail address and password hash,
/// to name the accounts that come without a password.
fn account_columns(table: &str, columns: &[String]) -> Option<(usize, usize)> {
    let at = |c: &str| columns.iter().position(|x| x == c);
    match table {
        "users" => Some((at("email")?, at("password_hash")?)),
        _ => None,
    }
}

/// The address of an account row that carries no password.
fn without_password(columns: Option<(usize, usize)>, values: &[Json]) -> Option<String> {
    let (email, password) = columns?;
    match (values.get(email), values.get(password)) {
        (Some(Json::String(e)), Some(Json::String(p))) if p.is_empty() => Some(e.clone()),
        _ => None,
    }
}

/// Writes table lines into the archive, digesting them, and notes the
/// stored files that evidence and document versions name.
struct ArchiveSink<'a, W: Write + Seek> {
    zip: &'a mut zip::ZipWriter<W>,
    digest: Digesting,
    tables: u64,
    rows: u64,
    sha_column: Option<usize>,
    files: Vec<String>,
    account_columns: Option<(usize, usize)>,
    without_password: Vec<String>,
}

impl<W: Write + Seek> ArchiveSink<'_, W> {
    fn line(&mut self, line: &str) -> Result<(), StoreError> {
        for part in [line.as_bytes(), b"\n"] {
            self.digest.update(part);
            self.zip.write_all(part).map_err(sink_error)?;
        }
        Ok(())
    }
}

impl<W: Write + Seek + Send> DumpSink for ArchiveSink<'_, W> {
    async fn table(&mut self, name: &str, columns: &[String]) -> Result<(), StoreError> {
        self.tables += 1;
        self.sha_column = pawl_store::FILE_COLUMNS
            .iter()
            .find(|(t, _)| *t == name)
            .and_then(|(_, c)| columns.iter().position(|x| x == c));
        self.account_columns = account_columns(name, columns);
        let line = serde_json::to_string(&TableLine {
            table: name.to_owned(),
            columns: columns.to_vec(),
        })
        .map_err(sink_error)?;
        self.line(&line)
    }

    async fn row(&mut self, values: Vec<Json>) -> Result<(), StoreError> {
        self.rows += 1;
        if let Some(Json::String(sha)) = self.sha_column.and_then(|i| values.get(i)) {
            self.files.push(sha.clone());
        }
        if let Some(email) = without_password(self.account_columns, &values) {
            self.without_password.push(email);
        }
        let line = serde_json::to_string(&values).map_err(sink_error)?;
        self.line(&line)
    }
}

/// What a backup wrote.
#[derive(Debug)]
pub struct Written {
    pub manifest: Manifest,
    /// The SHA-256 of `manifest.json` as written, which vouches for every
    /// other file through theirs: kept apart from the archive, it shows
    /// later that the archive is the one written.
    pub manifest_sha256: String,
    /// Accounts the archive carries without a password: they cannot sign
    /// in where it is restored until an operator sets one.
    pub accounts_without_password: Vec<String>,
}

/// Writes a backup of the whole instance, or of one organisation (by
/// slug): its rows, audit chain and evidence files, and the accounts its
/// rows name. An account that belongs to another organisation too comes
/// without its password hash, and no other organisation's id, token or
/// session comes at all.
pub async fn backup<W: Write + Seek + Send>(
    app: &App,
    out: W,
    organisation: Option<&str>,
) -> Result<Written, AppError> {
    let org = match organisation {
        Some(slug) => Some(app.store.organisation_by_slug(slug).await?),
        None => None,
    };
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    let mut zip = zip::ZipWriter::new(out);
    zip.start_file(TABLES, options).map_err(io)?;
    let mut sink = ArchiveSink {
        zip: &mut zip,
        digest: Digesting::default(),
        tables: 0,
        rows: 0,
        sha_column: None,
        files: Vec::new(),
        account_columns: None,
        without_password: Vec::new(),
    };
    app.store.dump(&mut sink, org.as_ref().map(|o| o.id.as_str())).await?;
    let mut digests = vec![sink.digest.finish(TABLES.to_owned())];
    let (tables, rows, mut files, accounts_without_password) =
        (sink.tables, sink.rows, sink.files, sink.without_password);
    files.sort();
    files.dedup();
    let mut buf = vec![0u8; 1 << 16];
    for sha in &files {
        let name = format!("{EVIDENCE}{sha}");
        zip.start_file(name.as_str(), options).map_err(io)?;
        let mut f = app.blobs.open_verified(sha).await?;
        let mut digest = Digesting::default();
        loop {
            let n = f.read(&mut buf).await.map_err(io)?;
            if n == 0 {
                break;
            }
            digest.update(&buf[..n]);
            zip.write_all(&buf[..n]).map_err(io)?;
        }
        let written = digest.finish(name);
        if written.sha256 != *sha {
            return Err(refused(format!(
                "the evidence file {sha} changed while it was backed up; nothing was written"
            )));
        }
        digests.push(written);
    }
    let manifest = Manifest {
        format: FORMAT.into(),
        format_version: FORMAT_VERSION,
        schema_version: pawl_store::schema_version(),
        engine: app.store.engine().as_str().into(),
        created_at: time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .map_err(io)?,
        tables,
        rows,
        evidence_files: files.len() as u64,
        organisation: org.map(|o| o.slug.as_str().to_owned()),
        files: digests,
    };
    let bytes = serde_json::to_vec_pretty(&manifest).map_err(io)?;
    zip.start_file(MANIFEST, options).map_err(io)?;
    zip.write_all(&bytes).map_err(io)?;
    zip.finish().map_err(io)?;
    Ok(Written {
        manifest,
        manifest_sha256: hex::encode(Sha256::digest(&bytes)),
        accounts_without_password,
    })
}

/// Removes a file unless told it is kept.
struct Partial(Option<PathBuf>);

impl Drop for Partial {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            // Best effort: what is left is a partial archive beside the
            // untouched previous one.
            let _ = std::fs::remove_file(p);
        }
    }
}

/// [`backup`] into the file at `path`, replacing it only once the new
/// archive is whole: it is written to a temporary file in the same folder
/// and renamed over `path`, so an interrupted backup leaves the previous
/// archive as it was. Readable by its owner alone, since it holds
/// password and token hashes.
pub async fn backup_to_file(app: &App, path: &Path, organisation: Option<&str>) -> Result<Written, AppError> {
    let cannot = |e: std::io::Error| refused(format!("cannot write {}: {e}", path.display()));
    let name = path
        .file_name()
        .ok_or_else(|| refused(format!("{} names no file", path.display())))?;
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let tmp = folder.join(format!(
        ".{}.{}.partial",
        name.to_string_lossy(),
        hex::encode(rand::random::<[u8; 6]>())
    ));
    let mut open = std::fs::OpenOptions::new();
    open.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut open, 0o600);
    let file = open.open(&tmp).map_err(cannot)?;
    let mut partial = Partial(Some(tmp.clone()));
    let mut out = std::io::BufWriter::new(file);
    let written = backup(app, &mut out, organisation).await?;
    let file = out.into_inner().map_err(|e| cannot(e.into_error()))?;
    file.sync_all().map_err(cannot)?;
    drop(file);
    std::fs::rename(&tmp, path).map_err(cannot)?;
    partial.0 = None;
    // The rename lasts through a crash once the folder is on disk.
    if let Ok(dir) = std::fs::File::open(folder) {
        let _ = dir.sync_all();
    }
    Ok(written)
}

/// What a restore found.
#[derive(Debug)]
pub struct Restored {
    pub manifest: Manifest,
    /// The SHA-256 of the archive's `manifest.json`.
    pub manifest_sha256: String,
    pub rows: u64,
    /// (organisation slug, events verified).
    pub chains: Vec<(String, i64)>,
    /// Accounts restored without a password, which cannot sign in until
    /// an operator sets one.
    pub accounts_without_password: Vec<String>,
}

/// Reads the manifest and its SHA-256, and checks that this pawl reads
/// its format and schema.
fn read_manifest<R: Read + Seek>(zip: &mut zip::ZipArchive<R>) -> Result<(Manifest, String), AppError> {
    let mut bytes = Vec::new();
    zip.by_name(MANIFEST)
        .map_err(|_| refused("not a pawl backup: it has no manifest.json"))?
        .take(MAX_MANIFEST + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| refused(format!("{MANIFEST}: {e}")))?;
    if bytes.len() as u64 > MAX_MANIFEST {
        return Err(refused(format!("{MANIFEST} is larger than 64 MiB")));
    }
    let sha = hex::encode(Sha256::digest(&bytes));
    let head: Json = serde_json::from_slice(&bytes).map_err(|e| refused(format!("{MANIFEST}: {e}")))?;
    let (format, version) = (head["format"].as_str(), head["format_version"].as_i64());
    if format != Some(FORMAT) {
        return Err(refused(format!("not a pawl backup: its format is {}", head["format"])));
    }
    if version == Some(1) {
        return Err(refused(
            "this backup was made before archives carried the SHA-256 of their files, so it cannot be \
             checked; restore it with the pawl that made it",
        ));
    }
    if version != Some(FORMAT_VERSION) {
        return Err(refused(format!(
            "not a pawl backup of format {FORMAT_VERSION}: {FORMAT} version {}",
            head["format_version"]
        )));
    }
    let manifest: Manifest = serde_json::from_value(head).map_err(|e| refused(format!("{MANIFEST}: {e}")))?;
    if manifest.schema_version != pawl_store::schema_version() {
        return Err(refused(format!(
            "the backup is of schema version {} and this pawl has {}; restore it with the pawl that made it",
            manifest.schema_version,
            pawl_store::schema_version()
        )));
    }
    Ok((manifest, sha))
}

/// The evidence file's SHA-256 that a name of the archive gives.
fn evidence_sha(name: &str) -> Option<&str> {
    let sha = name.strip_prefix(EVIDENCE)?;
    (sha.len() == 64 && sha.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))).then_some(sha)
}

/// Checks every file of the archive against the manifest, reading each
/// whole, before anything is written: each listed file present, nothing
/// unlisted, each with the size and SHA-256 the manifest gives, and each
/// evidence file one this instance accepts.
fn check_files<R: Read + Seek>(zip: &mut zip::ZipArchive<R>, m: &Manifest, max_file: u64) -> Result<(), AppError> {
    let changed = |name: &str| {
        refused(format!(
            "{name} does not match the SHA-256 and size the manifest gives for it: the archive was \
             changed or damaged, and nothing was restored"
        ))
    };
    if zip.has_duplicate_names() {
        return Err(refused("the archive holds two files of one name; nothing was restored"));
    }
    let mut listed: HashMap<&str, &FileDigest> = HashMap::new();
    for d in &m.files {
        if listed.insert(d.name.as_str(), d).is_some() {
            return Err(refused(format!("the manifest lists {} twice", d.name)));
        }
        match evidence_sha(&d.name) {
            Some(sha) if sha != d.sha256 => return Err(changed(&d.name)),
            Some(_) if d.bytes == 0 || d.bytes > max_file => {
                return Err(refused(format!(
                    "{} has {} bytes, and this instance takes evidence files of 1 byte to {} MB \
                     (--max-evidence-mb); nothing was restored",
                    d.name,
                    d.bytes,
                    max_file >> 20
                )))
            }
            Some(_) => {}
            None if d.name == TABLES => {}
            None => {
                return Err(refused(format!(
                    "the manifest lists {}, which no pawl backup holds",
                    d.name
                )))
            }
        }
    }
    if !listed.contains_key(TABLES) {
        return Err(refused("not a pawl backup: it has no tables.jsonl"));
    }
    let mut seen = HashSet::new();
    let mut buf = vec![0u8; 1 << 16];
    for i in 0..zip.len() {
        let f = zip
            .by_index(i)
            .map_err(|e| refused(format!("the archive cannot be read: {e}")))?;
        let name = f
            .name()
            .map_err(|e| refused(format!("the archive cannot be read: {e}")))?
            .into_owned();
        if name == MANIFEST {
            continue;
        }
        let Some(d) = listed.get(name.as_str()) else {
            return Err(refused(format!(
                "{name} is in the archive but not in its manifest; nothing was restored"
            )));
        };
        // No more than the manifest says is read, whatever the file claims.
        let mut r = DigestReader {
            inner: f.take(d.bytes.saturating_add(1)),
            digest: Digesting::default(),
        };
        while r.read(&mut buf).map_err(|e| refused(format!("{name}: {e}")))? > 0 {}
        if r.digest.finish(name.clone()) != **d {
            return Err(changed(&name));
        }
        seen.insert(name);
    }
    if let Some(d) = m.files.iter().find(|d| !seen.contains(&d.name)) {
        return Err(refused(format!(
            "{} is in the manifest but not in the archive; nothing was restored",
            d.name
        )));
    }
    Ok(())
}

/// The slug and length of every chain, or the first break.
fn intact(chains: &[(String, VerifyOutcome)]) -> Result<Vec<(String, i64)>, AppError> {
    chains
        .iter()
        .map(|(slug, o)| match o {
            VerifyOutcome::Intact { events } => Ok((slug.clone(), *events)),
            VerifyOutcome::Broken(b) => Err(refused(format!(
                "the audit chain of {slug} breaks at event {}: {}; nothing was written",
                b.seq, b.reason
            ))),
        })
        .collect()
}

/// Restores a backup into this app's database, which must be empty: all
/// or nothing. Every file is first checked against the manifest (and the
/// manifest against `manifest_sha256`, when given); then the rows are
/// written and every audit chain verified in one transaction, the
/// evidence files placed, and the transaction committed. Rows are restored
/// as the archive states them: the chains vouch for the history of events,
/// not for rows, and accounts, memberships and tokens are checked by
/// nothing but the archive's digests.
pub async fn restore<R: Read + Seek>(app: &App, input: R, manifest_sha256: Option<&str>) -> Result<Restored, AppError> {
    let mut zip = zip::ZipArchive::new(input).map_err(|e| refused(format!("not a pawl backup: {e}")))?;
    let (manifest, sha) = read_manifest(&mut zip)?;
    if let Some(expected) = manifest_sha256 {
        if !expected.trim().eq_ignore_ascii_case(&sha) {
            return Err(refused(format!(
                "the archive's manifest.json has SHA-256 {sha}, not {}: it is not the archive that \
                 was made, and nothing was restored",
                expected.trim()
            )));
        }
    }
    check_files(&mut zip, &manifest, app.blobs.max_file)?;

    let mut load = app.store.load().await?;
    let mut accounts_without_password = Vec::new();
    {
        let tables = zip
            .by_name(TABLES)
            .map_err(|_| refused("not a pawl backup: it has no tables.jsonl"))?;
        let mut lines = std::io::BufReader::new(DigestReader {
            inner: tables,
            digest: Digesting::default(),
        });
        let mut line = String::new();
        let mut at = 0u64;
        let mut table: Option<(usize, usize)> = None;
        let mut in_table = false;
        loop {
            line.clear();
            let n = lines
                .by_ref()
                .take(MAX_LINE as u64 + 1)
                .read_line(&mut line)
                .map_err(|e| refused(format!("{TABLES}:{}: {e}", at + 1)))?;
            if n == 0 {
                break;
            }
            at += 1;
            if n > MAX_LINE {
                return Err(refused(format!("{TABLES}:{at}: the line is longer than 64 MiB")));
            }
            let where_ = |e: &dyn std::fmt::Display| refused(format!("{TABLES}:{at}: {e}"));
            match serde_json::from_str::<Json>(&line).map_err(|e| where_(&e))? {
                Json::Object(o) => {
                    let t: TableLine = serde_json::from_value(Json::Object(o)).map_err(|e| where_(&e))?;
                    load.table(&t.table, &t.columns).await.map_err(|e| where_(&e))?;
                    table = account_columns(&t.table, &t.columns);
                    in_table = true;
                }
                Json::Array(values) if in_table => {
                    if let Some(email) = without_password(table, &values) {
                        accounts_without_password.push(email);
                    }
                    load.row(values).await.map_err(|e| where_(&e))?
                }
                _ => return Err(where_(&"neither a table nor a row of one")),
            }
        }
        // The archive was checked whole before; this shows that what was
        // written is what was checked, should the file change meanwhile.
        let read = lines.into_inner().digest.finish(TABLES.to_owned());
        if manifest.files.iter().all(|d| *d != read) {
            return Err(refused(format!(
                "{TABLES} changed while it was restored; nothing was restored"
            )));
        }
    }
    let loaded = load.finish().await?;
    let chains = intact(&loaded.chains)?;

    // Placed before the rows are committed, so that no record is ever
    // without its file; a failed commit leaves at most unreferenced files.
    let mut buf = vec![0u8; 1 << 16];
    for d in manifest.files.iter().filter(|d| evidence_sha(&d.name).is_some()) {
        let name = &d.name;
        let mut f = zip.by_name(name).map_err(|e| refused(format!("{name}: {e}")))?;
        let mut w = app.blobs.writer().await?;
        loop {
            let n = f.read(&mut buf).map_err(|e| refused(format!("{name}: {e}")))?;
            if n == 0 {
                break;
            }
            w.write(&buf[..n]).await?;
        }
        let sealed = w.seal(&d.sha256).await?;
        if sealed.stored.sha256 != d.sha256 {
            return Err(refused(format!(
                "{name} changed while it was restored; nothing was restored"
            )));
        }
        sealed.place().await?;
    }
    let rows = loaded.rows;
    loaded.commit().await?;
    Ok(Restored {
        manifest,
        manifest_sha256: sha,
        rows,
        chains,
        accounts_without_password,
    })
}

/// What moving between engines did.
#[derive(Debug)]
pub struct Moved {
    pub rows: u64,
    /// (organisation slug, events verified).
    pub chains: Vec<(String, i64)>,
}

/// Moves an instance from one database to another (of either engine):
/// every row from one snapshot of `from` into the empty `to`, in one
/// transaction committed only once every chain verifies there; the
/// evidence files are the data folder's, shared by both.
pub async fn migrate_engine(from: &Store, to: &Store) -> Result<Moved, AppError> {
    let mut load = to.load().await?;
    from.dump(&mut load, None).await?;
    let loaded = load.finish().await?;
    let chains = intact(&loaded.chains)?;
    let rows = loaded.rows;
    loaded.commit().await?;
    Ok(Moved { rows, chains })
}
