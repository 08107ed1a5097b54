//! A scenario file parsed once into a TOML tree that keeps the span of every
//! key and value, kept alongside its text so that each attack or defence
//! can be configured from its own table later, with errors pointing at the
//! exact value.

use std::ops::Range;
use std::sync::Arc;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use super::{Arrival, Diagnostic, InstanceSection, limits};
use crate::time::SimDuration;
use crate::vocabulary::Role;

type Root<'a> = Spanned<DeTable<'a>>;

/// Fields of an attack or defence table that the engine reads itself and
/// the mechanism never sees.
const ENGINE_FIELDS: &[&str] = &["kind", "cost_per_year", "one_off_cost", "start", "arrivals_per_year"];

/// The most arrivals a year an attack may have.
const MAX_ARRIVALS_PER_YEAR: f64 = 10_000.0;

self_cell::self_cell!(
    /// The parsed scenario file: its text and the tree borrowed from it.
    pub struct Document {
        owner: Arc<str>,
        #[covariant]
        dependent: Root,
    }
    impl {Debug}
);

impl Document {
    /// Parses `text`.
    ///
    /// # Errors
    /// The TOML syntax error, at its place.
    pub(crate) fn parse(text: Arc<str>) -> Result<Document, Diagnostic> {
        Document::try_new(text, |t| DeTable::parse(t)).map_err(|e| Diagnostic::from_toml(&e))
    }

    /// A deserializer over the whole file, for the scenario's own fields.
    pub(crate) fn deserializer(&self) -> toml::de::Deserializer<'_> {
        toml::de::Deserializer::from(self.borrow_dependent().clone())
    }

    /// The attack and defence tables: defences first, each role in id
    /// order, with every problem of their shape (not a table, a `kind`
    /// that is not a string, an id used twice or unusable as a column name).
    pub(crate) fn instance_sections(&self) -> (Vec<InstanceSection>, Vec<Diagnostic>) {
        let root = self.borrow_dependent().get_ref();
        let mut sections: Vec<InstanceSection> = Vec::new();
        let mut problems = Vec::new();
        for role in [Role::Defence, Role::Attack] {
            let Some(table) = root.get(role.table()) else { continue };
            let Some(entries) = table.get_ref().as_table() else {
                problems.push(Diagnostic::at(
                    table.span(),
                    format!("`{}` must be a table of {}s, each keyed by its id", role.table(), role.noun()),
                ));
                continue;
            };
            for (key, value) in entries.iter() {
                let id: &str = key.get_ref();
                let Some(fields) = value.get_ref().as_table() else {
                    problems.push(Diagnostic::at(value.span(), format!("`{}.{id}` must be a table", role.table())));
                    continue;
                };
                if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
                    problems.push(
                        Diagnostic::at(key.span(), format!("{} id `{id}` cannot name a dataset column", role.noun()))
                            .with_help("use letters, digits, `-` and `_`, e.g. `wannacry` or `second-wave`"),
                    );
                    continue;
                }
                if let Some(other) = sections.iter().find(|s| s.id.get_ref() == id) {
                    problems.push(
                        Diagnostic::at(
                            key.span(),
                            format!(
                                "`{id}` names both {} {} and {} {}",
                                article(other.role),
                                other.role.noun(),
                                article(role),
                                role.noun()
                            ),
                        )
                        .with_help("give every attack and defence its own id"),
                    );
                    continue;
                }
                let kind = match fields.get("kind") {
                    None => Spanned::new(key.span(), id.to_owned()),
                    Some(k) => match k.get_ref().as_str() {
                        Some(s) => Spanned::new(k.span(), s.to_owned()),
                        None => {
                            problems.push(
                                Diagnostic::at(k.span(), "`kind` must be a string naming a mechanism")
                                    .with_help("`iomtsim schema` lists every kind"),
                            );
                            continue;
                        }
                    },
                };
                let mut money = |field: &str| -> f64 {
                    let Some(value) = fields.get(field) else { return 0.0 };
                    let parsed = f64::deserialize(ValueDeserializer::from(value.clone()));
                    match parsed {
                        Ok(x) if x.is_finite() && x >= 0.0 && role == Role::Defence => x,
                        Ok(_) if role == Role::Attack => {
                            problems.push(
                                Diagnostic::at(
                                    value.span(),
                                    format!("`{field}` is what a defence costs; attacks have none"),
                                )
                                .with_help("put costs on the defences, and the harm attacks cause under [costs]"),
                            );
                            0.0
                        }
                        _ => {
                            problems.push(Diagnostic::at(
                                value.span(),
                                format!("`{field}` must be a sum of money, zero or more"),
                            ));
                            0.0
                        }
                    }
                };
                let cost_per_year = money("cost_per_year");
                let one_off_cost = money("one_off_cost");
                let (arrival, arrival_span) = arrival(role, fields, &mut problems);
                sections.push(InstanceSection {
                    role,
                    id: Spanned::new(key.span(), id.to_owned()),
                    kind,
                    cost_per_year,
                    one_off_cost,
                    arrival,
                    arrival_span,
                });
            }
        }
        if sections.len() > limits::MAX_INSTANCES {
            problems.push(Diagnostic::whole_file(format!(
                "at most {} attacks and defences are supported, found {}",
                limits::MAX_INSTANCES,
                sections.len()
            )));
        }
        (sections, problems)
    }

    /// The parameters of one attack or defence table.
    pub(crate) fn section(&self, instance: &InstanceSection) -> Section<'_> {
        let root = self.borrow_dependent().get_ref();
        let table = root.get(instance.role.table()).and_then(|t| t.get_ref().as_table());
        let value = table.and_then(|t| t.get(instance.id.get_ref().as_str())).cloned().map(|mut v| {
            if let DeValue::Table(fields) = v.get_mut() {
                for field in ENGINE_FIELDS {
                    fields.remove(*field);
                }
            }
            v
        });
        Section { value, key_span: instance.id.span(), id: instance.id.get_ref().clone(), role: instance.role }
    }
}

/// When an attack arrives: its `start`, or its `arrivals_per_year`.
fn arrival(role: Role, fields: &DeTable<'_>, problems: &mut Vec<Diagnostic>) -> (Arrival, Option<Range<usize>>) {
    let start = fields.get("start");
    let rate = fields.get("arrivals_per_year");
    let once = (Arrival::At(SimDuration::ZERO), None);
    if role == Role::Defence {
        for v in [start, rate].into_iter().flatten() {
            problems.push(
                Diagnostic::at(v.span(), "defences are in place from the start; only attacks arrive")
                    .with_help("remove it, or move it to an attack"),
            );
        }
        return once;
    }
    match (start, rate) {
        (Some(s), Some(r)) => {
            problems.push(
                Diagnostic::at(r.span(), "give an attack either a `start` or an `arrivals_per_year`, not both")
                    .with_help("`start` brings it once; `arrivals_per_year` brings it at random, as often as that"),
            );
            let _ = s;
            once
        }
        (Some(s), None) => match SimDuration::deserialize(ValueDeserializer::from(s.clone())) {
            Ok(d) => (Arrival::At(d), Some(s.span())),
            Err(e) => {
                let mut d = Diagnostic::from_toml(&e);
                d.span = Some(s.span());
                problems.push(d);
                once
            }
        },
        (None, Some(r)) => match f64::deserialize(ValueDeserializer::from(r.clone())) {
            Ok(x) if x.is_finite() && (0.0..=MAX_ARRIVALS_PER_YEAR).contains(&x) => {
                (Arrival::PerYear(x), Some(r.span()))
            }
            _ => {
                problems.push(Diagnostic::at(
                    r.span(),
                    format!("arrivals_per_year must be a number from 0 to {MAX_ARRIVALS_PER_YEAR}"),
                ));
                once
            }
        },
        (None, None) => once,
    }
}

fn article(role: Role) -> &'static str {
    match role {
        Role::Attack => "an",
        Role::Defence => "a",
    }
}

/// An attack or defence table of a scenario, ready to deserialize into the
/// mechanism's parameters with exact spans on every error.
pub struct Section<'a> {
    value: Option<Spanned<DeValue<'a>>>,
    key_span: Range<usize>,
    id: String,
    role: Role,
}

impl Section<'_> {
    /// Deserializes the table (less the fields the engine reads: `kind`,
    /// `cost_per_year`, `one_off_cost`, `start`, `arrivals_per_year`) into
    /// the mechanism's
    /// parameter struct (use `#[serde(deny_unknown_fields)]` so typos are
    /// caught).
    ///
    /// # Errors
    /// The TOML error as a diagnostic at the offending value.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, Vec<Diagnostic>> {
        let Some(value) = &self.value else {
            return Err(vec![Diagnostic::at(self.key_span.clone(), "this table has no parameters")]);
        };
        T::deserialize(ValueDeserializer::from(value.clone())).map_err(|e| {
            let mut d = Diagnostic::from_toml(&e);
            if d.span.is_none() {
                d.span = Some(self.key_span.clone());
            }
            // An unknown field of the table itself (not of a table inside
            // it): serde lists the mechanism's own fields; say the engine's too.
            let top_level = d
                .message
                .strip_prefix("unknown field `")
                .and_then(|rest| rest.split('`').next())
                .is_some_and(|name| matches!(value.get_ref(), DeValue::Table(t) if t.get(name).is_some()));
            if top_level {
                let engine = match self.role {
                    Role::Attack => "`kind`, `start` and `arrivals_per_year`",
                    Role::Defence => "`kind`, `cost_per_year` and `one_off_cost`",
                };
                d.help = Some(format!(
                    "remove the field or correct its spelling; every {} table also takes {engine}; \
                     `iomtsim schema` lists every field",
                    self.role.noun()
                ));
            }
            vec![d]
        })
    }

    /// The instance's id: the table's key.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Where the table's name stands, for errors about it as a whole.
    pub fn span(&self) -> Range<usize> {
        self.key_span.clone()
    }
}
