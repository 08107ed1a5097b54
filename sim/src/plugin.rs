//! Attacks and defences plug into the engine the way bevy plugins do. A
//! [`PluginFactory`] reads one table of a scenario file (`[attacks.<id>]`,
//! `[defences.<id>]`, naming it by `kind`) and yields a [`Plugin`] whose
//! `build` declares what it contributes to a [`SimBuilder`]. A [`Registry`]
//! lists the mechanisms a program offers; [`build_model`] configures a
//! loaded scenario's tables from it and builds the model. The engine never
//! names a mechanism.

use std::sync::Arc;

use serde::de::DeserializeOwned;

use crate::model::{Model, SimBuilder};
use crate::scenario::{Diagnostic, Scenario, ScenarioError, Section};
use crate::vocabulary::{InstanceInfo, Role};

/// Makes a plugin from its table of a scenario.
pub trait PluginFactory: Send + Sync {
    /// The mechanism's name, which tables give as `kind`, e.g. `worm`.
    fn kind(&self) -> &'static str;
    /// Attack or defence.
    fn role(&self) -> Role;
    /// One line on what it models.
    fn summary(&self) -> &'static str;
    /// JSON Schema of its table.
    fn schema(&self, generator: &mut schemars::SchemaGenerator) -> schemars::Schema;
    /// Reads and checks its table against the scenario.
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
    /// The table's parameters.
    type Params: DeserializeOwned + schemars::JsonSchema;
    /// The mechanism's name, e.g. `worm`.
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

/// A configured attack or defence instance.
pub trait Plugin: Send + Sync {
    /// Declares the instance's metrics and events and registers its
    /// components, resources, handlers, subscriptions and start-of-trial
    /// systems.
    fn build(&self, builder: &mut SimBuilder);

    /// What a defence changes in the hospital before any trial starts: the
    /// flows it encrypts, the services its firewalls close, the click rates
    /// its training lowers. Runs once every defence is configured and before
    /// any attack is, so attacks plan against the hospital as defended. By
    /// default, nothing.
    fn amend(&self, _scenario: &mut Scenario) {}
}

/// The mechanisms a program offers.
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

/// Configures every attack and defence a scenario names from `registry`
/// and builds the model: defences first, each role in id order, so that
/// defences set the stage (patches installed before the trial) before
/// attacks look at it.
///
/// # Errors
/// [`ScenarioError::Invalid`] listing every problem found in the tables.
pub fn build_model(scenario: Scenario, registry: &Registry) -> Result<Model, ScenarioError> {
    let mut scenario = scenario;
    let mut configured: Vec<(String, &'static dyn PluginFactory, Box<dyn Plugin>)> = Vec::new();
    let mut problems = Vec::new();
    let mut amended = false;
    let sections = scenario.instances.clone();
    for section in &sections {
        if section.role == Role::Attack && !amended {
            amend(&mut scenario, &configured);
            amended = true;
        }
        let kind = section.kind.get_ref();
        let Some(factory) = registry.get(section.role, kind) else {
            let noun = section.role.noun();
            let known: Vec<&str> = registry.iter().filter(|f| f.role() == section.role).map(|f| f.kind()).collect();
            problems.push(
                Diagnostic::at(section.kind.span(), format!("unknown {noun} kind `{kind}`"))
                    .with_help(format!("known {noun} kinds: {}", known.join(", "))),
            );
            continue;
        };
        match factory.configure(&scenario.section(section), &scenario) {
            Ok(plugin) => configured.push((section.id.get_ref().clone(), factory, plugin)),
            Err(mut d) => problems.append(&mut d),
        }
    }
    if !amended {
        amend(&mut scenario, &configured);
    }
    if !problems.is_empty() {
        return Err(scenario.source.invalid(problems));
    }
    let scenario = Arc::new(scenario);
    let mut builder = SimBuilder::new(scenario.clone());
    for (id, factory, plugin) in configured {
        builder.begin(InstanceInfo {
            id,
            kind: factory.kind(),
            role: factory.role(),
            summary: factory.summary(),
            story: None,
        });
        plugin.build(&mut builder);
    }
    let model = builder.finish();
    for (i, section) in scenario.instances.iter().enumerate() {
        let arrives = model.arrivals.iter().any(|(inst, _)| usize::from(inst.0) == i);
        if let (Some(span), false) = (&section.arrival_span, arrives) {
            problems.push(
                Diagnostic::at(
                    span.clone(),
                    format!("`{}` answers other attacks and has no arrival of its own", section.kind.get_ref()),
                )
                .with_help("give the start or the arrival rate to the attack it follows"),
            );
        }
    }
    if !problems.is_empty() {
        return Err(scenario.source.invalid(problems));
    }
    Ok(model)
}

/// Applies every configured defence's changes to the hospital, in id
/// order, and redraws the zone graph they may have changed.
fn amend(scenario: &mut Scenario, configured: &[(String, &'static dyn PluginFactory, Box<dyn Plugin>)]) {
    for (_, _, plugin) in configured {
        plugin.amend(scenario);
    }
    scenario.network = scenario.network.rebuilt(&scenario.zones, &scenario.conduits);
}

/// Loads a scenario and builds its model with `registry`: the two steps
/// most callers want.
///
/// # Errors
/// [`ScenarioError`] for an unreadable or invalid scenario.
pub fn load_model(source: crate::ScenarioSource, registry: &Registry) -> Result<Model, ScenarioError> {
    build_model(Scenario::load(source)?, registry)
}

/// The JSON Schema of the scenario format, including every registered
/// mechanism's table.
pub fn scenario_schema(registry: &Registry) -> schemars::Schema {
    use schemars::_private::serde_json::{Map, Value, json};
    let mut generator = schemars::generate::SchemaSettings::draft2020_12().into_generator();
    let mut tables = [(Role::Attack, Map::new(), Vec::new()), (Role::Defence, Map::new(), Vec::new())];
    let mut kinds = Vec::new();
    for f in registry.iter() {
        let schema = f.schema(&mut generator).to_value();
        let slot = if f.role() == Role::Attack { &mut tables[0] } else { &mut tables[1] };
        // A table keyed by the kind itself needs no `kind`; any other id must name one.
        slot.1.insert(f.kind().to_owned(), schema.clone());
        let mut required = schema;
        if let Some(obj) = required.as_object_mut() {
            obj.insert("required".into(), json!(["kind"]));
        }
        slot.2.push(required);
        kinds.push((f.schema(&mut generator).to_value(), f.kind(), f.role()));
    }
    let mut root = generator.into_root_schema_for::<crate::scenario::raw::RawScenario>();
    // Every mechanism's parameters accept the engine's own fields: `kind`,
    // naming that mechanism; when an attack arrives; what a defence costs.
    for (schema, kind, role) in kinds {
        let Some(name) = schema.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix("#/$defs/")) else {
            continue;
        };
        if let Some(props) = root
            .get_mut("$defs")
            .and_then(|d| d.get_mut(name))
            .and_then(|d| d.get_mut("properties"))
            .and_then(Value::as_object_mut)
        {
            props.insert(
                "kind".into(),
                json!({ "const": kind, "description": "The mechanism; may be left out when the table's id is the kind itself." }),
            );
            if role == Role::Attack {
                props.insert(
                    "start".into(),
                    json!({ "type": "string", "description": "When the attack arrives, from the trial start (a duration; default 0s). Only for an attack that starts on its own, not one that answers others; not with `arrivals_per_year`." }),
                );
                props.insert(
                    "arrivals_per_year".into(),
                    json!({ "type": "number", "minimum": 0, "description": "The attack arrives as a Poisson process at this rate a year (365 days), the same instants in every design. Only for an attack that starts on its own; not with `start`." }),
                );
            } else {
                props.insert(
                    "cost_per_year".into(),
                    json!({ "type": "number", "minimum": 0, "description": "What this defence costs a year, in the currency of `[costs]`." }),
                );
                props.insert(
                    "one_off_cost".into(),
                    json!({ "type": "number", "minimum": 0, "description": "What this defence costs once, written off over `[costs] amortise_years`." }),
                );
            }
        }
    }
    if let Some(props) = root.get_mut("properties").and_then(Value::as_object_mut) {
        for (role, by_kind, any_id) in tables {
            props.insert(
                role.table().to_owned(),
                json!({
                    "description": format!(
                        "{}s, each a table keyed by its id; `kind` names the mechanism and defaults to the id",
                        role.noun()
                    ),
                    "type": "object",
                    "properties": by_kind,
                    "additionalProperties": { "anyOf": any_id }
                }),
            );
        }
    }
    root
}
