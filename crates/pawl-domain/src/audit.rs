//! The audit trail as a hash chain (clause 7.5.3: control of documented
//! information; Annex A 8.15: logging).
//!
//! Each event's hash covers a fixed, length-prefixed encoding of every stored
//! field and the previous event's hash, so changing, removing, inserting or
//! reordering any stored byte breaks the chain at a sequence number that
//! [`ChainVerifier`] names.

use serde::Serialize;
use sha2::{Digest, Sha256};

/// The hash that the first event of every organisation's chain points back to.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One audit event exactly as stored. Text fields hold the stored bytes, so
/// the hash is computed over what the database holds, not over a re-encoding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEvent {
    pub org_id: String,
    pub seq: i64,
    pub occurred_at: String,
    /// `user`, `token` or `system`.
    pub actor_kind: String,
    pub actor_id: String,
    /// A readable name for the actor at the time: an e-mail or a token name.
    pub actor_name: String,
    /// What happened, e.g. `create`, `update`, `delete`, `login`.
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    /// The record before the change, as JSON text; absent for a creation.
    pub before: Option<String>,
    /// The record after the change, as JSON text; absent for a deletion.
    pub after: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

/// Who made a change: a signed-in person, an API token acting for one, or
/// pawl itself (migrations, the demo loader, the CLI run by an operator).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Actor {
    pub kind: ActorKind,
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ActorKind {
    User,
    Token,
    System,
}

impl ActorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ActorKind::User => "user",
            ActorKind::Token => "token",
            ActorKind::System => "system",
        }
    }
}

impl Actor {
    /// pawl acting on an operator's command, e.g. `pawl org create`.
    pub fn system(what: &str) -> Self {
        Self {
            kind: ActorKind::System,
            id: "system".into(),
            name: what.into(),
        }
    }
}

/// The SHA-256 of an event's canonical encoding, as lowercase hex.
pub fn event_hash(e: &AuditEvent) -> String {
    hex::encode(event_digest(e))
}

/// The SHA-256 of an event's canonical encoding: every stored field but
/// `hash`, in a fixed order, each prefixed by its length.
pub fn event_digest(e: &AuditEvent) -> [u8; 32] {
    let mut h = Sha256::new();
    // The sequence number is hashed as its decimal text, written without
    // allocating: verification runs this a million times a second.
    let mut seq_buf = [0u8; 20];
    let mut n = e.seq.unsigned_abs();
    let mut i = seq_buf.len();
    loop {
        i -= 1;
        seq_buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if e.seq < 0 {
        i -= 1;
        seq_buf[i] = b'-';
    }
    let seq = &seq_buf[i..];
    let fields: [Option<&[u8]>; 12] = [
        Some(e.org_id.as_bytes()),
        Some(seq),
        Some(e.occurred_at.as_bytes()),
        Some(e.actor_kind.as_bytes()),
        Some(e.actor_id.as_bytes()),
        Some(e.actor_name.as_bytes()),
        Some(e.action.as_bytes()),
        Some(e.entity_type.as_bytes()),
        Some(e.entity_id.as_bytes()),
        e.before.as_deref().map(str::as_bytes),
        e.after.as_deref().map(str::as_bytes),
        Some(e.prev_hash.as_bytes()),
    ];
    for f in fields {
        match f {
            // A length prefix keeps field boundaries unambiguous; u32::MAX marks
            // an absent value so that "" and NULL hash differently.
            Some(bytes) => {
                h.update((bytes.len() as u32).to_be_bytes());
                h.update(bytes);
            }
            None => h.update(u32::MAX.to_be_bytes()),
        }
    }
    h.finalize().into()
}

/// Whether `stored` is the lowercase hex form of `digest`.
fn hex_matches(stored: &str, digest: &[u8; 32]) -> bool {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let s = stored.as_bytes();
    s.len() == 64
        && digest
            .iter()
            .enumerate()
            .all(|(i, b)| s[2 * i] == HEX[(b >> 4) as usize] && s[2 * i + 1] == HEX[(b & 15) as usize])
}

/// Where and why a chain stopped being intact.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("audit chain broken at sequence {seq}: {reason}")]
pub struct ChainBreak {
    /// The first sequence number that cannot be trusted.
    pub seq: i64,
    pub reason: String,
}

/// Checks events one by one, in stored order, without holding them.
#[derive(Debug)]
pub struct ChainVerifier {
    org_id: String,
    next_seq: i64,
    prev_hash: String,
}

impl ChainVerifier {
    pub fn new(org_id: &str) -> Self {
        Self {
            org_id: org_id.to_owned(),
            next_seq: 1,
            prev_hash: GENESIS_HASH.to_owned(),
        }
    }

    pub fn push(&mut self, e: &AuditEvent) -> Result<(), ChainBreak> {
        let brk = |reason: &str| ChainBreak {
            seq: self.next_seq,
            reason: reason.to_owned(),
        };
        if e.org_id != self.org_id {
            return Err(brk("event belongs to another organisation"));
        }
        if e.seq != self.next_seq {
            return Err(brk(&format!(
                "expected sequence {}, found {} (an event was removed, inserted or reordered)",
                self.next_seq, e.seq
            )));
        }
        if e.prev_hash != self.prev_hash {
            return Err(brk("previous hash does not match the event before it"));
        }
        if !hex_matches(&e.hash, &event_digest(e)) {
            return Err(brk("stored hash does not match the event's content"));
        }
        self.prev_hash.clone_from(&e.hash);
        self.next_seq += 1;
        Ok(())
    }

    /// Number of events verified so far.
    pub fn count(&self) -> i64 {
        self.next_seq - 1
    }

    /// Checks that the chain ends where the organisation's head says it does,
    /// which catches events cut from the end.
    pub fn finish(&self, head_seq: i64, head_hash: &str) -> Result<i64, ChainBreak> {
        if head_seq != self.count() || head_hash != self.prev_hash {
            return Err(ChainBreak {
                seq: self.count().min(head_seq) + 1,
                reason: format!(
                    "the chain ends at {} but the organisation's head records {}",
                    self.count(),
                    head_seq
                ),
            });
        }
        Ok(self.count())
    }
}

/// One field's change between two versions of a record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldChange {
    pub field: String,
    /// The old value as display text; absent when the field was added.
    pub old: Option<String>,
    /// The new value as display text; absent when the field was removed.
    pub new: Option<String>,
}

/// The readable difference between an event's `before` and `after`: every
/// top-level field whose value changed, in field order. Bookkeeping fields
/// (`version`, `updated_at`) are left out: they change every time.
pub fn diff(before: Option<&str>, after: Option<&str>) -> Vec<FieldChange> {
    use serde_json::{Map, Value};
    let parse = |s: Option<&str>| -> Map<String, Value> {
        match s.and_then(|s| serde_json::from_str::<Value>(s).ok()) {
            Some(Value::Object(m)) => m,
            Some(other) => Map::from_iter([("value".to_owned(), other)]),
            None => Map::new(),
        }
    };
    let show = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Null => "(none)".to_owned(),
        other => other.to_string(),
    };
    let (b, a) = (parse(before), parse(after));
    let mut keys: Vec<&String> = b.keys().chain(a.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| !matches!(k.as_str(), "version" | "updated_at"))
        .filter_map(|k| {
            let (old, new) = (b.get(k), a.get(k));
            (old != new).then(|| FieldChange {
                field: k.clone(),
                old: old.map(show),
                new: new.map(show),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<AuditEvent> {
        let mut prev = GENESIS_HASH.to_owned();
        (1..=n)
            .map(|seq| {
                let mut e = AuditEvent {
                    org_id: "org-1".into(),
                    seq,
                    occurred_at: format!("2026-11-28T03:05:{:02}.000000Z", seq % 60),
                    actor_kind: "user".into(),
                    actor_id: "u-1".into(),
                    actor_name: "ada@example.com".into(),
                    action: if seq == 1 { "create" } else { "update" }.into(),
                    entity_type: "risk".into(),
                    entity_id: format!("r-{seq}"),
                    before: (seq > 1).then(|| format!("{{\"title\":\"v{}\"}}", seq - 1)),
                    after: Some(format!("{{\"title\":\"v{seq}\"}}")),
                    prev_hash: prev.clone(),
                    hash: String::new(),
                };
                e.hash = event_hash(&e);
                prev = e.hash.clone();
                e
            })
            .collect()
    }

    fn verify(events: &[AuditEvent]) -> Result<i64, ChainBreak> {
        let mut v = ChainVerifier::new("org-1");
        for e in events {
            v.push(e)?;
        }
        let last = events.last().expect("non-empty chain");
        v.finish(last.seq, &last.hash)
    }

    /// Every stored field of an event, as mutable bytes, for tampering.
    fn fields_mut(e: &mut AuditEvent) -> Vec<&mut String> {
        let mut v = vec![
            &mut e.org_id,
            &mut e.occurred_at,
            &mut e.actor_kind,
            &mut e.actor_id,
            &mut e.actor_name,
            &mut e.action,
            &mut e.entity_type,
            &mut e.entity_id,
            &mut e.prev_hash,
            &mut e.hash,
        ];
        if let Some(b) = e.before.as_mut() {
            v.push(b);
        }
        if let Some(a) = e.after.as_mut() {
            v.push(a);
        }
        v
    }

    #[test]
    fn diffs_name_each_changed_field_and_skip_bookkeeping() {
        let d = diff(
            Some(r#"{"role":"viewer","email":"a@x.io","version":1}"#),
            Some(r#"{"role":"manager","email":"a@x.io","version":2}"#),
        );
        assert_eq!(
            d,
            vec![FieldChange {
                field: "role".into(),
                old: Some("viewer".into()),
                new: Some("manager".into())
            }]
        );
        let created = diff(None, Some(r#"{"name":"Acme"}"#));
        assert_eq!(created[0].old, None);
        assert_eq!(created[0].new.as_deref(), Some("Acme"));
    }

    #[test]
    fn sequence_numbers_hash_as_their_decimal_text() {
        let mut e = chain(1).remove(0);
        for seq in [0, 7, 10, 1_000_000, i64::MAX, -12] {
            e.seq = seq;
            let mut h = Sha256::new();
            let seq_text = seq.to_string();
            for f in [
                &e.org_id,
                &seq_text,
                &e.occurred_at,
                &e.actor_kind,
                &e.actor_id,
                &e.actor_name,
                &e.action,
                &e.entity_type,
                &e.entity_id,
            ] {
                h.update((f.len() as u32).to_be_bytes());
                h.update(f.as_bytes());
            }
            h.update(u32::MAX.to_be_bytes());
            let after = e.after.as_deref().unwrap();
            h.update((after.len() as u32).to_be_bytes());
            h.update(after.as_bytes());
            h.update((e.prev_hash.len() as u32).to_be_bytes());
            h.update(e.prev_hash.as_bytes());
            assert_eq!(event_hash(&e), hex::encode(h.finalize()), "seq {seq}");
        }
    }

    #[test]
    fn an_intact_chain_verifies() {
        assert_eq!(verify(&chain(20)), Ok(20));
    }

    /// The property, checked exhaustively rather than by sampling: changing any
    /// single byte of any stored field of any event is detected, and the break
    /// is reported at that event or (for a changed hash) the one after it.
    #[test]
    fn any_single_byte_change_is_detected_at_its_event() {
        let original = chain(6);
        for (i, _) in original.iter().enumerate() {
            let field_count = fields_mut(&mut original[i].clone()).len();
            for f in 0..field_count {
                let len = fields_mut(&mut original[i].clone())[f].len();
                for byte in 0..len {
                    for flip in [0x01u8, 0x20, 0x80] {
                        let mut events = original.clone();
                        let field = &mut fields_mut(&mut events[i])[f];
                        let mut bytes = std::mem::take(*field).into_bytes();
                        bytes[byte] ^= flip;
                        // Invalid UTF-8 cannot be stored in a text column, so
                        // such a flip is not a reachable tampering.
                        let Ok(s) = String::from_utf8(bytes) else {
                            continue;
                        };
                        **field = s;
                        let err = verify(&events).expect_err("tampering went unnoticed");
                        assert!(
                            err.seq == events[i].seq || err.seq == events[i].seq + 1,
                            "event {i} field {f} byte {byte}: reported at {}",
                            err.seq
                        );
                    }
                }
            }
            let mut events = original.clone();
            events[i].seq += 100;
            assert!(verify(&events).is_err(), "changed sequence of event {i}");
            let mut events = original.clone();
            events[i].before = None;
            events[i].after = None;
            assert!(verify(&events).is_err(), "nulled payload of event {i}");
        }
    }

    #[test]
    fn removed_inserted_and_reordered_events_are_detected() {
        let events = chain(5);
        let mut removed = events.clone();
        removed.remove(2);
        assert_eq!(verify(&removed).unwrap_err().seq, 3);

        let mut reordered = events.clone();
        reordered.swap(1, 2);
        assert_eq!(verify(&reordered).unwrap_err().seq, 2);

        let mut inserted = events.clone();
        inserted.insert(3, events[3].clone());
        assert_eq!(verify(&inserted).unwrap_err().seq, 5);

        let mut v = ChainVerifier::new("org-1");
        for e in &events[..4] {
            v.push(e).unwrap();
        }
        let head = &events[4];
        assert_eq!(v.finish(head.seq, &head.hash).unwrap_err().seq, 5);
    }

    #[test]
    fn empty_and_null_payloads_hash_differently() {
        let mut a = chain(1).remove(0);
        let mut b = a.clone();
        a.before = None;
        b.before = Some(String::new());
        assert_ne!(event_hash(&a), event_hash(&b));
    }
}
