//! The comparison report: one self-contained HTML file (styles inline,
//! plots as inline SVG, no network access needed) for procurement teams.
//! Every piece of text that comes from a scenario file is escaped.

use std::fmt::Write as _;

use similar::TextDiff;

use crate::compare::{Design, MetricComparison, compared_metrics};
use crate::numbers::{decimals_for, readable, with_decimals};

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A plot to show: its title and its SVG text (from plotters, which escapes
/// the labels it draws).
pub struct Figure {
    /// Caption.
    pub title: String,
    /// The SVG document.
    pub svg: String,
}

const STYLE: &str = r#"
body { font-family: "DejaVu Sans", Verdana, Arial, sans-serif; margin: 2rem auto; max-width: 1100px; color: #1a1a1a; line-height: 1.45; padding: 0 1rem; }
h1 { font-size: 1.7rem; } h2 { font-size: 1.3rem; margin-top: 2.2rem; border-bottom: 1px solid #ccc; }
.summary { background: #eef5fb; border-left: 5px solid #0072b2; padding: 0.8rem 1.2rem; font-size: 1.08rem; }
table { border-collapse: collapse; width: 100%; font-size: 0.92rem; }
th, td { border: 1px solid #ccc; padding: 0.35rem 0.5rem; text-align: right; }
th:first-child, th:nth-child(2), td:first-child, td.design { text-align: left; }
tr.metric-start td { border-top: 2px solid #888; }
.better { color: #006d4f; font-weight: bold; } .worse { color: #b3400a; font-weight: bold; }
figure { margin: 1.5rem 0; } figure svg { max-width: 100%; height: auto; border: 1px solid #eee; }
.diagrams { display: flex; flex-wrap: wrap; gap: 1rem; } .diagrams figure { flex: 1 1 480px; }
pre.diff { background: #f7f7f7; padding: 0.8rem; overflow-x: auto; font-size: 0.8rem; }
pre.diff .add { color: #006d4f; } pre.diff .del { color: #b3400a; } pre.diff .hunk { color: #666; }
.note { color: #555; font-size: 0.9rem; }
"#;

/// Reports that every plot drew (each SVG has a size on screen), so a test
/// driving a real browser can check what a reader sees.
const RENDER_CHECK: &str = r#"
window.addEventListener('load', function () {
  var svgs = document.querySelectorAll('figure svg');
  var shown = 0;
  svgs.forEach(function (s) { var r = s.getBoundingClientRect(); if (r.width > 50 && r.height > 50) { shown++; } });
  var check = document.getElementById('render-check');
  check.setAttribute('data-figures', String(svgs.length));
  check.setAttribute('data-figures-shown', String(shown));
});
"#;

/// The designs in money (the sentences lead the summary): a table a finance director
/// can read, then which assumptions the ranking depends on.
fn money_section(h: &mut String, r: &crate::risk::RiskComparison) {
    use crate::money::money_words;
    let m = |x: f64| escape(&money_words(&r.currency, x));
    let per = if r.span == "a year" { "a year".to_owned() } else { format!("per trial of {}", r.span) };
    // The sentences already lead the report's summary; here, how to read
    // the table beneath them.
    h.push_str("<h2 id=\"money\">In money</h2>\n");
    let _ = writeln!(
        h,
        "<p class=\"note\">Expected loss: the average over the simulated trials ({}), with the 95% interval of that average. \
         Bad and very bad: the loss exceeded in 1 trial in 20 and 1 in 100, the tail a budget must survive. \
         Loss avoided: the first design's loss minus this design's in the same trial, averaged (paired). \
         Return: loss avoided for each unit of extra defence spend. Costs come from each scenario's <code>[costs]</code> table; \
         most figures there are assumptions, and the intervals cover simulation noise only.</p>",
        escape(&per)
    );
    let _ = write!(
        h,
        "<table id=\"money-table\">\n<thead><tr><th>design</th><th>defences a year</th><th>expected loss {}</th><th>95% interval</th><th>bad (1 in 20)</th><th>very bad (1 in 100)</th><th>loss plus defences</th><th>loss avoided vs first (paired)</th><th>95% interval</th><th>return per 1 spent</th></tr></thead>\n<tbody>\n",
        escape(&per)
    );
    for (i, d) in r.designs.iter().enumerate() {
        let first = i == 0;
        let dash = || "—".to_owned();
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&d.design),
            m(d.defence_cost),
            m(d.expected),
            escape(&crate::money::interval_words(&r.currency, d.ci_low, d.ci_high)),
            m(d.p95),
            m(d.p99),
            m(d.total),
            if first { dash() } else { m(d.avoided) },
            if first {
                dash()
            } else {
                escape(&crate::money::interval_words(&r.currency, d.avoided_low, d.avoided_high))
            },
            d.return_on_spend.map_or_else(dash, |x| format!("{x:.1}")),
        );
    }
    h.push_str("</tbody>\n</table>\n");
    if !r.sensitivity.is_empty() {
        h.push_str("<p class=\"note\">How the ranking (cheapest in all first) moves when one assumption changes:</p>\n<ul class=\"sensitivity\">\n");
        for s in &r.sensitivity {
            let _ = writeln!(
                h,
                "<li>{}: {}{}</li>",
                escape(&s.assumption),
                escape(&s.ranking.join(", ")),
                if s.changes { " <strong>(ranking changes)</strong>" } else { "" }
            );
        }
        h.push_str("</ul>\n");
    }
    h.push_str("<p class=\"note\">Losses are the trials' outcomes priced with each scenario's <code>[costs]</code>; the intervals cover simulation noise only, not uncertainty in the cost figures, which the list above explores one at a time.</p>\n");
}

/// How the compared trials were run, and the smallest difference the
/// report calls one that matters.
#[derive(Clone, Copy, Debug)]
pub struct ReportSettings {
    /// Trials of each design.
    pub trials: u32,
    /// The seed they shared.
    pub seed: u64,
    /// The smallest relative difference that matters (`--min-effect`).
    pub min_effect: f64,
}

/// Renders the report.
pub fn render_report(
    designs: &[Design],
    rows: &[MetricComparison],
    summary: &[String],
    risk: Option<&crate::risk::RiskComparison>,
    figures: &[Figure],
    diagrams: &[Figure],
    settings: ReportSettings,
) -> String {
    let ReportSettings { trials, seed, min_effect } = settings;
    let mut h = String::new();
    let names: Vec<String> = designs.iter().map(|d| escape(&d.label)).collect();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>iomtsim comparison: {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        names.join(" vs ")
    );
    let _ = writeln!(h, "<h1>Comparison of {} network designs</h1>", designs.len());
    let _ = writeln!(
        h,
        "<p class=\"note\">{trials} simulated trials of each design, seed {seed}. {}</p>",
        escape(&crn_note(rows))
    );
    h.push_str("<section class=\"summary\" id=\"summary\">\n");
    for s in summary {
        let _ = writeln!(h, "<p>{}</p>", escape(s));
    }
    h.push_str("</section>\n");
    if let Some(r) = risk {
        money_section(&mut h, r);
    }

    h.push_str("<h2>Results</h2>\n<table id=\"results\">\n<thead><tr><th>metric</th><th>design</th><th>mean</th><th>median</th><th>95% interval of the mean</th><th>difference vs first (paired)</th><th>95% interval of the difference (paired)</th><th>95% interval if unpaired (Welch)</th><th>correlation across designs</th><th>p (paired t-test)</th></tr></thead>\n<tbody>\n");
    for info in compared_metrics(designs) {
        for (i, r) in rows.iter().filter(|r| r.metric == info.column).enumerate() {
            let class = if i == 0 { " class=\"metric-start\"" } else { "" };
            let label = if i == 0 { escape(&r.label) } else { String::new() };
            let first = r.design == designs[0].label;
            // Rounded alike across the row, to what each interval supports.
            let whole = info.is_count();
            let d = if info.is_flag() {
                crate::numbers::decimals_for_share(r.mean, r.ci_low, r.ci_high)
            } else {
                decimals_for((r.ci_high - r.ci_low) / 2.0, whole)
            };
            let dd = if info.is_flag() { 2 } else { decimals_for((r.diff_ci_high - r.diff_ci_low) / 2.0, whole) };
            // The unpaired interval is wider than the paired one: it gets
            // the precision its own width supports, not the paired one's.
            let dw = if info.is_flag() { 2 } else { decimals_for((r.welch_ci_high - r.welch_ci_low) / 2.0, whole) };
            let fmt = |x: f64| with_decimals(x, d);
            let fmt_diff = |x: f64| with_decimals(x, dd);
            let diff = if first || !r.diff.is_finite() {
                "—".to_owned()
            } else {
                let good = (info.lower_is_better() && r.diff < 0.0) || (info.higher_is_better() && r.diff > 0.0);
                let bad = (info.lower_is_better() && r.diff > 0.0) || (info.higher_is_better() && r.diff < 0.0);
                let tone = if r.important && good {
                    "better"
                } else if r.important && bad {
                    "worse"
                } else {
                    ""
                };
                format!("<span class=\"{tone}\">{}</span>", fmt_diff(r.diff))
            };
            let interval = |lo: f64, hi: f64, decimals: usize| {
                if first || !lo.is_finite() || !hi.is_finite() {
                    "—".to_owned()
                } else {
                    format!("[{}, {}]", with_decimals(lo, decimals), with_decimals(hi, decimals))
                }
            };
            let ci = if r.ci_low.is_finite() && r.ci_high.is_finite() {
                format!("[{}, {}]", fmt(r.ci_low), fmt(r.ci_high))
            } else {
                "n/a".to_owned()
            };
            let _ = writeln!(
                h,
                "<tr{class} data-design=\"{}\" data-metric=\"{}\" data-mean=\"{}\" data-median=\"{}\"><td>{label}</td><td class=\"design\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{diff}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&r.design),
                escape(&r.metric),
                r.mean,
                r.median,
                escape(&r.design),
                fmt(r.mean),
                fmt(r.median),
                ci,
                interval(r.diff_ci_low, r.diff_ci_high, dd),
                interval(r.welch_ci_low, r.welch_ci_high, dw),
                if first || !r.correlation.is_finite() { "—".to_owned() } else { format!("{:.2}", r.correlation) },
                if first || !r.p_value.is_finite() { "—".to_owned() } else { p(r.p_value) },
            );
        }
    }
    h.push_str("</tbody>\n</table>\n");
    let _ = writeln!(
        h,
        "<p class=\"note\">How to read this: the mean is the average over trials and its 95% interval says how precisely the trials pin it down; the median is the middle trial (outcomes are often two-humped: an attack fizzles or takes hold). The difference column averages, trial by trial, this design's value minus the first design's; if its interval excludes zero (p below 0.05), the difference is more than simulation noise. The unpaired interval is what the same trials would give without common random numbers. A difference is coloured only when it is both more than noise and at least {:.0}% of the first design's mean (set with --min-effect): green when the design does better than the first, orange when worse. The intervals cover the noise of simulation only, not uncertainty in the scenario's assumed inputs.{}</p>",
        min_effect * 100.0,
        if trials < crate::summary::MIN_TRIALS_FOR_INTERVALS {
            format!(
                " With fewer than {} trials the intervals are rough: run more.",
                crate::summary::MIN_TRIALS_FOR_INTERVALS
            )
        } else {
            String::new()
        }
    );

    h.push_str("<h2>Plots</h2>\n");
    for f in figures {
        let _ =
            writeln!(h, "<figure>{}<figcaption>{}</figcaption></figure>", strip_xml_header(&f.svg), escape(&f.title));
    }

    h.push_str("<h2>The designs</h2>\n<div class=\"diagrams\">\n");
    for f in diagrams {
        let _ = writeln!(h, "<figure>{}<figcaption>{}</figcaption></figure>", f.svg, escape(&f.title));
    }
    h.push_str("</div>\n");
    for d in designs {
        let scenario = &d.model.scenario;
        let _ = writeln!(h, "<h3>{}</h3>\n<p>{}</p>", escape(&d.label), escape(&scenario.description));
        h.push_str("<table class=\"estate\"><thead><tr><th>zone</th><th>device type</th><th>devices</th></tr></thead><tbody>\n");
        for p in &scenario.placements {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td class=\"design\">{}</td><td>{}</td></tr>",
                escape(&scenario.zones[usize::from(p.zone.0)].name),
                escape(&scenario.device_types[usize::from(p.device_type.0)].name),
                p.count
            );
        }
        h.push_str("</tbody></table>\n");
    }

    h.push_str("<h2>What each design changes</h2>\n");
    if let Some(first) = designs.first() {
        for d in designs.iter().skip(1) {
            let diff =
                TextDiff::from_lines(first.model.scenario.source.text.as_ref(), d.model.scenario.source.text.as_ref());
            let unified = diff.unified_diff().context_radius(2).header(&first.label, &d.label).to_string();
            let _ = writeln!(h, "<h3>{} → {}</h3>\n<pre class=\"diff\">", escape(&first.label), escape(&d.label));
            for line in unified.lines() {
                let class = match line.chars().next() {
                    Some('+') => "add",
                    Some('-') => "del",
                    Some('@') => "hunk",
                    _ => "",
                };
                let _ = writeln!(h, "<span class=\"{class}\">{}</span>", escape(line));
            }
            h.push_str("</pre>\n");
        }
    }
    let _ = write!(
        h,
        "<p id=\"render-check\" class=\"note\">Made by iomtsim {}.</p>\n<script>{RENDER_CHECK}</script>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION")
    );
    h
}

/// What common random numbers did in this comparison, in plain words.
pub fn crn_note(rows: &[MetricComparison]) -> String {
    let mut note = "Every random draw is keyed by what it is for (the trial, the mechanism, the device it is about), so trial by trial the designs meet the same random events wherever they do not differ (common random numbers), and their differences can be read trial by trial.".to_owned();
    let compromised: Vec<&MetricComparison> =
        rows.iter().filter(|r| r.metric == "compromised" && r.correlation.is_finite() && r.correlation < 1.0).collect();
    if !compromised.is_empty() {
        let parts: Vec<String> = compromised
            .iter()
            .map(|r| {
                format!(
                    "{}: correlation {:.2}, paired interval {:.2} times the width of the unpaired one",
                    r.design,
                    r.correlation,
                    r.paired_to_unpaired()
                )
            })
            .collect();
        note.push_str(&format!(" Devices compromised, trial by trial against the first design: {}.", parts.join("; ")));
    }
    note.push_str(" The intervals cover simulation noise only, not uncertainty in the scenario's assumed inputs.");
    note
}

fn strip_xml_header(svg: &str) -> &str {
    svg.find("<svg").map_or(svg, |i| &svg[i..])
}

fn p(x: f64) -> String {
    if !x.is_finite() {
        "n/a".into()
    } else if x < 0.001 {
        "< 0.001".into()
    } else {
        format!("{x:.3}")
    }
}

/// An axis-aligned box: left, top, width, height.
type Bounds = (f64, f64, f64, f64);

fn overlaps(a: Bounds, b: Bounds) -> bool {
    a.0 < b.0 + b.2 && b.0 < a.0 + a.2 && a.1 < b.1 + b.3 && b.1 < a.1 + a.3
}

/// Splits a name into lines of at most `width` characters at spaces (a
/// word longer than a line is split), so that nothing is cut.
pub(crate) fn wrap(name: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for word in name.split_whitespace() {
        let mut word: Vec<char> = word.chars().collect();
        while word.len() > width {
            let rest = word.split_off(width);
            lines.push(word.iter().collect());
            word = rest;
        }
        let word: String = word.into_iter().collect();
        match lines.last_mut() {
            Some(last) if last.chars().count() + 1 + word.chars().count() <= width => {
                last.push(' ');
                last.push_str(&word);
            }
            _ => lines.push(word),
        }
    }
    if lines.is_empty() {
        lines.push(String::new());
    }
    lines
}

/// The approximate width of `text` at `size` px in DejaVu Sans.
fn text_width(text: &str, size: f64) -> f64 {
    text.chars().count() as f64 * size * 0.6
}

/// Where a line from the centre of box `a` towards `(tx, ty)` leaves the box.
fn edge_point(a: Bounds, tx: f64, ty: f64) -> (f64, f64) {
    let (cx, cy) = (a.0 + a.2 / 2.0, a.1 + a.3 / 2.0);
    let (dx, dy) = (tx - cx, ty - cy);
    let scale = ((a.2 / 2.0) / dx.abs().max(1e-9)).min((a.3 / 2.0) / dy.abs().max(1e-9)).min(1.0);
    (cx + dx * scale, cy + dy * scale)
}

/// Places `n` boxes of `bw` × `bh` around an ellipse: an arrow between two
/// of them is a chord, which passes inside the ring, clear of the boxes
/// between them. Returns the drawing's width and height and each box's centre.
pub(crate) fn ring_layout(n: usize, bw: f64, bh: f64) -> (f64, f64, Vec<(f64, f64)>) {
    let (rx, ry) = if n <= 1 {
        (0.0, 0.0)
    } else {
        let r = (n as f64 * (bw + 90.0) / std::f64::consts::TAU).max(bh + 80.0);
        (r.max(bw * 0.9), (r * 0.6).max(bh + 40.0))
    };
    let (margin_x, margin_y) = (bw / 2.0 + 40.0, bh / 2.0 + 40.0);
    let (width, height) = (2.0 * (rx + margin_x), 2.0 * (ry + margin_y));
    let centres = (0..n)
        .map(|i| {
            let angle = -std::f64::consts::FRAC_PI_2 + std::f64::consts::TAU * i as f64 / n.max(1) as f64;
            (width / 2.0 + rx * angle.cos(), height / 2.0 + ry * angle.sin())
        })
        .collect();
    (width, height, centres)
}

/// Most zones a design diagram draws.
const MOST_ZONES_DRAWN: usize = 24;

/// Draws a design's zones, their devices and the conduits between them as
/// an SVG diagram: zones on a grid, each name whole (wrapped, never cut);
/// each conduit an arrow from the zone that opens connections to the zone
/// that accepts them (the two directions of a two-way conduit side by
/// side), labelled with its services on a white ground, labels placed
/// where they overlap neither a zone nor each other, and drawn last so
/// nothing hides them.
pub fn design_diagram(design: &Design) -> String {
    let s = &design.model.scenario;
    let devices = s.devices_per_zone();
    // A national estate's thousands of zones make no diagram: draw the
    // largest, and say so.
    let shown: Vec<usize> = if s.zones.len() <= MOST_ZONES_DRAWN {
        (0..s.zones.len()).collect()
    } else {
        let mut by_size: Vec<usize> = (0..s.zones.len()).collect();
        by_size.sort_by_key(|&z| (std::cmp::Reverse(devices[z]), z));
        by_size.truncate(MOST_ZONES_DRAWN);
        by_size.sort_unstable();
        by_size
    };
    let slot: std::collections::HashMap<usize, usize> = shown.iter().enumerate().map(|(i, &z)| (z, i)).collect();
    let names: Vec<Vec<String>> = shown.iter().map(|&z| wrap(&s.zones[z].name, 24)).collect();
    let lines = names.iter().map(Vec::len).max().unwrap_or(1) as f64;
    let (bw, bh) = (210.0, 38.0 + 17.0 * lines);
    let (width, height, centres) = ring_layout(shown.len(), bw, bh);
    let boxes: Vec<Bounds> = centres.iter().map(|&(cx, cy)| (cx - bw / 2.0, cy - bh / 2.0, bw, bh)).collect();
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" font-family=\"DejaVu Sans, sans-serif\"><defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"8\" markerHeight=\"8\" orient=\"auto-start-reverse\"><path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"#444\"/></marker></defs>"
    );
    if shown.len() < s.zones.len() {
        let _ = write!(
            svg,
            "<text x=\"10\" y=\"18\" font-size=\"13\">the {} largest of {} zones</text>",
            shown.len(),
            readable(s.zones.len() as f64)
        );
    }
    for (i, &zi) in shown.iter().enumerate() {
        let z = &s.zones[zi];
        let (x, y, w, h) = boxes[i];
        let dash = if z.external { " stroke-dasharray=\"6 4\"" } else { "" };
        let fill = if z.external {
            "#f4f4f4"
        } else if z.intra == iomtsim_sim::ServiceSet::NONE {
            "#e3f2e9"
        } else {
            "#e8f1fa"
        };
        let _ = write!(
            svg,
            "<rect class=\"zone\" x=\"{x:.0}\" y=\"{y:.0}\" width=\"{w}\" height=\"{h}\" rx=\"8\" fill=\"{fill}\" stroke=\"#0072b2\"{dash}/><text class=\"zone-name\" x=\"{:.0}\" y=\"{:.0}\" font-size=\"13\" text-anchor=\"middle\" font-weight=\"bold\">",
            x + w / 2.0,
            y + 20.0
        );
        for (k, line) in names[i].iter().enumerate() {
            let _ = write!(
                svg,
                "<tspan x=\"{:.0}\" dy=\"{}\">{}</tspan>",
                x + w / 2.0,
                if k == 0 { 0 } else { 16 },
                escape(line)
            );
        }
        let sl = z.security_level.map(|l| format!(" · SL {l}")).unwrap_or_default();
        let _ = write!(
            svg,
            "</text><text x=\"{:.0}\" y=\"{:.0}\" font-size=\"12\" text-anchor=\"middle\">{}{}</text>",
            x + w / 2.0,
            y + h - 9.0,
            crate::numbers::count(u64::from(devices[zi]), "device", "devices"),
            escape(&sl)
        );
    }
    let conduits: Vec<_> = s
        .network
        .conduits()
        .filter(|(f, t, _)| slot.contains_key(&usize::from(f.0)) && slot.contains_key(&usize::from(t.0)))
        .collect();
    let mut placed: Vec<Bounds> = boxes.clone();
    let mut labels = String::new();
    for &(from, to, services) in &conduits {
        let (a, b) = (boxes[slot[&usize::from(from.0)]], boxes[slot[&usize::from(to.0)]]);
        let (ac, bc) = ((a.0 + a.2 / 2.0, a.1 + a.3 / 2.0), (b.0 + b.2 / 2.0, b.1 + b.3 / 2.0));
        // A two-way conduit's directions run side by side, each offset to its right.
        let two_way = conduits.iter().any(|&(f, t, _)| f == to && t == from);
        let (dx, dy) = (bc.0 - ac.0, bc.1 - ac.1);
        let len = (dx * dx + dy * dy).sqrt().max(1e-9);
        let off = if two_way { 6.0 } else { 0.0 };
        let (ox, oy) = (-dy / len * off, dx / len * off);
        let (x1, y1) = edge_point(a, bc.0 + ox, bc.1 + oy);
        let (x2, y2) = edge_point(b, ac.0 + ox, ac.1 + oy);
        let (x1, y1, x2, y2) = (x1 + ox, y1 + oy, x2 + ox, y2 + oy);
        let _ = write!(
            svg,
            "<line class=\"conduit\" x1=\"{x1:.1}\" y1=\"{y1:.1}\" x2=\"{x2:.1}\" y2=\"{y2:.1}\" stroke=\"#444\" stroke-width=\"1.5\" marker-end=\"url(#arrow)\"/>"
        );
        let names: Vec<&str> = if services == iomtsim_sim::ServiceSet::ALL {
            vec!["any"]
        } else {
            s.services
                .iter()
                .enumerate()
                .filter(|(i, _)| services.contains(iomtsim_sim::ServiceId(*i as u8)))
                .map(|(_, x)| x.id.as_str())
                .collect()
        };
        let text = names.join(", ");
        let (tw, th) = (text_width(&text, 11.0) + 6.0, 15.0);
        // The first place along the arrow where the label covers nothing.
        let along = (0..19).map(|k| 0.5 + if k % 2 == 0 { 0.025 * k as f64 } else { -0.025 * (k + 1) as f64 });
        let spot = along
            .flat_map(|t| [0.0, 12.0, -12.0, 24.0, -24.0, 36.0, -36.0, 48.0, -48.0].map(move |shift| (t, shift)))
            .map(|(t, shift)| {
                let (px, py) = (x1 + (x2 - x1) * t + (-dy / len) * shift, y1 + (y2 - y1) * t + (dx / len) * shift);
                (px - tw / 2.0, py - th / 2.0, tw, th)
            })
            .find(|bounds| !placed.iter().any(|p| overlaps(*bounds, *p)))
            .unwrap_or_else(|| {
                let (px, py) = (x1 + (x2 - x1) * 0.5, y1 + (y2 - y1) * 0.5);
                (px - tw / 2.0, py - th / 2.0, tw, th)
            });
        placed.push(spot);
        let _ = write!(
            labels,
            "<g class=\"conduit-label\" data-box=\"{:.1} {:.1} {:.1} {:.1}\"><rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{th}\" rx=\"3\" fill=\"#ffffff\" fill-opacity=\"0.92\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" fill=\"#222\" text-anchor=\"middle\">{}</text></g>",
            spot.0,
            spot.1,
            spot.2,
            spot.3,
            spot.0,
            spot.1,
            spot.2,
            spot.0 + spot.2 / 2.0,
            spot.1 + 11.0,
            escape(&text)
        );
    }
    svg.push_str(&labels);
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::MetricInfo;

    #[test]
    fn names_wrap_instead_of_being_cut() {
        assert_eq!(wrap("Clinical servers (EHR, PACS) and admin", 24), ["Clinical servers (EHR,", "PACS) and admin"]);
        assert_eq!(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
    }

    #[test]
    fn markup_in_names_is_shown_as_text() {
        assert_eq!(escape("<script>alert(1)</script>"), "&lt;script&gt;alert(1)&lt;/script&gt;");
        assert_eq!(escape("a \"b\" & 'c'"), "a &quot;b&quot; &amp; &#39;c&#39;");
    }

    fn procurement_like_design() -> Design {
        let text = r#"
            name = "zones"
            duration = "1d"
            zones = [
              { id = "it", name = "Clinical workstations and the administrators' jump hosts" },
              { id = "srv", name = "Clinical servers (EHR, PACS)" },
              { id = "img", name = "Imaging modalities" },
              { id = "lab", name = "Laboratory" },
              { id = "rx", name = "Medication dispensing" },
              { id = "mon", name = "Bedside telemetry" },
              { id = "net", name = "Internet", external = true },
            ]
            conduits = [
              { from = "it", to = "srv", services = ["https", "hl7"] },
              { from = "it", to = "img", services = ["dicom"] },
              { from = "img", to = "srv", services = ["dicom"] },
              { from = "lab", to = "srv", services = ["hl7"] },
              { from = "rx", to = "srv", services = ["hl7", "https"] },
              { from = "mon", to = "srv", services = ["hl7"] },
              { from = "it", to = "net", services = ["https", "http"] },
              { from = "srv", to = "lab", services = ["smb"], bidirectional = true },
            ]
            device_types = [{ id = "pc" }]
            placement = [{ zone = "it", device_type = "pc", count = 3 }]
        "#;
        let model = iomtsim_sim::load_model(
            iomtsim_sim::ScenarioSource::from_text("z.toml", text),
            &iomtsim_sim::Registry::default(),
        )
        .unwrap();
        Design {
            label: "zones".into(),
            model: std::sync::Arc::new(model),
            metrics: Vec::new(),
            trials: polars::prelude::DataFrame::empty(),
            timeseries: polars::prelude::DataFrame::empty(),
            breakdown: polars::prelude::DataFrame::empty(),
        }
    }

    #[test]
    fn a_diagram_of_thousands_of_zones_draws_the_largest_and_says_so() {
        use std::fmt::Write as _;
        let mut zones = String::new();
        let mut placement = String::new();
        let mut conduits = String::new();
        for z in 0..2000 {
            let _ = write!(zones, "{{ id = \"z{z}\", shared_network = \"n\" }},");
            let _ = write!(placement, "{{ zone = \"z{z}\", device_type = \"pc\", count = {} }},", 1 + z % 50);
            if z > 0 {
                let _ = write!(conduits, "{{ from = \"z{}\", to = \"z{z}\", services = [\"smb\"] }},", z - 1);
            }
        }
        let text = format!(
            "name = \"many\"\nduration = \"1d\"\nshared_networks = [{{ id = \"n\", services = [\"smb\"] }}]\n\
             zones = [{zones}]\nconduits = [{conduits}]\ndevice_types = [{{ id = \"pc\" }}]\nplacement = [{placement}]\n"
        );
        let design = design_of_text(text);
        let svg = design_diagram(&design);
        assert_eq!(svg.matches("class=\"zone\"").count(), MOST_ZONES_DRAWN);
        assert!(svg.contains("the 24 largest of 2,000 zones"), "says what it leaves out");
        // The largest zones (49 devices each: z49, z99, …) are the ones drawn.
        assert!(svg.contains(">50 devices<") && !svg.contains(">1 devices<"));
    }

    #[test]
    fn a_zone_of_one_device_says_device() {
        let text = procurement_like_design().model.scenario.source.text.replace("count = 3", "count = 1");
        let design = design_of_text(text);
        let svg = design_diagram(&design);
        assert!(svg.contains(">1 device<") && !svg.contains(">1 devices<"), "{svg}");
    }

    /// A design like the procurement one, of the scenario `text`.
    fn design_of_text(text: String) -> Design {
        let mut design = procurement_like_design();
        let model = iomtsim_sim::load_model(
            iomtsim_sim::ScenarioSource::from_text("design.toml", text),
            &iomtsim_sim::Registry::default(),
        );
        design.model = std::sync::Arc::new(model.unwrap());
        design
    }

    fn numbers(attr: &str) -> Vec<f64> {
        attr.split_whitespace().map(|x| x.parse().unwrap()).collect()
    }

    #[test]
    fn the_diagram_shows_whole_names_directed_conduits_and_labels_that_overlap_nothing() {
        let svg = design_diagram(&procurement_like_design());
        // Whole names, wrapped rather than cut.
        assert!(!svg.contains('…'), "a name was cut");
        let flat: String = svg
            .split("<tspan")
            .skip(1)
            .filter_map(|t| t.split('>').nth(1)?.split('<').next())
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            flat.contains("Clinical workstations and the") && flat.contains("administrators&#39; jump hosts"),
            "{flat}"
        );
        // Every conduit is an arrow; the two directions of a two-way conduit are two lines.
        let lines: Vec<&str> = svg.split("<line").skip(1).collect();
        assert_eq!(lines.len(), 9);
        assert!(lines.iter().all(|l| l.contains("marker-end=\"url(#arrow)\"")));
        // Labels are drawn after every zone, so no zone hides one.
        let last_zone = svg.rfind("class=\"zone\"").unwrap();
        let first_label = svg.find("class=\"conduit-label\"").unwrap();
        assert!(first_label > last_zone);
        // No label overlaps another label or a zone.
        let zones: Vec<Vec<f64>> = svg
            .split("<rect class=\"zone\"")
            .skip(1)
            .map(|r| {
                ["x", "y", "width", "height"]
                    .iter()
                    .map(|a| r.split(&format!(" {a}=\"")).nth(1).unwrap().split('"').next().unwrap().parse().unwrap())
                    .collect()
            })
            .collect();
        let labels: Vec<Vec<f64>> =
            svg.split("data-box=\"").skip(1).map(|b| numbers(b.split('"').next().unwrap())).collect();
        assert_eq!(labels.len(), 9);
        let hit =
            |a: &[f64], b: &[f64]| a[0] < b[0] + b[2] && b[0] < a[0] + a[2] && a[1] < b[1] + b[3] && b[1] < a[1] + a[3];
        for (i, a) in labels.iter().enumerate() {
            for b in labels.iter().skip(i + 1) {
                assert!(!hit(a, b), "labels overlap: {a:?} {b:?}");
            }
            for z in &zones {
                assert!(!hit(a, z), "a label sits on a zone: {a:?} {z:?}");
            }
        }
    }

    /// A design whose `x` differs from the first's by `shift` in every
    /// trial, with a little noise: perfectly significant whatever `shift`.
    fn designs(shift: f64) -> (Vec<Design>, Vec<MetricComparison>) {
        use polars::prelude::*;
        let info = MetricInfo {
            column: "x".into(),
            label: "time to detect (hours)".into(),
            description: String::new(),
            unit: "hours".into(),
            better: "lower".into(),
            kind: "amount".into(),
            bookkeeping: false,
            source: String::new(),
        };
        let make = |label: &str, add: f64| {
            let values: Vec<f64> = (0..200).map(|i| 10.0 + f64::from(i % 7) + add + f64::from(i % 3) * 0.001).collect();
            let mut d = procurement_like_design();
            d.label = label.into();
            d.metrics = vec![info.clone()];
            d.trials = DataFrame::new(200, vec![Column::new("x".into(), values)]).unwrap();
            d
        };
        let designs = vec![make("base", 0.0), make("other", shift)];
        let rows = crate::compare::compare(&designs, 0.10).unwrap();
        (designs, rows)
    }

    #[test]
    fn only_differences_that_matter_are_coloured() {
        // 1% slower (like 26 seconds on 0.7 hours): significant, not important.
        let (d, rows) = designs(0.13);
        let other = rows.iter().find(|r| r.design == "other").unwrap();
        assert!(other.p_value < 0.001 && !other.important, "{other:?}");
        let html =
            render_report(&d, &rows, &[], None, &[], &[], ReportSettings { trials: 200, seed: 1, min_effect: 0.10 });
        assert!(!html.contains("class=\"worse\"") && !html.contains("class=\"better\""));
        // 30% slower: significant and important, and worse since lower is better.
        let (d, rows) = designs(4.0);
        assert!(rows.iter().find(|r| r.design == "other").unwrap().important);
        let html =
            render_report(&d, &rows, &[], None, &[], &[], ReportSettings { trials: 200, seed: 1, min_effect: 0.10 });
        assert!(html.contains("class=\"worse\""));
        assert!(html.contains("at least 10% of the first design"));
    }

    #[test]
    fn each_interval_is_rounded_to_what_it_supports() {
        use polars::prelude::*;
        // Devices compromised: widely spread across trials, but the second
        // design differs from the first by nearly the same amount in every
        // trial, so the paired interval is narrow and the unpaired one wide.
        let info = MetricInfo {
            column: "compromised".into(),
            label: "devices compromised (ever)".into(),
            description: String::new(),
            unit: "devices".into(),
            better: "lower".into(),
            kind: "count".into(),
            bookkeeping: false,
            source: String::new(),
        };
        let make = |label: &str, add: u64| {
            let values: Vec<u64> =
                (0..200u64).map(|i| 3000 + (i % 7) * 300 + add + (i % 2) * u64::from(add > 0)).collect();
            let mut d = procurement_like_design();
            d.label = label.into();
            d.metrics = vec![info.clone()];
            d.trials = DataFrame::new(200, vec![Column::new("compromised".into(), values)]).unwrap();
            d
        };
        let designs = vec![make("base", 0), make("other", 20)];
        let rows = crate::compare::compare(&designs, 0.10).unwrap();
        let html = render_report(
            &designs,
            &rows,
            &[],
            None,
            &[],
            &[],
            ReportSettings { trials: 200, seed: 1, min_effect: 0.10 },
        );
        let row = html.lines().find(|l| l.contains("data-design=\"other\"")).unwrap();
        let cells: Vec<&str> =
            row.split("<td").skip(1).map(|c| c.split('>').nth(1).unwrap().split('<').next().unwrap()).collect();
        let (mean, paired, welch) = (cells[2], cells[6], cells[7]);
        assert!(!mean.contains('.'), "{row}");
        assert!(paired.contains('.'), "the paired interval is narrow: {row}");
        assert!(
            welch.starts_with('[') && !welch.contains('.'),
            "the unpaired interval is wide, whole like the mean: {row}"
        );
    }

    #[test]
    fn an_interval_that_cannot_be_computed_reads_n_a() {
        let (d, mut rows) = designs(4.0);
        for r in &mut rows {
            (r.ci_low, r.ci_high) = (f64::NAN, f64::NAN);
        }
        let html =
            render_report(&d, &rows, &[], None, &[], &[], ReportSettings { trials: 1, seed: 1, min_effect: 0.10 });
        assert!(html.contains("<td>n/a</td>") && !html.contains("n/a]"), "{html}");
    }

    #[test]
    fn the_report_claims_only_what_the_numbers_support() {
        let (d, rows) = designs(4.0);
        let html =
            render_report(&d, &rows, &[], None, &[], &[], ReportSettings { trials: 200, seed: 1, min_effect: 0.10 });
        assert!(!html.contains("not from luck"));
        assert!(html.contains("simulation noise only, not uncertainty in the scenario"));
        assert!(html.contains("common random numbers"));
    }
}
