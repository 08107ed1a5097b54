//! The comparison report: one self-contained HTML file (styles inline,
//! plots as inline SVG, no network access needed) for procurement teams.
//! Every piece of text that comes from a scenario file is escaped.

use std::fmt::Write as _;

use similar::TextDiff;

use crate::compare::{Design, MetricComparison, compared_metrics, readable};

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

/// Renders the report.
pub fn render_report(
    designs: &[Design],
    rows: &[MetricComparison],
    summary: &[String],
    figures: &[Figure],
    diagrams: &[Figure],
    trials: u32,
    seed: u64,
) -> String {
    let mut h = String::new();
    let names: Vec<String> = designs.iter().map(|d| escape(&d.label)).collect();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>iomtsim comparison: {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        names.join(" vs ")
    );
    let _ = write!(h, "<h1>Comparison of {} network designs</h1>\n", designs.len());
    let _ = write!(
        h,
        "<p class=\"note\">{trials} simulated trials of each design, seed {seed}. {}</p>\n",
        escape(&crn_note(rows))
    );
    h.push_str("<section class=\"summary\" id=\"summary\">\n");
    for s in summary {
        let _ = writeln!(h, "<p>{}</p>", escape(s));
    }
    h.push_str("</section>\n");

    h.push_str("<h2>Results</h2>\n<table id=\"results\">\n<thead><tr><th>metric</th><th>design</th><th>mean</th><th>median</th><th>95% interval of the mean</th><th>difference vs first (paired)</th><th>95% interval of the difference (paired)</th><th>95% interval if unpaired (Welch)</th><th>correlation across designs</th><th>p (paired t-test)</th></tr></thead>\n<tbody>\n");
    for info in compared_metrics(designs) {
        for (i, r) in rows.iter().filter(|r| r.metric == info.column).enumerate() {
            let class = if i == 0 { " class=\"metric-start\"" } else { "" };
            let label = if i == 0 { escape(&r.label) } else { String::new() };
            let first = r.design == designs[0].label;
            let diff = if first || !r.diff.is_finite() {
                "—".to_owned()
            } else {
                let significant = r.p_value < 0.05;
                let good = (info.lower_is_better() && r.diff < 0.0) || (info.higher_is_better() && r.diff > 0.0);
                let bad = (info.lower_is_better() && r.diff > 0.0) || (info.higher_is_better() && r.diff < 0.0);
                let tone = if significant && good {
                    "better"
                } else if significant && bad {
                    "worse"
                } else {
                    ""
                };
                format!("<span class=\"{tone}\">{}</span>", fmt(r.diff))
            };
            let interval = |lo: f64, hi: f64| {
                if first || !lo.is_finite() { "—".to_owned() } else { format!("[{}, {}]", fmt(lo), fmt(hi)) }
            };
            let _ = writeln!(
                h,
                "<tr{class} data-design=\"{}\" data-metric=\"{}\" data-mean=\"{}\" data-median=\"{}\"><td>{label}</td><td class=\"design\">{}</td><td>{}</td><td>{}</td><td>[{}, {}]</td><td>{diff}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&r.design),
                escape(&r.metric),
                r.mean,
                r.median,
                escape(&r.design),
                fmt(r.mean),
                fmt(r.median),
                fmt(r.ci_low),
                fmt(r.ci_high),
                interval(r.diff_ci_low, r.diff_ci_high),
                interval(r.welch_ci_low, r.welch_ci_high),
                if first || !r.correlation.is_finite() { "—".to_owned() } else { format!("{:.2}", r.correlation) },
                if first || !r.p_value.is_finite() { "—".to_owned() } else { p(r.p_value) },
            );
        }
    }
    h.push_str("</tbody>\n</table>\n");
    h.push_str("<p class=\"note\">How to read this: the mean is the average over trials and its 95% interval says how precisely the trials pin it down. The difference column averages, trial by trial, this design's value minus the first design's; if its interval excludes zero (p below 0.05), the difference is more than simulation noise. The unpaired interval is what the same trials would give without common random numbers. Green: the design does better than the first; orange: worse. The intervals cover the noise of simulation only, not uncertainty in the scenario's assumed inputs.</p>\n");

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

fn fmt(x: f64) -> String {
    if x.is_finite() && x.abs() < 100.0 { format!("{x:.2}") } else { readable(x) }
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

/// Draws a design's zones, their devices and the conduits between them as
/// an SVG diagram (zones on a grid, conduits as labelled arrows).
pub fn design_diagram(design: &Design) -> String {
    let s = &design.model.scenario;
    let n = s.zones.len().max(1);
    let cols = (n as f64).sqrt().ceil() as usize;
    let rows = n.div_ceil(cols);
    let (bw, bh, gx, gy) = (180.0, 62.0, 90.0, 70.0);
    let width = cols as f64 * (bw + gx) + gx;
    let height = rows as f64 * (bh + gy) + gy;
    let centre = |i: usize| {
        let (c, r) = (i % cols, i / cols);
        (gx + c as f64 * (bw + gx) + bw / 2.0, gy + r as f64 * (bh + gy) + bh / 2.0)
    };
    let devices = s.devices_per_zone();
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" font-family=\"DejaVu Sans, sans-serif\"><defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"#555\"/></marker></defs>"
    );
    for (from, to, services) in s.network.conduits() {
        let (x1, y1) = centre(usize::from(from.0));
        let (x2, y2) = centre(usize::from(to.0));
        // Stop the arrow at the target box's edge.
        let (dx, dy) = (x2 - x1, y2 - y1);
        let scale = ((bw / 2.0) / dx.abs().max(1e-9)).min((bh / 2.0) / dy.abs().max(1e-9)).min(1.0);
        let (ex, ey) = (x2 - dx * scale, y2 - dy * scale);
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
        let _ = write!(
            svg,
            "<line x1=\"{x1:.0}\" y1=\"{y1:.0}\" x2=\"{ex:.0}\" y2=\"{ey:.0}\" stroke=\"#555\" stroke-width=\"1.5\" marker-end=\"url(#arrow)\"/><text x=\"{:.0}\" y=\"{:.0}\" font-size=\"11\" fill=\"#333\" text-anchor=\"middle\">{}</text>",
            (x1 + ex) / 2.0,
            (y1 + ey) / 2.0 - 4.0,
            escape(&names.join(", "))
        );
    }
    for (i, z) in s.zones.iter().enumerate() {
        let (cx, cy) = centre(i);
        let dash = if z.external { " stroke-dasharray=\"6 4\"" } else { "" };
        let fill = if z.external {
            "#f4f4f4"
        } else if z.intra == iomtsim_sim::ServiceSet::NONE {
            "#e3f2e9"
        } else {
            "#e8f1fa"
        };
        let sl = z.security_level.map(|l| format!(" · SL {l}")).unwrap_or_default();
        let _ = write!(
            svg,
            "<rect x=\"{:.0}\" y=\"{:.0}\" width=\"{bw}\" height=\"{bh}\" rx=\"8\" fill=\"{fill}\" stroke=\"#0072b2\"{dash}/><text x=\"{cx:.0}\" y=\"{:.0}\" font-size=\"13\" text-anchor=\"middle\" font-weight=\"bold\">{}</text><text x=\"{cx:.0}\" y=\"{:.0}\" font-size=\"12\" text-anchor=\"middle\">{} devices{}</text>",
            cx - bw / 2.0,
            cy - bh / 2.0,
            cy - 6.0,
            escape(&truncate(&z.name, 24)),
            cy + 14.0,
            readable(f64::from(devices[i])),
            escape(&sl)
        );
    }
    svg.push_str("</svg>");
    svg
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n { s.to_owned() } else { format!("{}…", s.chars().take(n - 1).collect::<String>()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_names_is_shown_as_text() {
        assert_eq!(escape("<script>alert(1)</script>"), "&lt;script&gt;alert(1)&lt;/script&gt;");
        assert_eq!(escape("a \"b\" & 'c'"), "a &quot;b&quot; &amp; &#39;c&#39;");
    }
}
