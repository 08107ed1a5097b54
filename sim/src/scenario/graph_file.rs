//! Reading a network from graph files named in the scenario's `[graph]`
//! table: a node table and an edge list in CSV, or one GraphML file as
//! networkx writes it. Both give, for each device, its id, type and zone,
//! and for each edge its two ends and, optionally, the services it
//! carries. A problem is reported at the graph file's own line and column.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use quick_xml::events::{BytesStart, Event};
use rayon::prelude::*;

use super::raw::RawGraph;
use super::{Diagnostic, limits, line_col};
use crate::network::{ServiceId, ServiceSet};

/// Most directed edges one graph may hold (an undirected edge counts twice).
pub const MAX_EDGES: usize = 50_000_000;

/// What the graph files say, with names not yet resolved to zones.
#[derive(Default)]
pub(super) struct GraphRead {
    /// Per device, in file order: its type (index into the scenario's
    /// device types) and its zone (index into `zones`).
    pub devices: Vec<(u16, u32)>,
    /// The zone names the nodes use, in order of first use.
    pub zones: Vec<String>,
    /// Directed edges between devices (both ways for an undirected one).
    pub edges: Vec<(u32, u32, ServiceSet)>,
}

/// The names a graph file may use.
pub(super) struct Vocabulary<'a> {
    pub device_types: &'a [String],
    pub services: &'a [String],
}

impl Vocabulary<'_> {
    fn device_type(&self, name: &str) -> Result<u16, Diagnostic> {
        self.device_types.iter().position(|t| t == name).map(|i| i as u16).ok_or_else(|| {
            Diagnostic::whole_file(format!("unknown device type `{name}`"))
                .with_help(format!("the scenario's device types are: {}", self.device_types.join(", ")))
        })
    }

    /// A list of services separated by spaces or `;` (`any`, or nothing at
    /// all, for every service).
    fn services(&self, text: &str) -> Result<ServiceSet, Diagnostic> {
        let mut set = ServiceSet::NONE;
        let mut named = false;
        for name in text.split([' ', ';']).filter(|n| !n.is_empty()) {
            named = true;
            if name == "any" {
                return Ok(ServiceSet::ALL);
            }
            let i = self.services.iter().position(|s| s == name).ok_or_else(|| {
                Diagnostic::whole_file(format!("unknown service `{name}`"))
                    .with_help(format!("the scenario's services are: {} (or `any`)", self.services.join(", ")))
            })?;
            set.insert(ServiceId(i as u8));
        }
        Ok(if named { set } else { ServiceSet::ALL })
    }
}

/// Places a diagnostic made without a position at `file:line:column`.
fn placed(mut d: Diagnostic, file: &Path, line: usize, column: usize) -> Diagnostic {
    d.elsewhere = Some((file.display().to_string(), line, column));
    d
}

/// The graph's devices and zones as they are read, and the node ids seen.
#[derive(Default)]
struct Builder {
    ids: HashMap<Box<str>, u32>,
    read: GraphRead,
    zone_ids: HashMap<Box<str>, u32>,
}

impl Builder {
    fn node(&mut self, id: &str, device_type: u16, zone: &str) -> Result<(), Diagnostic> {
        if self.read.devices.len() as u64 >= limits::MAX_DEVICES {
            return Err(Diagnostic::whole_file(format!("the graph has more than {} devices", limits::MAX_DEVICES)));
        }
        if zone.is_empty() {
            return Err(Diagnostic::whole_file(format!("node `{id}` has no zone"))
                .with_help("give every node a zone (a VLAN, a subnet, a ward)"));
        }
        let next = self.read.devices.len() as u32;
        if self.ids.insert(id.into(), next).is_some() {
            return Err(Diagnostic::whole_file(format!("node `{id}` is listed twice")));
        }
        let zones = &mut self.read.zones;
        let z = *self.zone_ids.entry(zone.into()).or_insert_with(|| {
            zones.push(zone.to_owned());
            zones.len() as u32 - 1
        });
        self.read.devices.push((device_type, z));
        Ok(())
    }

    fn node_index(&self, id: &str) -> Result<u32, Diagnostic> {
        self.ids.get(id).copied().ok_or_else(|| {
            Diagnostic::whole_file(format!("the edge names node `{id}`, which the nodes do not list"))
                .with_help("every edge's ends must be nodes, listed before the edges")
        })
    }

    fn edge(&mut self, a: u32, b: u32, services: ServiceSet, directed: bool) -> Result<(), Diagnostic> {
        if self.read.edges.len() + 2 > MAX_EDGES {
            return Err(Diagnostic::whole_file(format!("the graph has more than {MAX_EDGES} directed edges")));
        }
        self.read.edges.push((a, b, services));
        if !directed {
            self.read.edges.push((b, a, services));
        }
        Ok(())
    }
}

/// Reads the graph `raw` names, relative to `base` (the scenario's folder).
/// A file that cannot be opened is reported at its name in the scenario.
pub(super) fn read(raw: &RawGraph, base: &Path, names: &Vocabulary<'_>) -> Result<GraphRead, Vec<Diagnostic>> {
    let resolve = |p: &toml::Spanned<String>| -> PathBuf { base.join(p.get_ref()) };
    let unreadable = |p: &toml::Spanned<String>, e: &dyn std::fmt::Display| {
        Diagnostic::at(p.span(), format!("cannot read `{}`: {e}", p.get_ref()))
    };
    let mut b = Builder::default();
    match (&raw.nodes, &raw.edges, &raw.graphml) {
        (Some(nodes), Some(edges), None) => {
            csv_nodes(&mut b, &resolve(nodes), names).map_err(|e| vec![e.or_at(nodes, &unreadable)])?;
            csv_edges(&mut b, &resolve(edges), names, raw.directed).map_err(|e| vec![e.or_at(edges, &unreadable)])?;
        }
        (None, None, Some(file)) => {
            let path = resolve(file);
            let text = std::fs::read_to_string(&path).map_err(|e| vec![unreadable(file, &e)])?;
            graphml(&mut b, &path, &text, names).map_err(|d| vec![d])?;
        }
        (None, None, None) => {
            return Err(vec![
                Diagnostic::whole_file("the [graph] table names no file")
                    .with_help("give `nodes` and `edges` (CSV files), or `graphml`"),
            ]);
        }
        _ => {
            return Err(vec![
                Diagnostic::whole_file("the [graph] table takes either `nodes` and `edges` (CSV) or `graphml`")
                    .with_help("name both CSV files, or one GraphML file, not a mixture"),
            ]);
        }
    }
    if b.read.devices.is_empty() {
        return Err(vec![Diagnostic::whole_file("the graph lists no node").with_help("list at least one device")]);
    }
    Ok(b.read)
}

/// Why reading a CSV file failed: it could not be opened, or it holds a
/// problem at a line and column.
enum CsvProblem {
    Open(std::io::Error),
    At(Diagnostic),
}

impl CsvProblem {
    fn or_at(
        self,
        named: &toml::Spanned<String>,
        unreadable: &dyn Fn(&toml::Spanned<String>, &dyn std::fmt::Display) -> Diagnostic,
    ) -> Diagnostic {
        match self {
            CsvProblem::Open(e) => unreadable(named, &e),
            CsvProblem::At(d) => d,
        }
    }
}

/// A CSV file (or a run of its lines), its records read one by one.
struct Table<R> {
    path: PathBuf,
    reader: csv::Reader<R>,
    record: csv::StringRecord,
    /// Lines of the file before the first this reader reads.
    line_offset: usize,
}

fn csv_reader() -> csv::ReaderBuilder {
    let mut b = csv::ReaderBuilder::new();
    b.trim(csv::Trim::All).comment(Some(b'#'));
    b
}

impl Table<std::fs::File> {
    fn open(path: &Path) -> Result<Self, CsvProblem> {
        let reader = csv_reader().from_path(path).map_err(|e| match e.into_kind() {
            csv::ErrorKind::Io(io) => CsvProblem::Open(io),
            other => CsvProblem::Open(std::io::Error::other(format!("{other:?}"))),
        })?;
        Ok(Table { path: path.to_owned(), reader, record: csv::StringRecord::new(), line_offset: 0 })
    }
}

impl<'a> Table<&'a [u8]> {
    /// The whole of a file held in memory, header first.
    fn whole(path: &Path, bytes: &'a [u8]) -> Self {
        Table {
            path: path.to_owned(),
            reader: csv_reader().from_reader(bytes),
            record: csv::StringRecord::new(),
            line_offset: 0,
        }
    }

    /// Lines of a file held in memory, after its header, starting at line
    /// `line_offset + 1`.
    fn lines(path: &Path, bytes: &'a [u8], line_offset: usize) -> Self {
        let reader = csv_reader().has_headers(false).flexible(true).from_reader(bytes);
        Table { path: path.to_owned(), reader, record: csv::StringRecord::new(), line_offset }
    }
}

impl<R: std::io::Read> Table<R> {
    /// The index of column `name` in the header.
    fn column(&mut self, name: &str, expected: &str) -> Result<Option<usize>, CsvProblem> {
        let headers = self.reader.headers().map_err(|e| csv_error(&self.path, &e, 0))?;
        Ok(headers.iter().position(|h| h == name)).and_then(|i| {
            if i.is_none() && !expected.is_empty() {
                let found = headers.iter().collect::<Vec<_>>().join(",");
                Err(CsvProblem::At(
                    placed(
                        Diagnostic::whole_file(format!("the header has no column `{name}` (it reads `{found}`)")),
                        &self.path,
                        1,
                        1,
                    )
                    .with_help(format!("the first line names the columns: {expected}")),
                ))
            } else {
                Ok(i)
            }
        })
    }

    /// Reads the next record; false at the end.
    fn next(&mut self) -> Result<bool, CsvProblem> {
        self.reader.read_record(&mut self.record).map_err(|e| csv_error(&self.path, &e, self.line_offset))
    }

    fn field(&self, i: usize) -> &str {
        self.record.get(i).unwrap_or("")
    }

    /// `d`, placed at field `i` of the current record.
    fn at(&self, i: usize, d: Diagnostic) -> CsvProblem {
        let line = self.record.position().map_or(0, |p| p.line() as usize) + self.line_offset;
        // Fields are stored without their commas: add one per field before.
        let column = self.record.range(i).map_or(1, |r| r.start + i + 1);
        CsvProblem::At(placed(d, &self.path, line, column))
    }
}

/// A problem the CSV reader found, at its line (after `line_offset` lines
/// the reader did not see).
fn csv_error(path: &Path, e: &csv::Error, line_offset: usize) -> CsvProblem {
    {
        let line = e.position().map_or(0, |p| p.line() as usize) + line_offset;
        let message = match e.kind() {
            csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
                format!("this row has {len} fields, but the header has {expected_len}")
            }
            csv::ErrorKind::Utf8 { .. } => "this row is not UTF-8 text".to_owned(),
            other => format!("{other:?}"),
        };
        CsvProblem::At(placed(Diagnostic::whole_file(message), path, line, 1))
    }
}

fn csv_nodes(b: &mut Builder, path: &Path, names: &Vocabulary<'_>) -> Result<(), CsvProblem> {
    let mut t = Table::open(path)?;
    let expected = "id,device_type,zone";
    let (id, ty, zone) = (t.column("id", expected)?, t.column("device_type", expected)?, t.column("zone", expected)?);
    let (id, ty, zone) = (id.unwrap_or(0), ty.unwrap_or(0), zone.unwrap_or(0));
    while t.next()? {
        let device_type = names.device_type(t.field(ty)).map_err(|d| t.at(ty, d))?;
        let (node, in_zone) = (t.field(id).to_owned(), t.field(zone).to_owned());
        b.node(&node, device_type, &in_zone).map_err(|d| t.at(id, d))?;
    }
    Ok(())
}

/// Edge lists below this size are read on one thread.
const PARALLEL_FROM_BYTES: usize = 8 << 20;

/// Reads the edge list. A large one is read in as many runs of lines as
/// there are threads, each run on its own (the node ids are only looked
/// up by then): looking up two ids per line is most of the work. A file
/// with quotes is read on one thread, since a quoted field may hold a
/// line break.
fn csv_edges(b: &mut Builder, path: &Path, names: &Vocabulary<'_>, directed: bool) -> Result<(), CsvProblem> {
    let bytes = std::fs::read(path).map_err(CsvProblem::Open)?;
    let mut t = Table::whole(path, &bytes);
    let expected = "source,target and optionally service";
    let (source, target) = (t.column("source", expected)?.unwrap_or(0), t.column("target", expected)?.unwrap_or(0));
    let service = t.column("service", "")?;
    let columns = EdgeColumns { source, target, service, width: t.reader.headers().map_or(0, csv::StringRecord::len) };
    let start = (t.reader.position().byte() as usize).min(bytes.len());
    let header_lines = bytes[..start].iter().filter(|&&c| c == b'\n').count();
    let rest = &bytes[start..];
    let runs =
        if rest.len() < PARALLEL_FROM_BYTES || rest.contains(&b'"') { 1 } else { rayon::current_num_threads().max(1) };
    // Cut the lines into runs at line breaks, each with the lines before it.
    let mut cuts = vec![0usize];
    for k in 1..runs {
        let at = (rest.len() * k / runs).max(*cuts.last().unwrap_or(&0));
        let next = rest[at..].iter().position(|&c| c == b'\n').map_or(rest.len(), |i| at + i + 1);
        cuts.push(next);
    }
    cuts.push(rest.len());
    let mut offsets = vec![header_lines];
    for w in cuts.windows(2).take(runs.saturating_sub(1)) {
        let before = offsets.last().copied().unwrap_or(0);
        offsets.push(before + rest[w[0]..w[1]].iter().filter(|&&c| c == b'\n').count());
    }
    let builder = &*b;
    let read: Vec<Result<Edges, CsvProblem>> = (0..runs)
        .into_par_iter()
        .map(|k| {
            let mut run = Table::lines(path, &rest[cuts[k]..cuts[k + 1]], offsets[k]);
            read_edges(&mut run, &columns, builder, names, directed)
        })
        .collect();
    for edges in read {
        let edges = edges?;
        if b.read.edges.len() + edges.len() > MAX_EDGES {
            return Err(CsvProblem::At(placed(
                Diagnostic::whole_file(format!("the graph has more than {MAX_EDGES} directed edges")),
                path,
                1,
                1,
            )));
        }
        b.read.edges.extend(edges);
    }
    Ok(())
}

/// Directed edges between devices, with their services.
type Edges = Vec<(u32, u32, ServiceSet)>;

/// Where an edge list keeps each field, and how many fields a row has.
struct EdgeColumns {
    source: usize,
    target: usize,
    service: Option<usize>,
    width: usize,
}

/// The edges of one run of lines (both ways for an undirected edge).
fn read_edges<R: std::io::Read>(
    t: &mut Table<R>,
    columns: &EdgeColumns,
    b: &Builder,
    names: &Vocabulary<'_>,
    directed: bool,
) -> Result<Edges, CsvProblem> {
    let mut edges = Vec::new();
    // Most edges repeat a few service lists: parse each list once.
    let mut parsed: HashMap<String, ServiceSet> = HashMap::new();
    while t.next()? {
        if t.record.len() != columns.width {
            let message = format!("this row has {} fields, but the header has {}", t.record.len(), columns.width);
            let line = t.record.position().map_or(0, |p| p.line() as usize) + t.line_offset;
            return Err(CsvProblem::At(placed(Diagnostic::whole_file(message), &t.path, line, 1)));
        }
        let a = b.node_index(t.field(columns.source)).map_err(|d| t.at(columns.source, d))?;
        let z = b.node_index(t.field(columns.target)).map_err(|d| t.at(columns.target, d))?;
        let services = match columns.service {
            Some(s) => match parsed.get(t.field(s)) {
                Some(&set) => set,
                None => {
                    let set = names.services(t.field(s)).map_err(|d| t.at(s, d))?;
                    if parsed.len() < 1024 {
                        parsed.insert(t.field(s).to_owned(), set);
                    }
                    set
                }
            },
            None => ServiceSet::ALL,
        };
        if edges.len() + 2 > MAX_EDGES {
            return Err(t.at(
                columns.source,
                Diagnostic::whole_file(format!("the graph has more than {MAX_EDGES} directed edges")),
            ));
        }
        edges.push((a, z, services));
        if !directed {
            edges.push((z, a, services));
        }
    }
    Ok(edges)
}

/// What a GraphML `<key>` declares: which attribute, and its default.
struct Key {
    name: String,
    default: Option<String>,
}

/// The element whose `<data>` children are being read.
enum Open {
    Nothing,
    Key(String),
    Node { id: String, attrs: HashMap<String, String>, at: usize },
    Edge { source: String, target: String, directed: Option<bool>, attrs: HashMap<String, String>, at: usize },
}

fn graphml(b: &mut Builder, path: &Path, text: &str, names: &Vocabulary<'_>) -> Result<(), Diagnostic> {
    let here = |at: usize, d: Diagnostic| {
        let (line, column) = line_col(text, at);
        placed(d, path, line, column)
    };
    let mut reader = quick_xml::Reader::from_str(text);
    let mut keys: HashMap<String, Key> = HashMap::new();
    let mut directed_by_default = false;
    let mut open = Open::Nothing;
    // The `<data>` (or `<default>`) being read, and its text so far.
    let mut data: Option<(String, String)> = None;
    let mut graphs = 0;
    loop {
        let at = reader.buffer_position() as usize;
        let event = reader.read_event().map_err(|e| {
            here(reader.error_position() as usize, Diagnostic::whole_file(format!("this is not well-formed XML: {e}")))
        })?;
        let attr = |e: &BytesStart<'_>, name: &str| -> Result<Option<String>, Diagnostic> {
            match e.try_get_attribute(name) {
                Ok(Some(a)) => a
                    .unescape_value()
                    .map(|v| Some(v.into_owned()))
                    .map_err(|err| here(at, Diagnostic::whole_file(format!("attribute `{name}`: {err}")))),
                Ok(None) => Ok(None),
                Err(err) => Err(here(at, Diagnostic::whole_file(format!("attribute `{name}`: {err}")))),
            }
        };
        let required = |e: &BytesStart<'_>, name: &str| -> Result<String, Diagnostic> {
            attr(e, name)?.ok_or_else(|| {
                let element = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                here(at, Diagnostic::whole_file(format!("<{element}> has no `{name}` attribute")))
            })
        };
        let (start, empty) = match &event {
            Event::Start(e) => (Some(e), false),
            Event::Empty(e) => (Some(e), true),
            _ => (None, false),
        };
        if let Some(e) = start {
            match e.local_name().as_ref() {
                b"key" => {
                    let id = required(e, "id")?;
                    let name = attr(e, "attr.name")?.unwrap_or_else(|| id.clone());
                    keys.insert(id.clone(), Key { name, default: None });
                    if !empty {
                        open = Open::Key(id);
                    }
                }
                b"default" => data = Some((String::new(), String::new())),
                b"graph" => {
                    graphs += 1;
                    if graphs > 1 {
                        return Err(here(
                            at,
                            Diagnostic::whole_file("the file holds more than one graph, or a nested one")
                                .with_help("give one flat graph"),
                        ));
                    }
                    directed_by_default = attr(e, "edgedefault")?.as_deref() == Some("directed");
                }
                b"node" => {
                    open = Open::Node { id: required(e, "id")?, attrs: HashMap::new(), at };
                }
                b"edge" => {
                    let directed = attr(e, "directed")?.map(|d| d == "true");
                    let (source, target) = (required(e, "source")?, required(e, "target")?);
                    open = Open::Edge { source, target, directed, attrs: HashMap::new(), at };
                }
                b"data" => {
                    data = Some((required(e, "key")?, String::new()));
                    if empty {
                        data = None;
                    }
                }
                b"hyperedge" | b"port" => {
                    return Err(here(at, Diagnostic::whole_file("hyperedges and ports are not supported")));
                }
                _ => {}
            }
            if !empty {
                continue;
            }
        }
        match event {
            Event::Text(t) => {
                if let Some((_, value)) = &mut data {
                    let decoded = t.decode().map_err(|e| here(at, Diagnostic::whole_file(e.to_string())))?;
                    value.push_str(&decoded);
                }
            }
            Event::GeneralRef(r) => {
                if let Some((_, value)) = &mut data {
                    let name = r.decode().map_err(|e| here(at, Diagnostic::whole_file(e.to_string())))?;
                    value.push_str(match name.as_ref() {
                        "amp" => "&",
                        "lt" => "<",
                        "gt" => ">",
                        "quot" => "\"",
                        "apos" => "'",
                        _ => "",
                    });
                }
            }
            Event::End(e) => match e.local_name().as_ref() {
                b"default" => {
                    if let (Open::Key(id), Some((_, value))) = (&open, data.take())
                        && let Some(k) = keys.get_mut(id)
                    {
                        k.default = Some(value.trim().to_owned());
                    }
                }
                b"data" => {
                    if let Some((key, value)) = data.take() {
                        let name = keys.get(&key).map_or(key, |k| k.name.clone());
                        match &mut open {
                            Open::Node { attrs, .. } | Open::Edge { attrs, .. } => {
                                attrs.insert(name, value.trim().to_owned());
                            }
                            _ => {}
                        }
                    }
                }
                b"node" | b"edge" | b"key" => {
                    let finished = std::mem::replace(&mut open, Open::Nothing);
                    finish(b, finished, &keys, names, directed_by_default).map_err(|(at, d)| here(at, d))?;
                }
                _ => {}
            },
            Event::Eof => break,
            Event::Empty(e) if matches!(e.local_name().as_ref(), b"node" | b"edge") => {
                let finished = std::mem::replace(&mut open, Open::Nothing);
                finish(b, finished, &keys, names, directed_by_default).map_err(|(at, d)| here(at, d))?;
            }
            _ => {}
        }
    }
    if graphs == 0 {
        return Err(placed(
            Diagnostic::whole_file("the file holds no <graph>").with_help("is it GraphML?"),
            path,
            1,
            1,
        ));
    }
    Ok(())
}

/// Books a node or an edge whose element has closed.
fn finish(
    b: &mut Builder,
    open: Open,
    keys: &HashMap<String, Key>,
    names: &Vocabulary<'_>,
    directed_by_default: bool,
) -> Result<(), (usize, Diagnostic)> {
    // An attribute's value, or the default its key declares.
    let value = |attrs: &HashMap<String, String>, name: &str| -> Option<String> {
        attrs.get(name).cloned().or_else(|| keys.values().find(|k| k.name == name).and_then(|k| k.default.clone()))
    };
    match open {
        Open::Node { id, attrs, at } => {
            let ty =
                value(&attrs, "device_type").ok_or_else(|| {
                    (at, Diagnostic::whole_file(format!("node `{id}` has no device_type")).with_help(
                    "give each node the attributes device_type and zone (in networkx: G.nodes[n][\"device_type\"])",
                ))
                })?;
            let device_type = names.device_type(&ty).map_err(|d| (at, d))?;
            let zone = value(&attrs, "zone").unwrap_or_default();
            b.node(&id, device_type, &zone).map_err(|d| (at, d))
        }
        Open::Edge { source, target, directed, attrs, at } => {
            let a = b.node_index(&source).map_err(|d| (at, d))?;
            let z = b.node_index(&target).map_err(|d| (at, d))?;
            let services = names.services(&value(&attrs, "service").unwrap_or_default()).map_err(|d| (at, d))?;
            b.edge(a, z, services, directed.unwrap_or(directed_by_default)).map_err(|d| (at, d))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::{Scenario, ScenarioError, ScenarioSource};

    const HEAD: &str = r#"
        name = "g"
        duration = "1d"
        device_types = [{ id = "pc", services = ["smb"] }, { id = "pump" }]
    "#;

    fn load(dir: &Path, graph: &str) -> Result<Scenario, ScenarioError> {
        let path = dir.join("s.toml");
        std::fs::write(&path, format!("{HEAD}\n[graph]\n{graph}\n")).unwrap();
        Scenario::load(ScenarioSource::from_path(&path).unwrap())
    }

    fn write(dir: &Path, name: &str, text: &str) {
        std::fs::write(dir.join(name), text).unwrap();
    }

    /// The first line of the rendered error.
    fn error(dir: &Path, graph: &str) -> String {
        match load(dir, graph) {
            Ok(_) => panic!("accepted {graph}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn csv_files_give_devices_zones_and_edges() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "n.csv", "zone,id,device_type,owner\nit,a,pc,x\nit,b,pc,y\nward,c,pump,z\n");
        write(dir.path(), "e.csv", "source,target,service\na,b,smb\nb,c,\n");
        let s = load(dir.path(), "nodes = \"n.csv\"\nedges = \"e.csv\"").unwrap();
        assert_eq!(s.device_count(), 3);
        assert_eq!(s.zones.iter().map(|z| z.id.as_str()).collect::<Vec<_>>(), ["it", "ward"], "zones made as named");
        let g = s.network.device_graph().expect("a device graph");
        assert_eq!(g.edge_count(), 4, "undirected: each edge both ways");
        let smb = s.service_id("smb").unwrap();
        let rdp = s.service_id("rdp").unwrap();
        assert_eq!(g.neighbours(1, smb).collect::<Vec<_>>(), vec![0, 2], "an empty service is every service");
        assert_eq!(g.neighbours(0, rdp).count(), 0, "a → b carries SMB only");
        // Zones and conduits are derived from the edges.
        assert!(s.network.allows_within(s.devices[0].zone, smb));
        assert!(!s.network.allows_within(s.devices[0].zone, rdp));
        assert!(s.network.reaches(s.devices[1].zone, s.devices[2].zone, rdp));
        assert_eq!((s.devices[2].ordinal, s.devices[1].ordinal), (0, 1), "ordinals count within a type");
        let directed = load(dir.path(), "nodes = \"n.csv\"\nedges = \"e.csv\"\ndirected = true").unwrap();
        assert_eq!(directed.network.device_graph().unwrap().edge_count(), 2);
    }

    #[test]
    fn graphml_as_networkx_writes_it_gives_the_same_network_as_csv() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "n.csv", "id,device_type,zone\na,pc,it\nb,pc,it\nc,pump,ward\n");
        write(dir.path(), "e.csv", "source,target,service\na,b,smb\nb,c,any\n");
        write(
            dir.path(),
            "g.graphml",
            r#"<?xml version='1.0' encoding='utf-8'?>
<graphml xmlns="http://graphml.graphdrawing.org/xmlns">
  <key id="d2" for="edge" attr.name="service" attr.type="string" />
  <key id="d1" for="node" attr.name="zone" attr.type="string"><default>it</default></key>
  <key id="d0" for="node" attr.name="device_type" attr.type="string" />
  <graph edgedefault="undirected">
    <node id="a"><data key="d0">pc</data></node>
    <node id="b">
      <data key="d0">pc</data>
      <data key="d1">it</data>
    </node>
    <node id="c"><data key="d0">pump</data><data key="d1">ward</data></node>
    <edge source="a" target="b"><data key="d2">smb</data></edge>
    <edge source="b" target="c" />
  </graph>
</graphml>"#,
        );
        let csv = load(dir.path(), "nodes = \"n.csv\"\nedges = \"e.csv\"").unwrap();
        let xml = load(dir.path(), "graphml = \"g.graphml\"").unwrap();
        let (gc, gx) = (csv.network.device_graph().unwrap(), xml.network.device_graph().unwrap());
        for d in 0..3 {
            assert_eq!(gc.edges(d).collect::<Vec<_>>(), gx.edges(d).collect::<Vec<_>>(), "device {d}");
            assert_eq!(
                (csv.devices[d as usize].zone, csv.devices[d as usize].device_type),
                (xml.devices[d as usize].zone, xml.devices[d as usize].device_type)
            );
        }
    }

    #[test]
    fn a_large_edge_list_read_in_runs_gives_every_edge_and_the_right_lines() {
        use std::fmt::Write as _;
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let n = 2000u32;
        let mut nodes = String::from("id,device_type,zone\n");
        for i in 0..n {
            writeln!(nodes, "host-number-{i},pc,z{}", i / 100).unwrap();
        }
        write(d, "n.csv", &nodes);
        // Enough lines to be read in runs: every pair (i, i + k) for k in 1..=250.
        let mut edges = String::from("# a comment before the header\nsource,target,service\n");
        let mut count = 0u64;
        for i in 0..n {
            for k in 1..=250 {
                writeln!(edges, "host-number-{i},host-number-{},smb", (i + k) % n).unwrap();
                count += 1;
            }
        }
        assert!(edges.len() > super::PARALLEL_FROM_BYTES, "{} bytes", edges.len());
        write(d, "e.csv", &edges);
        let s = load(d, "nodes = \"n.csv\"\nedges = \"e.csv\"\ndirected = true").unwrap();
        let g = s.network.device_graph().unwrap();
        assert_eq!(g.edge_count() as u64, count);
        let smb = s.service_id("smb").unwrap();
        assert_eq!(g.neighbours(n - 1, smb).collect::<Vec<_>>(), (0..250).collect::<Vec<_>>());
        // A bad node on the last line is reported at that line.
        let lines = edges.lines().count();
        edges.push_str("host-number-1,nobody,smb\n");
        write(d, "e.csv", &edges);
        let e = error(d, "nodes = \"n.csv\"\nedges = \"e.csv\"");
        assert!(e.contains(&format!("e.csv:{}:15: the edge names node `nobody`", lines + 1)), "{e}");
    }

    #[test]
    fn problems_in_graph_files_name_the_file_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write(d, "n.csv", "id,device_type,zone\na,pc,it\nb,router,it\n");
        write(d, "e.csv", "source,target\n");
        let e = error(d, "nodes = \"n.csv\"\nedges = \"e.csv\"");
        assert!(e.contains("n.csv:3:3: unknown device type `router`"), "{e}");
        assert!(e.contains("pc, pump"), "lists the types: {e}");

        write(d, "n.csv", "id,device_type,zone\na,pc,it\nb,pc,it\n");
        write(d, "e.csv", "source,target,service\na,b,smb\na,z,smb\n");
        let e = error(d, "nodes = \"n.csv\"\nedges = \"e.csv\"");
        assert!(e.contains("e.csv:3:3: the edge names node `z`"), "{e}");
        write(d, "e.csv", "source,target,service\na,b,smtp\n");
        let e = error(d, "nodes = \"n.csv\"\nedges = \"e.csv\"");
        assert!(e.contains("e.csv:2:5: unknown service `smtp`"), "{e}");
        write(d, "e.csv", "from,to\na,b\n");
        let e = error(d, "nodes = \"n.csv\"\nedges = \"e.csv\"");
        assert!(e.contains("e.csv:1:1: the header has no column `source`"), "{e}");
        write(d, "e.csv", "source,target\na,b,c\n");
        let e = error(d, "nodes = \"n.csv\"\nedges = \"e.csv\"");
        assert!(e.contains("e.csv:2:1: this row has 3 fields, but the header has 2"), "{e}");
        write(d, "n.csv", "id,device_type,zone\na,pc,it\na,pc,it\n");
        let e = error(d, "nodes = \"n.csv\"\nedges = \"e.csv\"");
        assert!(e.contains("n.csv:3:1: node `a` is listed twice"), "{e}");

        let e = error(d, "nodes = \"missing.csv\"\nedges = \"e.csv\"");
        assert!(e.contains("s.toml:7:9: cannot read `missing.csv`"), "{e}");
        let e = error(d, "nodes = \"n.csv\"");
        assert!(e.contains("either `nodes` and `edges` (CSV) or `graphml`"), "{e}");

        write(
            d,
            "g.graphml",
            "<graphml>\n<graph>\n<node id=\"a\">\n<data key=\"device_type\">pc</data><data key=\"zone\">it</data></node>\n<edge source=\"a\"/>\n</graph></graphml>",
        );
        let e = error(d, "graphml = \"g.graphml\"");
        assert!(e.contains("g.graphml:5:1: <edge> has no `target` attribute"), "{e}");
        write(d, "g.graphml", "<graphml><graph><node id=\"a\"></graph>");
        let e = error(d, "graphml = \"g.graphml\"");
        assert!(e.contains("g.graphml:1:") && e.contains("not well-formed XML"), "{e}");

        let with_placement = format!(
            "{HEAD}\nplacement = [{{ zone = \"it\", device_type = \"pc\", count = 1 }}]\n[graph]\nnodes = \"n.csv\"\nedges = \"e.csv\"\n"
        );
        std::fs::write(d.join("p.toml"), with_placement).unwrap();
        let e = Scenario::load(ScenarioSource::from_path(&d.join("p.toml")).unwrap()).unwrap_err().to_string();
        assert!(e.contains("takes its devices from the graph's nodes"), "{e}");
    }
}
