//! The comparison report: its numbers are the dataset's, text from
//! scenario files is escaped, and a real browser shows the summary, the
//! table and every plot.

use std::path::Path;
use std::process::Command;

use iomtsim_analysis::read_parquet;
use polars::prelude::*;

use crate::{iomtsim, root};

fn run_comparison(dir: &Path) -> String {
    let base = root().join("tests/fixtures/base.toml");
    let hostile = root().join("tests/fixtures/hostile-names.toml");
    let out =
        iomtsim(dir, &["compare", base.to_str().unwrap(), hostile.to_str().unwrap(), "--trials", "40", "--out", "cmp"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("Design hostile-names"), "{stdout}");
    std::fs::read_to_string(dir.join("cmp/report.html")).unwrap()
}

#[test]
fn the_report_shows_the_datasets_numbers_and_escapes_scenario_text() {
    let dir = tempfile::tempdir().unwrap();
    let html = run_comparison(dir.path());

    // Every mean and median in the table is the one in comparison.parquet.
    let cmp = read_parquet(&dir.path().join("cmp/comparison.parquet")).unwrap();
    // Every outcome metric, the engine's own and each mechanism's, has a row per design.
    let metric_names: std::collections::BTreeSet<String> =
        cmp.column("metric").unwrap().str().unwrap().iter().map(|m| m.unwrap().to_owned()).collect();
    assert!(metric_names.contains("compromised") && metric_names.contains("worm.infections"), "{metric_names:?}");
    // Outcomes are two-humped: the report gives the share of trials where the attack took hold.
    assert!(metric_names.contains("major_outbreak"), "{metric_names:?}");
    assert!(html.contains("major outbreak"));
    assert_eq!(cmp.height(), 2 * metric_names.len());
    let col_str =
        |c: &str| cmp.column(c).unwrap().str().unwrap().iter().map(|s| s.unwrap().to_owned()).collect::<Vec<_>>();
    let col_f64 = |c: &str| cmp.column(c).unwrap().f64().unwrap().iter().map(|x| x.unwrap()).collect::<Vec<_>>();
    let (designs, metrics, means, medians) = (col_str("design"), col_str("metric"), col_f64("mean"), col_f64("median"));
    for i in 0..cmp.height() {
        let row = format!(
            "data-design=\"{}\" data-metric=\"{}\" data-mean=\"{}\" data-median=\"{}\"",
            designs[i], metrics[i], means[i], medians[i]
        );
        assert!(html.contains(&row), "the table lacks {row}");
    }
    // The means are the trials' means.
    let trials = read_parquet(&dir.path().join("cmp/trials.parquet")).unwrap();
    let base_mean = trials
        .clone()
        .lazy()
        .filter(col("design").eq(lit("bad-input-base")))
        .select([col("compromised").cast(DataType::Float64).mean()])
        .collect()
        .unwrap()
        .column("compromised")
        .unwrap()
        .f64()
        .unwrap()
        .get(0)
        .unwrap();
    assert!((base_mean - means[0]).abs() < 1e-9);

    // Names from the scenario are text, never markup.
    assert!(!html.contains("<script>alert(1)"), "a device type's name became a script");
    assert!(!html.contains("<img src=x"), "a zone's name became an image");
    assert!(!html.contains("<b>bold</b>"), "a description became markup");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("&lt;img src=x onerror=alert(2)&gt;"));

    // The plots are inline and carry both designs' series.
    assert!(html.matches("<svg").count() >= 5, "three plots and two diagrams inline");
    assert!(html.contains("bad-input-base (median)") && html.contains("hostile-names (median)"));
    assert!(!html.contains("src=\"http"), "nothing is fetched from the network");
}

fn chromium() -> Option<&'static str> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"].into_iter().find(|p| Path::new(p).exists())
}

#[test]
fn a_real_browser_shows_the_summary_the_table_and_the_plots() {
    let Some(browser) = chromium() else {
        assert!(
            std::env::var_os("IOMTSIM_REQUIRE_BROWSER").is_none(),
            "Chromium is required here (IOMTSIM_REQUIRE_BROWSER is set) but not installed"
        );
        eprintln!("skipped: Chromium is not installed (apt-get install chromium)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    run_comparison(dir.path());
    let report = dir.path().join("cmp/report.html");
    let profile = dir.path().join("profile");
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1200,2000",
            "--virtual-time-budget=5000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", report.display()))
        .output()
        .expect("chromium runs");
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(dom.contains("id=\"summary\"") && dom.contains("Design hostile-names"), "no summary in:\n{dom:.2000}");
    assert!(dom.contains("id=\"results\"") && dom.contains("devices compromised"), "no results table");
    let attr = |name: &str| -> usize {
        let key = format!("{name}=\"");
        let at = dom.find(&key).unwrap_or_else(|| panic!("the page's load check did not run: no {name}"));
        dom[at + key.len()..].split('"').next().unwrap().parse().unwrap()
    };
    let (figures, shown) = (attr("data-figures"), attr("data-figures-shown"));
    assert!(figures >= 5, "{figures} figures");
    assert_eq!(shown, figures, "every plot and diagram is drawn with a visible size");
    assert!(!dom.contains("<script>alert(1)"), "the hostile name stayed text in the browser");
}
