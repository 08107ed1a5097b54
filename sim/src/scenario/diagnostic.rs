//! Errors in scenario files, each pointing at the file, line and column it
//! is about and saying what is allowed instead.

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource};

/// One problem found in a scenario file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// What is wrong, in one sentence.
    pub message: String,
    /// The bytes of the file it is about, when known.
    pub span: Option<Range<usize>>,
    /// What to do instead, when there is something to say.
    pub help: Option<String>,
    /// Where the problem is when it is in another file the scenario names
    /// (a graph file): that file, its 1-based line and column.
    pub elsewhere: Option<(String, usize, usize)>,
}

impl Diagnostic {
    /// A problem at `span`.
    pub fn at(span: Range<usize>, message: impl Into<String>) -> Self {
        Diagnostic { message: message.into(), span: Some(span), help: None, elsewhere: None }
    }

    /// A problem about the file as a whole.
    pub fn whole_file(message: impl Into<String>) -> Self {
        Diagnostic { message: message.into(), span: None, help: None, elsewhere: None }
    }

    /// A problem at `line` and `column` (1-based) of another file the
    /// scenario names.
    pub fn in_file(file: impl Into<String>, line: usize, column: usize, message: impl Into<String>) -> Self {
        Diagnostic { message: message.into(), span: None, help: None, elsewhere: Some((file.into(), line, column)) }
    }

    /// Adds advice on what is allowed.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Converts a TOML parse or type error, keeping its span.
    pub fn from_toml(e: &toml::de::Error) -> Self {
        let message = e.message().trim().to_owned();
        let help = help_for_toml_message(&message);
        Diagnostic { message, span: e.span(), help, elsewhere: None }
    }
}

fn help_for_toml_message(message: &str) -> Option<String> {
    if message.starts_with("unknown field") {
        Some("remove the field or correct its spelling; `iomtsim schema` lists every field".into())
    } else if message.starts_with("missing field") {
        Some("add the field; `iomtsim schema` describes it".into())
    } else if message.contains("expected u32") || message.contains("expected u64") {
        Some("write a whole number of zero or more".into())
    } else {
        None
    }
}

/// Why a scenario could not be loaded. Every variant means bad input
/// (exit code 2), never a fault of the program.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("cannot read scenario `{file}`: {reason}")]
    Unreadable {
        /// The file as the user named it.
        file: String,
        /// What the operating system said.
        reason: String,
    },
    /// The file is larger than any scenario should be.
    #[error("scenario `{file}` is {size} bytes or more; scenario files are limited to {limit} bytes")]
    TooLarge {
        /// The file as the user named it.
        file: String,
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// The file is not UTF-8 text.
    #[error(
        "error: {file}:{line}:{column}: the scenario is not UTF-8 text (the byte at offset {offset} is invalid)\n  help: save the file as UTF-8"
    )]
    NotUtf8 {
        /// The file as the user named it.
        file: String,
        /// Offset of the first bad byte.
        offset: usize,
        /// Its 1-based line.
        line: usize,
        /// Its 1-based column, in characters.
        column: usize,
    },
    /// The file was read but is not a valid scenario.
    #[error("{}", render_all(file, source_text, diagnostics))]
    Invalid {
        /// The file as the user named it.
        file: String,
        /// Its text.
        source_text: Arc<str>,
        /// Every problem found.
        diagnostics: Vec<Diagnostic>,
    },
}

impl ScenarioError {
    /// The problems with their 1-based line and column, for tests and tools.
    pub fn locations(&self) -> Vec<(Option<(usize, usize)>, String)> {
        match self {
            ScenarioError::Invalid { source_text, diagnostics, .. } => diagnostics
                .iter()
                .map(|d| match &d.elsewhere {
                    Some((_, line, col)) => (Some((*line, *col)), d.message.clone()),
                    None => (d.span.as_ref().map(|s| line_col(source_text, s.start)), d.message.clone()),
                })
                .collect(),
            other => vec![(None, other.to_string())],
        }
    }
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..floor_char_boundary(text, offset)];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[derive(Debug)]
struct Rendered {
    message: String,
    source: NamedSource<String>,
    labels: Vec<LabeledSpan>,
    help: Option<String>,
}

impl fmt::Display for Rendered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Rendered {}

impl miette::Diagnostic for Rendered {
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help.as_ref().map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
}

/// Renders every diagnostic: a first line `error: FILE:LINE:COL: MESSAGE`
/// that editors and grep understand, then the source lines it points at.
fn render_all(file: &str, text: &str, diagnostics: &[Diagnostic]) -> String {
    let handler =
        GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor()).with_width(100).with_context_lines(1);
    let mut out = String::new();
    for (i, d) in diagnostics.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        if let Some((other, line, col)) = &d.elsewhere {
            out.push_str(&format!("error: {other}:{line}:{col}: {}\n", d.message));
            out.push_str(&format!("  note: a graph file of {file}\n"));
            if let Some(h) = &d.help {
                out.push_str(&format!("  help: {h}\n"));
            }
            continue;
        }
        match &d.span {
            Some(span) => {
                let (line, col) = line_col(text, span.start);
                out.push_str(&format!("error: {file}:{line}:{col}: {}\n", d.message));
                let start = floor_char_boundary(text, span.start.min(text.len()));
                let len = span.end.min(text.len()).saturating_sub(start);
                let rendered = Rendered {
                    message: d.message.clone(),
                    source: NamedSource::new(file, text.to_owned()),
                    labels: vec![LabeledSpan::new_with_span(Some("here".into()), (start, len))],
                    help: d.help.clone(),
                };
                let mut snippet = String::new();
                if handler.render_report(&mut snippet, &rendered).is_ok() {
                    // The first line already says what is wrong: keep the
                    // source lines and the help, not the message again.
                    let from = snippet.find('╭').and_then(|i| snippet[..i].rfind('\n')).map_or(0, |i| i + 1);
                    out.push_str(&snippet[from..]);
                }
            }
            None => {
                out.push_str(&format!("error: {file}: {}\n", d.message));
                if let Some(h) = &d.help {
                    out.push_str(&format!("  help: {h}\n"));
                }
            }
        }
    }
    if diagnostics.len() > 1 {
        out.push_str(&format!("\n{} problems in {file}\n", diagnostics.len()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based_and_count_characters() {
        let t = "a = 1\nbé = 2\n";
        assert_eq!(line_col(t, 0), (1, 1));
        assert_eq!(line_col(t, 6), (2, 1));
        assert_eq!(line_col(t, t.find('=').unwrap()), (1, 3));
        let second_eq = t.rfind('=').unwrap();
        assert_eq!(line_col(t, second_eq), (2, 4));
    }

    #[test]
    fn rendering_names_file_line_and_column() {
        let e = ScenarioError::Invalid {
            file: "s.toml".into(),
            source_text: "x = 1\nzone = \"icu\"\n".into(),
            diagnostics: vec![Diagnostic::at(13..18, "unknown zone `icu`").with_help("zones are: ward")],
        };
        let text = e.to_string();
        assert!(text.starts_with("error: s.toml:2:8: unknown zone `icu`"), "{text}");
        assert!(text.contains("zones are: ward"), "{text}");
    }
}
