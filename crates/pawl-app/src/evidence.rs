//! Evidence (9.1, 7.5.3): files stored by SHA-256, streamed to disk as they
//! arrive and then kept there (SQLite) or in the database in chunks
//! (PostgreSQL, so that every replica serves every file), and links; each
//! with when it was true, who collected it and until when it holds.

use crate::AppError;
use pawl_domain::audit::Actor;
use pawl_domain::{DomainError, Problems};
use pawl_store::{Evidence, EvidenceDraft, Store, StoredFile};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufWriter};

/// The largest evidence file accepted, unless the server is told otherwise.
pub const DEFAULT_MAX_FILE: u64 = 1 << 30;

/// Content-addressed files: `root/ab/abcdef…` for SHA-256 `abcdef…`, or
/// the same in the database's chunks when `database` is set. Writing the
/// same bytes twice stores them once. `root` also holds files on their way.
#[derive(Clone)]
pub struct Blobs {
    root: PathBuf,
    pub max_file: u64,
    database: Option<Store>,
}

/// The size of a chunk kept in the database.
const CHUNK: usize = 1 << 20;

fn files(e: impl std::fmt::Display) -> AppError {
    AppError::Files(e.to_string())
}

impl Blobs {
    pub fn new(root: impl Into<PathBuf>) -> Blobs {
        Blobs {
            root: root.into(),
            max_file: DEFAULT_MAX_FILE,
            database: None,
        }
    }

    /// Keeps the files in `store`'s database instead of under the root;
    /// files already under the root are still read from there until
    /// `pawl evidence migrate --to-database` moves them in.
    pub fn in_database(mut self, store: Store) -> Blobs {
        self.database = Some(store);
        self
    }

    /// Whether files are kept in the database.
    pub fn in_db(&self) -> bool {
        self.database.is_some()
    }

    fn path_of(&self, sha256: &str) -> Result<PathBuf, AppError> {
        if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(files(format!("{sha256:?} is not a SHA-256")));
        }
        Ok(self.root.join(&sha256[..2]).join(sha256))
    }

    /// Starts a file; chunks go to a temporary file while they are hashed.
    pub async fn writer(&self) -> Result<BlobWriter, AppError> {
        let tmp_dir = self.root.join("tmp");
        tokio::fs::create_dir_all(&tmp_dir).await.map_err(files)?;
        let tmp = tmp_dir.join(format!("upload-{}", hex::encode(rand::random::<[u8; 12]>())));
        let file = tokio::fs::File::create(&tmp).await.map_err(files)?;
        Ok(BlobWriter {
            file: Some(BufWriter::with_capacity(1 << 20, file)),
            placed: false,
            hasher: Sha256::new(),
            size: 0,
            limit: self.max_file,
            head: Vec::new(),
            tmp,
            blobs: self.clone(),
        })
    }

    /// Opens a stored file after checking that its bytes still hash to the
    /// recorded SHA-256, so a download never serves a changed file. A file
    /// in the database is first copied, a chunk at a time, to a private
    /// temporary file that is gone once the download closes it.
    pub async fn open_verified(&self, sha256: &str) -> Result<tokio::fs::File, AppError> {
        let path = self.path_of(sha256)?;
        if let Some(db) = &self.database {
            if db.has_blob(sha256).await? {
                return self.copy_out_of_database(db, sha256).await;
            }
        }
        let mut f = tokio::fs::File::open(&path).await.map_err(files)?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = f.read(&mut buf).await.map_err(files)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
        }
        check_hash(hasher, sha256)?;
        tokio::fs::File::open(&path).await.map_err(files)
    }

    async fn copy_out_of_database(&self, db: &Store, sha256: &str) -> Result<tokio::fs::File, AppError> {
        let tmp_dir = self.root.join("tmp");
        tokio::fs::create_dir_all(&tmp_dir).await.map_err(files)?;
        let tmp = tmp_dir.join(format!("download-{}", hex::encode(rand::random::<[u8; 12]>())));
        let file = tokio::fs::File::create(&tmp).await.map_err(files)?;
        let out = std::sync::Arc::new(tokio::sync::Mutex::new((BufWriter::new(file), Sha256::new())));
        let read = db
            .read_blob(sha256, |chunk| {
                let out = out.clone();
                async move {
                    let mut o = out.lock().await;
                    o.1.update(&chunk);
                    o.0.write_all(&chunk)
                        .await
                        .map_err(|e| pawl_store::StoreError::Corrupt(format!("a temporary file: {e}")))
                }
            })
            .await;
        let (mut w, hasher) = std::sync::Arc::try_unwrap(out)
            .map_err(|_| files("the download is still being written"))?
            .into_inner();
        let done = match read {
            Ok(_) => w.flush().await.map_err(files).and_then(|()| check_hash(hasher, sha256)),
            Err(e) => Err(e.into()),
        };
        let opened = match done {
            Ok(()) => tokio::fs::File::open(&tmp).await.map_err(files),
            Err(e) => Err(e),
        };
        // The open file stays readable; its name goes at once.
        let _ = tokio::fs::remove_file(&tmp).await;
        opened
    }

    /// Moves a file kept under the root into the database, checking its
    /// hash on the way; whether it moved (false when it is already there).
    pub async fn move_into_database(&self, sha256: &str) -> Result<bool, AppError> {
        let Some(db) = &self.database else {
            return Err(files("evidence is kept in files on this engine"));
        };
        if db.has_blob(sha256).await? {
            return Ok(false);
        }
        let path = self.path_of(sha256)?;
        let mut f = tokio::fs::File::open(&path)
            .await
            .map_err(|e| files(format!("{}: {e}", path.display())))?;
        let mut w = db.write_blob(sha256).await?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; CHUNK];
        loop {
            let n = read_full(&mut f, &mut buf).await?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            w.chunk(&buf[..n]).await?;
        }
        check_hash(hasher, sha256)?;
        w.finish().await?;
        Ok(true)
    }
}

fn check_hash(hasher: Sha256, sha256: &str) -> Result<(), AppError> {
    if hex::encode(hasher.finalize()) != sha256 {
        return Err(files(format!(
            "the stored file {sha256} no longer matches its SHA-256; it was changed or damaged"
        )));
    }
    Ok(())
}

/// Reads until `buf` is full or the file ends, so that chunks are whole.
async fn read_full(f: &mut tokio::fs::File, buf: &mut [u8]) -> Result<usize, AppError> {
    let mut filled = 0;
    while filled < buf.len() {
        let n = f.read(&mut buf[filled..]).await.map_err(files)?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    Ok(filled)
}

/// A file being received. Dropped before [`BlobWriter::seal`] (refused,
/// failed or abandoned), it removes its temporary file.
pub struct BlobWriter {
    file: Option<BufWriter<tokio::fs::File>>,
    /// Set once a [`SealedFile`] owns the file; until then `Drop` removes it.
    placed: bool,
    hasher: Sha256,
    size: u64,
    limit: u64,
    head: Vec<u8>,
    tmp: PathBuf,
    blobs: Blobs,
}

impl BlobWriter {
    pub async fn write(&mut self, chunk: &[u8]) -> Result<(), AppError> {
        self.size += chunk.len() as u64;
        if self.size > self.limit {
            return Err(DomainError::field("file", format!("the file is larger than {} MB", self.limit >> 20)).into());
        }
        if self.head.len() < 512 {
            let take = (512 - self.head.len()).min(chunk.len());
            self.head.extend_from_slice(&chunk[..take]);
        }
        self.hasher.update(chunk);
        let file = self
            .file
            .as_mut()
            .ok_or_else(|| files("the upload was already finished"))?;
        file.write_all(chunk).await.map_err(files)
    }

    /// Completes the file on disk and describes it. It stays a temporary
    /// file until [`SealedFile::place`], so that evidence refused after
    /// upload leaves nothing behind.
    pub async fn seal(mut self, file_name: &str) -> Result<SealedFile, AppError> {
        if self.size == 0 {
            return Err(DomainError::field("file", "the file is empty").into());
        }
        let mut file = self.file.take().ok_or_else(|| files("the upload was already sealed"))?;
        file.flush().await.map_err(files)?;
        file.get_mut().sync_all().await.map_err(files)?;
        drop(file);
        let sha256 = hex::encode(std::mem::take(&mut self.hasher).finalize());
        let dest = self.blobs.path_of(&sha256)?;
        // From here the sealed file owns the temporary file.
        self.placed = true;
        Ok(SealedFile {
            stored: StoredFile {
                sha256,
                size: self.size as i64,
                content_type: sniff(&self.head, file_name).to_owned(),
                file_name: safe_file_name(file_name),
            },
            tmp: std::mem::take(&mut self.tmp),
            dest,
            placed: false,
            database: self.blobs.database.clone(),
        })
    }
}

impl Drop for BlobWriter {
    fn drop(&mut self) {
        if !self.placed {
            // Best effort: a leftover temporary file is only wasted space.
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// A received, hashed file not yet in its place. Dropped unplaced, it
/// removes its temporary file.
pub struct SealedFile {
    pub stored: StoredFile,
    tmp: PathBuf,
    dest: PathBuf,
    placed: bool,
    database: Option<Store>,
}

impl SealedFile {
    /// Moves the file to its place by hash (replacing an identical copy):
    /// into the database a chunk at a time, or to its path under the root.
    pub async fn place(mut self) -> Result<StoredFile, AppError> {
        if let Some(db) = self.database.take() {
            let mut f = tokio::fs::File::open(&self.tmp).await.map_err(files)?;
            let mut w = db.write_blob(&self.stored.sha256).await?;
            let mut buf = vec![0u8; CHUNK];
            loop {
                let n = read_full(&mut f, &mut buf).await?;
                if n == 0 {
                    break;
                }
                w.chunk(&buf[..n]).await?;
            }
            w.finish().await?;
            // Drop removes the temporary file, as for a file refused.
            return Ok(self.stored.clone());
        }
        if let Some(dir) = self.dest.parent() {
            tokio::fs::create_dir_all(dir).await.map_err(files)?;
        }
        tokio::fs::rename(&self.tmp, &self.dest).await.map_err(files)?;
        self.placed = true;
        Ok(self.stored.clone())
    }
}

impl Drop for SealedFile {
    fn drop(&mut self) {
        if !self.placed {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// The content type, decided from the bytes: the name only tells the Office
/// formats apart inside a ZIP. Anything unrecognised is an octet stream, and
/// markup is never called HTML, so a download cannot run in the browser.
pub fn sniff(head: &[u8], file_name: &str) -> &'static str {
    let ext = Path::new(file_name)
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    if head.starts_with(b"%PDF-") {
        "application/pdf"
    } else if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        "image/png"
    } else if head.starts_with(b"\xFF\xD8\xFF") {
        "image/jpeg"
    } else if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
        "image/gif"
    } else if head.starts_with(b"PK\x03\x04") {
        match ext.as_str() {
            "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "pptx" => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            "odt" => "application/vnd.oasis.opendocument.text",
            _ => "application/zip",
        }
    } else if utf8_prefix(head) {
        "text/plain; charset=utf-8"
    } else {
        "application/octet-stream"
    }
}

/// Whether `head` is UTF-8 except for a character cut at its end.
fn utf8_prefix(head: &[u8]) -> bool {
    match std::str::from_utf8(head) {
        Ok(_) => !head.contains(&0),
        Err(e) => e.error_len().is_none() && !head[..e.valid_up_to()].contains(&0),
    }
}

/// The name kept for a download: no directories, no control characters.
fn safe_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = base
        .chars()
        .filter(|c| !c.is_control() && *c != '"')
        .take(200)
        .collect();
    if clean.trim().is_empty() {
        "evidence".into()
    } else {
        clean
    }
}

/// Evidence as people describe it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct EvidenceInput {
    pub title: String,
    pub url: Option<String>,
    /// When the evidence was true: a date, or the start of a period.
    pub observed_from: Option<String>,
    pub observed_to: Option<String>,
    pub collected_by: Option<String>,
    pub valid_until: Option<String>,
    /// Applied control ids it supports.
    pub controls: Vec<String>,
    /// Check ids it supports.
    pub checks: Vec<String>,
    /// Annex A controls (SoA rows) it supports.
    pub annex: Vec<String>,
    /// Records of any register it supports, as `kind:id` (`asset:0193…`).
    pub records: Vec<String>,
    /// The evidence this one replaces as a newer version.
    pub supersedes: Option<String>,
}

fn optional_date(p: &mut Problems, field: &str, v: &Option<String>) -> Option<time::Date> {
    let v = v.as_deref().map(str::trim).filter(|v| !v.is_empty())?;
    p.take(pawl_domain::time_fmt::parse_date(field, v))
}

/// Records evidence for a received file, or for a link, on behalf of
/// `actor`; `collector` is who collected it unless the input says. The file
/// is put in its place once the record (and its links) are accepted, and
/// before the record is committed: a refusal leaves no file, and a
/// committed record always has its bytes.
pub async fn add(
    store: &Store,
    org_id: &str,
    actor: &Actor,
    collector: &str,
    input: &EvidenceInput,
    file: Option<SealedFile>,
) -> Result<Evidence, AppError> {
    let draft = draft(input, collector, file.as_ref().map(|f| f.stored.clone()))?;
    let mut tx = store.write(org_id, actor).await?;
    let e = tx.create_evidence(&draft).await?;
    if let Some(f) = file {
        f.place().await?;
    }
    tx.commit().await?;
    Ok(e)
}

/// Checks evidence as people describe it, naming each fault.
fn draft(input: &EvidenceInput, collector: &str, file: Option<StoredFile>) -> Result<EvidenceDraft, DomainError> {
    let mut problems = Problems::default();
    let url = input.url.as_deref().map(str::trim).filter(|u| !u.is_empty());
    match (&file, url) {
        (None, None) => problems.push("file", "attach a file or give a link"),
        (Some(_), Some(_)) => problems.push("url", "give a file or a link, not both"),
        (None, Some(u)) if !(u.starts_with("https://") || u.starts_with("http://")) || u.len() > 2_000 => {
            problems.push("url", "give an http or https address")
        }
        _ => {}
    }
    let title = match input.title.trim() {
        "" => file.as_ref().map(|f| f.file_name.clone()).unwrap_or_default(),
        t => t.to_owned(),
    };
    if title.is_empty() {
        problems.push("title", "give the evidence a title");
    } else if title.chars().count() > 300 {
        problems.push("title", "use at most 300 characters");
    }
    let from = optional_date(&mut problems, "observed_from", &input.observed_from);
    let to = optional_date(&mut problems, "observed_to", &input.observed_to);
    if let (Some(f), Some(t)) = (from, to) {
        if t < f {
            problems.push("observed_to", "the period ends before it starts");
        }
    }
    if to.is_some() && from.is_none() {
        problems.push("observed_from", "a period needs its start");
    }
    let valid_until = optional_date(&mut problems, "valid_until", &input.valid_until);
    if input.collected_by.as_deref().is_some_and(|c| c.chars().count() > 200) {
        problems.push("collected_by", "use at most 200 characters");
    }
    let mut links: Vec<(String, String)> = Vec::new();
    links.extend(
        input
            .controls
            .iter()
            .map(|c| ("applied_control".into(), c.trim().to_owned())),
    );
    links.extend(
        input
            .checks
            .iter()
            .map(|c| ("control_check".into(), c.trim().to_owned())),
    );
    for a in input.annex.iter().filter(|a| !a.trim().is_empty()) {
        if let Some(id) = problems.take(pawl_domain::control::annex_id("annex", a)) {
            links.push(("soa".into(), id));
        }
    }
    for r in input.records.iter().map(|r| r.trim()).filter(|r| !r.is_empty()) {
        match r
            .split_once(':')
            .filter(|(k, _)| pawl_domain::register::kind(k).is_some_and(|d| d.key == *k))
        {
            Some((k, id)) => links.push((k.to_owned(), id.to_owned())),
            None => problems.push("record", format!("{r:?} is not kind:id of a register's record")),
        }
    }
    links.retain(|(_, id)| !id.is_empty());
    problems.finish()?;
    let draft = EvidenceDraft {
        supersedes: input.supersedes.clone().filter(|s| !s.trim().is_empty()),
        title,
        url: url.map(str::to_owned),
        file,
        observed_from: from.map(|d| d.to_string()),
        observed_to: to.map(|d| d.to_string()),
        collected_by: input
            .collected_by
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .unwrap_or_else(|| collector.to_owned()),
        valid_until: valid_until.map(|d| d.to_string()),
        links,
    };
    Ok(draft)
}

/// An applied control's id from its id or its reference (`C-0007`).
pub async fn control_id(store: &Store, org_id: &str, id_or_reference: &str) -> Result<String, AppError> {
    let wanted = id_or_reference.trim();
    let reader = store.org(org_id);
    if !wanted.to_ascii_uppercase().starts_with("C-") {
        return Ok(reader.applied_control(wanted).await?.id);
    }
    reader
        .control_id_by_reference(&wanted.to_ascii_uppercase())
        .await?
        .ok_or_else(|| DomainError::field("control", format!("no applied control {wanted}")).into())
}

/// Whether the evidence no longer holds on `today`.
pub fn is_stale(e: &Evidence, today: time::Date) -> bool {
    e.valid_until.as_deref().is_some_and(|v| v < today.to_string().as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_come_from_the_bytes() {
        assert_eq!(sniff(b"%PDF-1.7\n", "report.txt"), "application/pdf");
        assert_eq!(
            sniff(b"PK\x03\x04rest", "policy.docx").split(';').next(),
            Some("application/vnd.openxmlformats-officedocument.wordprocessingml.document")
        );
        assert_eq!(sniff(b"PK\x03\x04rest", "archive.bin"), "application/zip");
        assert_eq!(
            sniff(b"<html><script>alert(1)</script>", "x.html"),
            "text/plain; charset=utf-8"
        );
        assert_eq!(sniff(b"\x00\x01\x02binary", "x.pdf"), "application/octet-stream");
        assert_eq!(
            sniff("café".as_bytes()[..4].as_ref(), "cut.txt"),
            "text/plain; charset=utf-8"
        );
    }

    #[test]
    fn file_names_lose_their_directories() {
        assert_eq!(safe_file_name("../../etc/passwd"), "passwd");
        assert_eq!(safe_file_name("C:\\Users\\x\\scan \"1\".pdf"), "scan 1.pdf");
        assert_eq!(safe_file_name("///"), "evidence");
    }

    #[tokio::test]
    async fn files_are_stored_by_hash_and_checked_on_the_way_out() {
        let root = std::env::temp_dir().join(format!("pawl-blobs-{}", hex::encode(rand::random::<[u8; 6]>())));
        let blobs = Blobs::new(&root);
        let mut w = blobs.writer().await.unwrap();
        w.write(b"%PDF-1.4 evidence").await.unwrap();
        let f = w.seal("scan.pdf").await.unwrap().place().await.unwrap();
        assert_eq!(f.content_type, "application/pdf");
        assert_eq!(f.size, 17);
        blobs.open_verified(&f.sha256).await.unwrap();
        std::fs::write(blobs.path_of(&f.sha256).unwrap(), b"%PDF-1.4 tampered").unwrap();
        let err = blobs.open_verified(&f.sha256).await.unwrap_err().to_string();
        assert!(err.contains("no longer matches"), "{err}");
        let mut small = Blobs::new(&root);
        small.max_file = 4;
        let mut w = small.writer().await.unwrap();
        assert!(w.write(b"12345").await.is_err());
        drop(w);
        assert_eq!(
            std::fs::read_dir(root.join("tmp")).unwrap().count(),
            0,
            "a refused upload leaves nothing"
        );
        let _ = std::fs::remove_dir_all(&root);
    }
}
