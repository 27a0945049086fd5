//! The seam between the generic register path and a kind's own rules
//! (clause 7.5.3). A kind with rules implements [`KindRules`] in the module
//! that holds them, and `crate::kinds` registers the impl against the
//! kind's declaration; every hook defaults to nothing, so a kind states only
//! what it adds. The generic path (`crate::register`) runs the hooks in this
//! order, the write hooks inside its audited transaction:
//!
//! 1. [`KindRules::CREATOR`] names a new record's person field after its creator;
//! 2. [`KindRules::may_change`], with the role's permission, before any change;
//! 3. [`KindRules::check`] reads and derives values before the write, and
//!    finds what [`KindRules::written`] writes with the record after it;
//! 4. [`KindRules::before_move`], the move, [`KindRules::on_move`] (values
//!    the move sets, in the same change), then [`KindRules::after_move`];
//! 5. [`KindRules::before_retire`], the retirement, [`KindRules::after_retire`];
//! 6. [`KindRules::after_link`] on each end of a new or removed link.
//!
//! This module names no kind and uses no feature module: they use it.

use crate::{AppError, Principal};
use pawl_domain::register::{Kind, Value};
use pawl_store::{AuditedTx, Organisation, Record, Store};
use std::any::Any;
use std::future::Future;
use std::pin::Pin;

/// Where a check runs: the organisation and, for a member's change, the
/// member; None for system callers such as the demo, whom the
/// organisation's own choices do not bind.
pub struct Cx<'a> {
    pub store: &'a Store,
    pub org_id: &'a str,
    pub principal: Option<&'a Principal>,
}

/// Who makes a move: a member, or pawl itself (the demo), who is no member.
pub struct Mover<'a> {
    pub organisation: &'a Organisation,
    pub user_id: Option<&'a str>,
    pub email: &'a str,
}

impl<'a> Mover<'a> {
    pub fn of(p: &'a Principal) -> Self {
        Mover {
            organisation: &p.organisation,
            user_id: Some(&p.user_id),
            email: &p.email,
        }
    }

    /// The mover as a person field's value.
    pub fn person(&self) -> Value {
        Value::Person {
            user_id: self.user_id.map(str::to_owned),
            name: self.email.to_owned(),
        }
    }
}

/// A move as its record's values see it.
pub struct Move<'a> {
    pub from: &'a str,
    pub to: &'a str,
    /// The field the declared move records its reason in, and the reason.
    pub reason: Option<(&'static str, &'a str)>,
    pub mover: &'a Mover<'a>,
}

/// A kind's own rules on top of its declaration. Implemented once per kind
/// with rules, in its feature module; every hook defaults to doing nothing.
pub trait KindRules: Sync + 'static {
    /// What [`KindRules::check`] finds to write with the record.
    type Found: Default + Send + 'static;

    /// The person field a new record names its creator in when none is given.
    const CREATOR: Option<&'static str> = None;

    /// Whether the principal may change a record with these values, beyond
    /// the role's permission to write the register.
    fn may_change(
        &self,
        _store: &Store,
        _p: &Principal,
        _values: &[Value],
    ) -> impl Future<Output = Result<(), AppError>> + Send {
        async { Ok(()) }
    }

    /// Checks a new (`current` None) or changed record's values and derives
    /// the fields that follow from them.
    fn check(
        &self,
        _cx: &Cx<'_>,
        _current: Option<&Record>,
        _values: &mut [Value],
    ) -> impl Future<Output = Result<Self::Found, AppError>> + Send {
        async { Ok(Self::Found::default()) }
    }

    /// Writes what `check` found, after the record; returns the record as it
    /// then stands.
    fn written(
        &self,
        _tx: &mut AuditedTx,
        r: Record,
        _found: Self::Found,
        _created: bool,
    ) -> impl Future<Output = Result<Record, AppError>> + Send {
        async { Ok(r) }
    }

    /// What a move needs beyond the fields its new state declares, checked
    /// in the transaction that makes it.
    fn before_move(
        &self,
        _tx: &mut AuditedTx,
        _m: &Move<'_>,
        _r: &Record,
    ) -> impl Future<Output = Result<(), AppError>> + Send {
        async { Ok(()) }
    }

    /// The values a move sets besides the state; by default the reason it
    /// needs, in the field its declaration names.
    fn on_move(&self, kind: &Kind, m: &Move<'_>, values: &mut [Value]) {
        record_reason(kind, m, values);
    }

    /// What follows a move, with the record as the move left it.
    fn after_move(
        &self,
        _store: &Store,
        _tx: &mut AuditedTx,
        _m: &Move<'_>,
        _moved: &Record,
    ) -> impl Future<Output = Result<(), AppError>> + Send {
        async { Ok(()) }
    }

    /// What must hold before a record is retired.
    fn before_retire(&self, _tx: &mut AuditedTx, _r: &Record) -> impl Future<Output = Result<(), AppError>> + Send {
        async { Ok(()) }
    }

    /// What a retirement keeps in step, in the same transaction.
    fn after_retire(&self, _tx: &mut AuditedTx, _r: &Record) -> impl Future<Output = Result<(), AppError>> + Send {
        async { Ok(()) }
    }

    /// What a new or removed link keeps in step on this end, the record `id`.
    fn after_link(&self, _tx: &mut AuditedTx, _id: &str) -> impl Future<Output = Result<(), AppError>> + Send {
        async { Ok(()) }
    }
}

/// A step of the generic path, boxed so that kinds can sit in one table.
pub type Step<'a, T> = Pin<Box<dyn Future<Output = Result<T, AppError>> + Send + 'a>>;

/// What a check found, to be written by the kind that found it.
pub struct Found(Box<dyn Any + Send>);

/// [`KindRules`] as the generic path calls it, whichever kind it is.
pub trait Hooks: Sync {
    fn creator(&self) -> Option<&'static str>;
    fn may_change<'a>(&'a self, store: &'a Store, p: &'a Principal, values: &'a [Value]) -> Step<'a, ()>;
    fn check<'a>(&'a self, cx: &'a Cx<'a>, current: Option<&'a Record>, values: &'a mut [Value]) -> Step<'a, Found>;
    fn written<'a>(&'a self, tx: &'a mut AuditedTx, r: Record, found: Found, created: bool) -> Step<'a, Record>;
    fn before_move<'a>(&'a self, tx: &'a mut AuditedTx, m: &'a Move<'a>, r: &'a Record) -> Step<'a, ()>;
    fn on_move(&self, kind: &Kind, m: &Move<'_>, values: &mut [Value]);
    fn after_move<'a>(
        &'a self,
        store: &'a Store,
        tx: &'a mut AuditedTx,
        m: &'a Move<'a>,
        moved: &'a Record,
    ) -> Step<'a, ()>;
    fn before_retire<'a>(&'a self, tx: &'a mut AuditedTx, r: &'a Record) -> Step<'a, ()>;
    fn after_retire<'a>(&'a self, tx: &'a mut AuditedTx, r: &'a Record) -> Step<'a, ()>;
    fn after_link<'a>(&'a self, tx: &'a mut AuditedTx, id: &'a str) -> Step<'a, ()>;
}

impl<T: KindRules> Hooks for T {
    fn creator(&self) -> Option<&'static str> {
        T::CREATOR
    }
    fn may_change<'a>(&'a self, store: &'a Store, p: &'a Principal, values: &'a [Value]) -> Step<'a, ()> {
        Box::pin(KindRules::may_change(self, store, p, values))
    }
    fn check<'a>(&'a self, cx: &'a Cx<'a>, current: Option<&'a Record>, values: &'a mut [Value]) -> Step<'a, Found> {
        Box::pin(async move {
            let found = KindRules::check(self, cx, current, values).await?;
            Ok(Found(Box::new(found)))
        })
    }
    fn written<'a>(&'a self, tx: &'a mut AuditedTx, r: Record, found: Found, created: bool) -> Step<'a, Record> {
        Box::pin(async move {
            // The generic path hands back what this kind's own check found.
            let found = found.0.downcast::<T::Found>().map_err(|_| {
                AppError::Store(pawl_store::StoreError::Corrupt(format!(
                    "{} was written with another kind's findings",
                    r.kind.label
                )))
            })?;
            KindRules::written(self, tx, r, *found, created).await
        })
    }
    fn before_move<'a>(&'a self, tx: &'a mut AuditedTx, m: &'a Move<'a>, r: &'a Record) -> Step<'a, ()> {
        Box::pin(KindRules::before_move(self, tx, m, r))
    }
    fn on_move(&self, kind: &Kind, m: &Move<'_>, values: &mut [Value]) {
        KindRules::on_move(self, kind, m, values)
    }
    fn after_move<'a>(
        &'a self,
        store: &'a Store,
        tx: &'a mut AuditedTx,
        m: &'a Move<'a>,
        moved: &'a Record,
    ) -> Step<'a, ()> {
        Box::pin(KindRules::after_move(self, store, tx, m, moved))
    }
    fn before_retire<'a>(&'a self, tx: &'a mut AuditedTx, r: &'a Record) -> Step<'a, ()> {
        Box::pin(KindRules::before_retire(self, tx, r))
    }
    fn after_retire<'a>(&'a self, tx: &'a mut AuditedTx, r: &'a Record) -> Step<'a, ()> {
        Box::pin(KindRules::after_retire(self, tx, r))
    }
    fn after_link<'a>(&'a self, tx: &'a mut AuditedTx, id: &'a str) -> Step<'a, ()> {
        Box::pin(KindRules::after_link(self, tx, id))
    }
}

/// A kind with no rules of its own beyond its declaration.
pub struct Declared;

impl KindRules for Declared {
    type Found = ();
}

/// Records a move's reason in the field its declaration names: what
/// [`KindRules::on_move`] does unless a kind says otherwise.
pub fn record_reason(kind: &Kind, m: &Move<'_>, values: &mut [Value]) {
    if let Some((field, why)) = m.reason {
        set(kind, values, field, Value::Text(why.to_owned()));
    }
}

/// Sets a declared field's value; a name the kind does not declare changes nothing.
pub fn set(kind: &Kind, values: &mut [Value], field: &str, v: Value) {
    if let Some(i) = kind.index_of(field) {
        values[i] = v;
    }
}

/// Sets a record's derived fields again from its stored values, for the
/// kinds whose derived fields follow other fields (a change copies the
/// derived ones as stored); writes only when they moved.
pub async fn rederive(tx: &mut AuditedTx, r: Record, derive: fn(&mut [Value])) -> Result<Record, AppError> {
    let mut values = r.values.clone();
    derive(&mut values);
    if values == r.values {
        return Ok(r);
    }
    Ok(tx.update_record(r.kind, &r.id, values, None).await?)
}
