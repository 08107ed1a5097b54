//! Attacks and defences plug into the engine the way bevy plugins do: each
//! is a [`PluginFactory`] that reads its own section of a scenario file
//! (`[attacks.worm]`, `[defences.patching]`) and yields a [`Plugin`] that
//! registers handlers once and sets up each trial. The engine never names
//! one; a [`Registry`] lists those a program offers.

use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use crate::engine::{Sim, SimBuilder};
use crate::scenario::{Diagnostic, Scenario};

/// Whether a plugin attacks or defends; it decides the table it lives in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Listed under `[attacks.<kind>]`.
    Attack,
    /// Listed under `[defences.<kind>]`.
    Defence,
}

impl Role {
    /// The scenario table holding plugins of this role.
    pub fn table(self) -> &'static str {
        match self {
            Role::Attack => "attacks",
            Role::Defence => "defences",
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Role::Attack => "attack",
            Role::Defence => "defence",
        }
    }
}

/// A plugin's section of a scenario file, ready to deserialize with exact
/// spans on every error.
pub struct Section<'a> {
    value: Spanned<DeValue<'a>>,
    key_span: std::ops::Range<usize>,
}

impl Section<'_> {
    /// Deserializes the section into the plugin's parameter struct
    /// (use `#[serde(deny_unknown_fields)]` so typos are caught).
    ///
    /// # Errors
    /// The TOML error as a diagnostic at the offending value.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, Vec<Diagnostic>> {
        T::deserialize(ValueDeserializer::from(self.value.clone())).map_err(|e| {
            let mut d = Diagnostic::from_toml(&e);
            if d.span.is_none() {
                d.span = Some(self.key_span.clone());
            }
            vec![d]
        })
    }

    /// Where the section's name stands, for errors about it as a whole.
    pub fn span(&self) -> std::ops::Range<usize> {
        self.key_span.clone()
    }
}

/// Makes a plugin from its section of a scenario.
pub trait PluginFactory: Send + Sync {
    /// The key under the role's table, e.g. `worm`.
    fn kind(&self) -> &'static str;
    /// Attack or defence.
    fn role(&self) -> Role;
    /// One line on what it models, for `--help`-like listings.
    fn summary(&self) -> &'static str;
    /// JSON Schema of its section.
    fn schema(&self, generator: &mut schemars::SchemaGenerator) -> schemars::Schema;
    /// Reads and checks its section against the scenario.
    ///
    /// # Errors
    /// Every problem found, each with its span.
    fn configure(&self, section: &Section<'_>, scenario: &Scenario) -> Result<Box<dyn Plugin>, Vec<Diagnostic>>;
}

/// The short way to write a [`PluginFactory`]: name the parameter struct
/// (serde + schemars, with `deny_unknown_fields`) and the kind, and turn
/// parsed parameters into a plugin. Parsing, span-carrying errors and the
/// JSON Schema come with it.
pub trait PluginSpec: Send + Sync + 'static {
    /// The section's parameters.
    type Params: DeserializeOwned + schemars::JsonSchema;
    /// The key under the role's table, e.g. `worm`.
    const KIND: &'static str;
    /// Attack or defence.
    const ROLE: Role;
    /// One line on what it models.
    const SUMMARY: &'static str;
    /// Checks the parameters against the scenario and makes the plugin.
    ///
    /// # Errors
    /// Every problem found, each with its span.
    fn configure(
        params: Self::Params,
        section: &Section<'_>,
        scenario: &Scenario,
    ) -> Result<Box<dyn Plugin>, Vec<Diagnostic>>;
}

impl<T: PluginSpec> PluginFactory for T {
    fn kind(&self) -> &'static str {
        T::KIND
    }

    fn role(&self) -> Role {
        T::ROLE
    }

    fn summary(&self) -> &'static str {
        T::SUMMARY
    }

    fn schema(&self, generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        generator.subschema_for::<T::Params>()
    }

    fn configure(&self, section: &Section<'_>, scenario: &Scenario) -> Result<Box<dyn Plugin>, Vec<Diagnostic>> {
        T::configure(section.parse()?, section, scenario)
    }
}

/// A configured attack or defence.
pub trait Plugin: Send + Sync {
    /// Registers handlers and signal subscriptions, once per run.
    fn build(&mut self, builder: &mut SimBuilder);
    /// Inserts per-trial state and schedules the first events.
    fn start_trial(&self, sim: &mut Sim);
}

/// The plugins a program offers, by role and kind.
#[derive(Clone, Default)]
pub struct Registry {
    factories: Vec<&'static dyn PluginFactory>,
}

impl Registry {
    /// A registry of the given factories.
    pub fn new(factories: Vec<&'static dyn PluginFactory>) -> Self {
        Registry { factories }
    }

    /// The factory for `kind` in `role`.
    pub fn get(&self, role: Role, kind: &str) -> Option<&'static dyn PluginFactory> {
        self.factories.iter().copied().find(|f| f.role() == role && f.kind() == kind)
    }

    /// Every factory.
    pub fn iter(&self) -> impl Iterator<Item = &'static dyn PluginFactory> + '_ {
        self.factories.iter().copied()
    }
}

/// Configures every plugin a scenario names: defences first, then attacks,
/// each group in kind order, so that defences set the stage (patches
/// installed before the trial) before attacks look at it.
pub(crate) fn configure_plugins(
    scenario: &Scenario,
    registry: &Registry,
) -> Result<Vec<(Role, &'static str, Box<dyn Plugin>)>, Vec<Diagnostic>> {
    let root = DeTable::parse(&scenario.source.text).map_err(|e| vec![Diagnostic::from_toml(&e)])?;
    let mut plugins = Vec::new();
    let mut problems = Vec::new();
    for role in [Role::Defence, Role::Attack] {
        let Some(table) = root.get_ref().get(role.table()) else {
            continue;
        };
        let Some(entries) = table.get_ref().as_table() else {
            problems
                .push(Diagnostic::at(table.span(), format!("`{}` must be a table of {}s", role.table(), role.noun())));
            continue;
        };
        let mut entries: Vec<_> = entries.iter().collect();
        entries.sort_by(|a, b| a.0.get_ref().cmp(b.0.get_ref()));
        for (key, value) in entries {
            let kind: &str = key.get_ref();
            let Some(factory) = registry.get(role, kind) else {
                let known: Vec<&str> = registry.iter().filter(|f| f.role() == role).map(|f| f.kind()).collect();
                problems.push(
                    Diagnostic::at(key.span(), format!("unknown {} kind `{kind}`", role.noun())).with_help(format!(
                        "known {} kinds: {}",
                        role.noun(),
                        known.join(", ")
                    )),
                );
                continue;
            };
            if !value.get_ref().is_table() {
                problems.push(Diagnostic::at(value.span(), format!("`{}.{kind}` must be a table", role.table())));
                continue;
            }
            let section = Section { value: value.clone(), key_span: key.span() };
            match factory.configure(&section, scenario) {
                Ok(p) => plugins.push((role, factory.kind(), p)),
                Err(mut d) => problems.append(&mut d),
            }
        }
    }
    if problems.is_empty() { Ok(plugins) } else { Err(problems) }
}

/// The JSON Schema of the scenario format, including every registered
/// plugin's section.
pub fn scenario_schema(registry: &Registry) -> schemars::Schema {
    let mut generator = schemars::generate::SchemaSettings::draft2020_12().into_generator();
    let mut sections = [(Role::Attack, serde_json_map()), (Role::Defence, serde_json_map())];
    for f in registry.iter() {
        let schema = f.schema(&mut generator);
        let slot = if f.role() == Role::Attack { &mut sections[0].1 } else { &mut sections[1].1 };
        slot.insert(f.kind().to_owned(), schema.to_value());
    }
    let mut root = generator.into_root_schema_for::<crate::scenario::raw::RawScenario>();
    if let Some(props) = root.get_mut("properties").and_then(|p| p.as_object_mut()) {
        for (role, map) in sections {
            props.insert(
                role.table().to_owned(),
                schemars::json_schema!({
                    "description": format!("{}s, keyed by kind", role.noun()),
                    "type": "object",
                    "properties": map,
                    "additionalProperties": false
                })
                .to_value(),
            );
        }
    }
    root
}

fn serde_json_map() -> schemars::_private::serde_json::Map<String, schemars::_private::serde_json::Value> {
    Default::default()
}
