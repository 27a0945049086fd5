//! Backup, restore and moving between engines (A.8.13): one archive holds
//! every table read in one snapshot, while the server keeps running, and
//! the evidence files; it is restored into an empty database of either
//! engine, whose audit chains must then verify.
//!
//! The archive is a ZIP: `manifest.json`, `tables.jsonl` (a line naming a
//! table and its columns, then a line a row, as a JSON array), and
//! `evidence/<sha256>` for each file.

use crate::{App, AppError};
use pawl_store::{DumpSink, Store, StoreError, VerifyOutcome};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use std::io::{BufRead, Read, Seek, Write};
use tokio::io::AsyncReadExt;

const FORMAT: &str = "pawl-backup";
const FORMAT_VERSION: i64 = 1;
/// The longest line `tables.jsonl` may hold: a row with a document's text.
const MAX_LINE: usize = 64 << 20;

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
}

/// A table header line of `tables.jsonl`.
#[derive(Serialize, Deserialize)]
struct TableLine {
    table: String,
    columns: Vec<String>,
}

fn corrupt(what: impl std::fmt::Display) -> AppError {
    AppError::Store(StoreError::Corrupt(what.to_string()))
}

fn io(e: impl std::fmt::Display) -> AppError {
    corrupt(format!("the archive cannot be written: {e}"))
}

/// Writes table lines into the archive, noting the stored files that
/// evidence and document versions name.
struct ArchiveSink<'a, W: Write + Seek> {
    zip: &'a mut zip::ZipWriter<W>,
    tables: u64,
    rows: u64,
    sha_column: Option<usize>,
    files: Vec<String>,
}

impl<W: Write + Seek + Send> DumpSink for ArchiveSink<'_, W> {
    async fn table(&mut self, name: &str, columns: &[String]) -> Result<(), StoreError> {
        self.tables += 1;
        self.sha_column = pawl_store::FILE_COLUMNS
            .iter()
            .find(|(t, _)| *t == name)
            .and_then(|(_, c)| columns.iter().position(|x| x == c));
        let line = serde_json::to_string(&TableLine {
            table: name.to_owned(),
            columns: columns.to_vec(),
        })
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        writeln!(self.zip, "{line}").map_err(|e| StoreError::Corrupt(e.to_string()))
    }

    async fn row(&mut self, values: Vec<Json>) -> Result<(), StoreError> {
        self.rows += 1;
        if let Some(Json::String(sha)) = self.sha_column.and_then(|i| values.get(i)) {
            self.files.push(sha.clone());
        }
        let line = serde_json::to_string(&values).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        writeln!(self.zip, "{line}").map_err(|e| StoreError::Corrupt(e.to_string()))
    }
}

/// Writes a backup of the whole instance, or of one organisation (by
/// slug): its rows, audit chain and evidence files, and its members'
/// accounts.
pub async fn backup<W: Write + Seek + Send>(
    app: &App,
    out: W,
    organisation: Option<&str>,
) -> Result<Manifest, AppError> {
    let org = match organisation {
        Some(slug) => Some(app.store.organisation_by_slug(slug).await?),
        None => None,
    };
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    let mut zip = zip::ZipWriter::new(out);
    zip.start_file("tables.jsonl", options).map_err(io)?;
    let mut sink = ArchiveSink {
        zip: &mut zip,
        tables: 0,
        rows: 0,
        sha_column: None,
        files: Vec::new(),
    };
    app.store.dump(&mut sink, org.as_ref().map(|o| o.id.as_str())).await?;
    let (tables, rows, mut files) = (sink.tables, sink.rows, sink.files);
    files.sort();
    files.dedup();
    let mut buf = vec![0u8; 1 << 16];
    for sha in &files {
        zip.start_file(format!("evidence/{sha}"), options).map_err(io)?;
        let mut f = app.blobs.open_verified(sha).await?;
        loop {
            let n = f.read(&mut buf).await.map_err(io)?;
            if n == 0 {
                break;
            }
            zip.write_all(&buf[..n]).map_err(io)?;
        }
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
    };
    zip.start_file("manifest.json", options).map_err(io)?;
    zip.write_all(&serde_json::to_vec_pretty(&manifest).map_err(io)?)
        .map_err(io)?;
    zip.finish().map_err(io)?;
    Ok(manifest)
}

/// What a restore found: the manifest and each organisation's chain.
#[derive(Debug)]
pub struct Restored {
    pub manifest: Manifest,
    pub rows: u64,
    /// (organisation slug, events verified).
    pub chains: Vec<(String, i64)>,
}

/// Restores a backup into this app's database, which must be empty, and
/// verifies every audit chain; all or nothing for the rows.
pub async fn restore<R: Read + Seek>(app: &App, input: R) -> Result<Restored, AppError> {
    let mut zip = zip::ZipArchive::new(input).map_err(|e| corrupt(format!("not a pawl backup: {e}")))?;
    let manifest: Manifest = {
        let f = zip
            .by_name("manifest.json")
            .map_err(|_| corrupt("not a pawl backup: it has no manifest.json"))?;
        serde_json::from_reader(f.take(1 << 20)).map_err(|e| corrupt(format!("manifest.json: {e}")))?
    };
    if manifest.format != FORMAT || manifest.format_version != FORMAT_VERSION {
        return Err(corrupt(format!(
            "not a pawl backup of format {FORMAT_VERSION}: {} version {}",
            manifest.format, manifest.format_version
        )));
    }
    if manifest.schema_version != pawl_store::schema_version() {
        return Err(corrupt(format!(
            "the backup is of schema version {} and this pawl has {}; restore it with the pawl that made it",
            manifest.schema_version,
            pawl_store::schema_version()
        )));
    }
    let names: Vec<String> = zip
        .file_names()
        .map(|n| n.map(|n| n.into_owned()))
        .collect::<Result<_, _>>()
        .map_err(|e| corrupt(format!("not a pawl backup: {e}")))?;
    for name in names.iter().filter(|n| n.starts_with("evidence/")) {
        let sha = name.trim_start_matches("evidence/");
        let mut f = zip.by_name(name).map_err(|e| corrupt(format!("{name}: {e}")))?;
        let mut w = app.blobs.writer().await?;
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = f.read(&mut buf).map_err(|e| corrupt(format!("{name}: {e}")))?;
            if n == 0 {
                break;
            }
            w.write(&buf[..n]).await?;
        }
        let sealed = w.seal(sha).await?;
        if sealed.stored.sha256 != sha {
            return Err(corrupt(format!("{name} does not match its SHA-256")));
        }
        sealed.place().await?;
    }
    let mut load = app.store.load().await?;
    let tables = zip
        .by_name("tables.jsonl")
        .map_err(|_| corrupt("not a pawl backup: it has no tables.jsonl"))?;
    let mut lines = std::io::BufReader::new(tables);
    let mut line = String::new();
    let mut at = 0u64;
    let mut in_table = false;
    loop {
        line.clear();
        let n = lines
            .by_ref()
            .take(MAX_LINE as u64 + 1)
            .read_line(&mut line)
            .map_err(|e| corrupt(format!("tables.jsonl:{}: {e}", at + 1)))?;
        if n == 0 {
            break;
        }
        at += 1;
        if n > MAX_LINE {
            return Err(corrupt(format!("tables.jsonl:{at}: the line is longer than 64 MiB")));
        }
        let where_ = |e: &dyn std::fmt::Display| corrupt(format!("tables.jsonl:{at}: {e}"));
        match serde_json::from_str::<Json>(&line).map_err(|e| where_(&e))? {
            Json::Object(o) => {
                let t: TableLine = serde_json::from_value(Json::Object(o)).map_err(|e| where_(&e))?;
                load.table(&t.table, &t.columns).await.map_err(|e| where_(&e))?;
                in_table = true;
            }
            Json::Array(values) if in_table => load.row(values).await.map_err(|e| where_(&e))?,
            _ => return Err(where_(&"neither a table nor a row of one")),
        }
    }
    let rows = load.finish().await?;
    let mut chains = Vec::new();
    for org in app.store.organisations().await? {
        match app.store.verify_audit_chain(&org.id).await? {
            VerifyOutcome::Intact { events } => chains.push((org.slug.as_str().to_owned(), events)),
            VerifyOutcome::Broken(b) => {
                return Err(corrupt(format!(
                    "restored, but the audit chain of {} breaks at event {}: {}",
                    org.slug.as_str(),
                    b.seq,
                    b.reason
                )))
            }
        }
    }
    Ok(Restored { manifest, rows, chains })
}

/// Moves an instance from one database to another (of either engine):
/// every row from one snapshot of `from` into the empty `to`, in one
/// transaction; the evidence files are the data folder's, shared by both.
pub async fn migrate_engine(from: &Store, to: &Store) -> Result<u64, AppError> {
    let mut load = to.load().await?;
    from.dump(&mut load, None).await?;
    Ok(load.finish().await?)
}
