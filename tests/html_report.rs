//! `report.html` in a real browser: headless Chromium loads the page for the
//! sample data, and its DOM, console, screenshot and first screen are checked.
//!
//! Chromium is Debian's `chromium` package, which `.ci/run` installs. Without
//! it these tests fail under CI (`CI` set) and are skipped elsewhere with a
//! notice.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use polars::prelude::*;

use crate::util::Workdir;

/// Sections the page must have, by id, in order.
const SECTIONS: [&str; 11] = [
    "first-screen",
    "findings",
    "segments",
    "win-rate",
    "time-to-win",
    "tiers",
    "drivers",
    "icp",
    "choosing-k",
    "data-quality",
    "run",
];

fn find_chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("ABM_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
        .find(|p| p.is_file())
}

/// Chromium, or `None` (with a notice) when it is missing outside CI.
fn chromium() -> Option<PathBuf> {
    match find_chromium() {
        Some(p) => Some(p),
        None if std::env::var_os("CI").is_some() => panic!(
            "chromium is not installed, and CI is set: .ci/run installs it with \
             `apt-get install -y --no-install-recommends chromium`"
        ),
        None => {
            eprintln!(
                "NOTICE: skipping the headless Chromium check of report.html: chromium not found \
                 (install Debian's `chromium`, or set ABM_CHROMIUM)"
            );
            None
        }
    }
}

/// Run headless Chromium on `page` with `args`, in a fresh profile, offline,
/// and with console messages logged to stderr; give up after two minutes.
fn headless(chromium: &Path, wd: &Workdir, profile: &str, args: &[String], page: &Path) -> Output {
    let profile = wd.path(profile);
    std::fs::create_dir_all(&profile).unwrap();
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("could not start {}: {e}", chromium.display()));
    // Read the pipes on threads so a large DOM cannot block the browser.
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut out, &mut v).unwrap();
        v
    });
    let err = std::thread::spawn(move || {
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut err, &mut v).unwrap();
        v
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("chromium did not finish within two minutes");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    Output {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}

/// Discover on the shipped sample data into `wd/run`.
fn sample_run(wd: &Workdir) -> PathBuf {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample");
    wd.ok(&[
        "discover",
        "--accounts",
        sample.join("accounts.parquet").to_str().unwrap(),
        "--deals",
        sample.join("deals.parquet").to_str().unwrap(),
        "--out",
        "run",
        "-q",
    ]);
    wd.path("run")
}

/// Every value of `attr="..."` in `html`.
fn attribute_values<'a>(html: &'a str, attr: &str) -> Vec<&'a str> {
    let needle = format!(" {attr}=\"");
    html.match_indices(&needle)
        .filter_map(|(i, _)| {
            let rest = &html[i + needle.len()..];
            rest.find('"').map(|end| &rest[..end])
        })
        .collect()
}

/// The `<svg>...</svg>` elements of `html`.
fn svgs(html: &str) -> Vec<&str> {
    html.match_indices("<svg")
        .map(|(i, _)| {
            let end = html[i..].find("</svg>").expect("an <svg> is closed") + i;
            &html[i..end]
        })
        .collect()
}

fn assert_charts_are_labelled(html: &str, what: &str) {
    let charts = svgs(html);
    // The first screen's, win rate per segment, time to win, current tiers,
    // drivers, silhouette.
    assert!(charts.len() >= 6, "{what}: {} charts", charts.len());
    for svg in charts {
        let head: String = svg.chars().take(300).collect();
        let title = svg
            .split_once("<title>")
            .and_then(|(_, rest)| rest.split_once("</title>"))
            .map(|(t, _)| t.trim());
        assert!(
            title.is_some_and(|t| !t.is_empty()),
            "{what}: a chart without a title: {head}"
        );
        for class in ["x-label", "y-label"] {
            let label = svg
                .split_once(&format!("class=\"{class}\""))
                .and_then(|(_, rest)| rest.split_once('>'))
                .and_then(|(_, rest)| rest.split_once("</text>"))
                .map(|(t, _)| t.trim());
            assert!(
                label.is_some_and(|t| !t.is_empty()),
                "{what}: chart {title:?} has no {class}: {head}"
            );
        }
        assert!(
            svg.matches("class=\"tick\"").count() >= 2,
            "{what}: chart {title:?} has no tick labels"
        );
    }
}

#[test]
fn report_html_is_self_contained_with_a_strict_content_security_policy() {
    let wd = Workdir::new("html-static");
    let run = sample_run(&wd);
    let html = std::fs::read_to_string(run.join("report.html")).unwrap();
    assert!(
        html.contains(
            r#"<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">"#
        ),
        "no strict CSP meta tag"
    );
    for attr in ["src", "href", "xlink:href", "action", "data"] {
        for v in attribute_values(&html, attr) {
            let v = v.trim().to_ascii_lowercase();
            assert!(
                v.starts_with('#') || v.starts_with("data:"),
                "{attr}=\"{v}\" would load something"
            );
        }
    }
    for needle in [
        "http://", "https://", "<script", "<link", "<iframe", "@import", "url(",
    ] {
        assert!(!html.contains(needle), "report.html contains {needle}");
    }
    assert_charts_are_labelled(&html, "report.html");
    for id in SECTIONS {
        assert!(
            html.contains(&format!("<section id=\"{id}\">")),
            "no section {id}"
        );
    }
    // The ICP rules come with charts of their evidence; current and
    // recommended tiers are drawn side by side.
    let section = |id: &str| {
        let start = html.find(&format!("<section id=\"{id}\">")).unwrap();
        let end = html[start..].find("</section>").unwrap() + start;
        &html[start..end]
    };
    assert!(section("icp").contains("<svg"), "no ICP evidence chart");
    // The first screen: three one-line findings, the segments' chart, and
    // the short table; the findings in full are folded under it.
    let first = section("first-screen");
    for id in ["first-verdict", "first-best-segment", "first-icp"] {
        assert!(first.contains(&format!("<li id=\"{id}\"")), "no line {id}");
    }
    assert!(
        first.contains("<title>Win rate and P(win ≤ 90 d) per segment</title>"),
        "no chart of the segments on the first screen"
    );
    assert!(
        first.contains("<th>win rate (95% interval)</th>"),
        "no short table"
    );
    assert!(
        section("findings").starts_with(
            "<section id=\"findings\">\n<details><summary>The findings in full</summary>"
        ),
        "the findings in full are not folded"
    );
    let tiers = section("tiers");
    assert!(
        tiers.contains("<div class=\"columns\">"),
        "tiers not side by side"
    );
    for title in ["Win rate per current tier", "Win rate per recommended tier"] {
        assert!(
            tiers.contains(&format!("<title>{title}")),
            "no chart {title:?}"
        );
    }
}

#[test]
fn sections_a_run_does_not_compute_say_so_in_both_reports() {
    let wd = Workdir::new("html-not-computed");
    wd.generate("in", 3, 600, "parquet");
    // Without a tier column the current tiers cannot be judged.
    let f = std::fs::File::open(wd.path("in/accounts.parquet")).unwrap();
    let mut accounts = ParquetReader::new(f)
        .finish()
        .unwrap()
        .drop("tier")
        .unwrap();
    let out = std::fs::File::create(wd.path("in/accounts-untiered.parquet")).unwrap();
    ParquetWriter::new(out).finish(&mut accounts).unwrap();
    wd.ok(&[
        "discover",
        "--accounts",
        "in/accounts-untiered.parquet",
        "--deals",
        "in/deals.parquet",
        "--out",
        "run",
        "-q",
    ]);
    let reason = "Not computed: the accounts have no tier column.";
    let md = std::fs::read_to_string(wd.path("run/report.md")).unwrap();
    assert!(md.contains(reason), "{md}");
    let html = std::fs::read_to_string(wd.path("run/report.html")).unwrap();
    assert!(
        html.contains(&format!("<p class=\"not-computed\">{reason}</p>")),
        "report.html does not say the current tiers were not computed"
    );
    assert!(
        !html.contains("<title>Win rate per current tier"),
        "a chart was drawn for tiers that were not computed"
    );
}

#[test]
fn report_html_loads_in_headless_chromium_without_errors_or_requests_and_is_screenshotted() {
    let Some(chromium) = chromium() else { return };
    let wd = Workdir::new("html-chromium");
    let run = sample_run(&wd);
    let page = run.join("report.html");

    let dom = headless(&chromium, &wd, "profile-dom", &["--dump-dom".into()], &page);
    let text = String::from_utf8_lossy(&dom.stdout);
    let log = String::from_utf8_lossy(&dom.stderr);
    assert!(
        dom.status.success(),
        "chromium failed: {:?}\n{log}",
        dom.status
    );
    // The DOM is the page as the browser built it: every section is there,
    // in order, and every chart kept its title and axis labels.
    let mut at = 0;
    for id in SECTIONS {
        let i = text[at..]
            .find(&format!("<section id=\"{id}\">"))
            .unwrap_or_else(|| panic!("section {id} missing or out of order in the DOM:\n{text}"));
        at += i;
    }
    assert!(text.contains("</html>"), "the DOM dump is cut short");
    assert_charts_are_labelled(&text, "the DOM");
    // Console messages go to stderr: a blocked request ("Refused to load"),
    // a script error or a failed load would show there.
    for bad in [
        "Refused to",
        "Uncaught",
        "Failed to load",
        "net::ERR_",
        "CONSOLE",
    ] {
        assert!(!log.contains(bad), "chromium logged {bad:?}:\n{log}");
    }

    let png = run.join("report.png");
    let shot = headless(
        &chromium,
        &wd,
        "profile-shot",
        &[
            format!("--screenshot={}", png.display()),
            "--window-size=1280,6000".into(),
            "--hide-scrollbars".into(),
        ],
        &page,
    );
    assert!(
        shot.status.success(),
        "chromium screenshot failed: {:?}\n{}",
        shot.status,
        String::from_utf8_lossy(&shot.stderr)
    );
    let bytes = std::fs::read(&png).expect("chromium wrote report.png");
    assert!(
        bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        "report.png is not a PNG"
    );
    // IHDR: width and height, big-endian, at bytes 16..24.
    let width = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
    assert_eq!((width, height), (1280, 6000), "screenshot size");
    // A blank page compresses to a few kilobytes; charts and tables do not.
    assert!(
        bytes.len() > 100_000,
        "report.png is only {} bytes",
        bytes.len()
    );
    eprintln!("screenshot of report.html: {}", png.display());
}

/// What must be visible on the first screen, as CSS selectors: the
/// verdict, best-segment and ICP lines, and the first chart of the page.
const FIRST_SCREEN: [&str; 4] = [
    "#first-verdict",
    "#first-best-segment",
    "#first-icp",
    "svg.chart",
];

/// The window the first screen is made for, in CSS pixels.
const WINDOW: (u32, u32) = (1280, 800);

/// A copy of `html` that measures itself: the Content-Security-Policy meta
/// tag removed, and a script appended that writes, for each of
/// [`FIRST_SCREEN`], its box's top, bottom and height, its line height,
/// whether it sits in the first screen and whether its text is cut, into
/// `data-layout` on `<html>`, with the viewport's size first.
fn measuring_copy(html: &str) -> String {
    let csp = format!(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"{}\">",
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    );
    assert!(html.contains(&csp), "report.html has no CSP meta tag");
    let selectors: Vec<String> = FIRST_SCREEN.iter().map(|s| format!("{s:?}")).collect();
    let script = format!(
        r##"<script>
var out = ["viewport " + window.innerWidth + " " + window.innerHeight];
[{}].forEach(function (sel) {{
  var el = document.querySelector(sel);
  if (!el) {{ out.push(sel + " missing"); return; }}
  var b = el.getBoundingClientRect();
  out.push([sel, Math.round(b.top), Math.round(b.bottom), Math.round(b.height),
    Math.round(parseFloat(getComputedStyle(el).lineHeight)) || 0,
    el.closest("#first-screen") ? "first-screen" : "elsewhere",
    el.scrollWidth > el.clientWidth ? "cut" : "whole"].join(" "));
}});
document.documentElement.setAttribute("data-layout", out.join(";"));
</script>
</body>"##,
        selectors.join(", ")
    );
    html.replacen(&csp, "", 1).replacen("</body>", &script, 1)
}

/// The first screen of `report.html`, laid out by Chromium in a 1280×800
/// window, shows what a review looks at first: the verdict, the best
/// segment and the ICP, each on one line, and the first screen's chart of
/// the segments, all within the first 800 px.
///
/// The layout is measured, not inferred from the markup. The page allows
/// no script, so the test loads a copy of it with the policy's meta tag
/// removed and a script appended ([`measuring_copy`]) that reads each
/// element's box once the page is laid out (`getBoundingClientRect`) and
/// writes the boxes into an attribute of `<html>`, which `--dump-dom`
/// prints. The copy differs from the page only there, after everything it
/// measures. So the test fails when anything pushes the chart or a line
/// below 800 px (a longer block above them, the table put before the
/// chart, a line that wraps), when the first chart on the page is not the
/// first screen's, or when an element is missing; and it checks that the
/// page was laid out 1280 px wide.
#[test]
fn the_first_screen_at_1280_by_800_shows_the_verdict_best_segment_icp_and_a_chart() {
    let Some(chromium) = chromium() else { return };
    let wd = Workdir::new("html-first-screen");
    let run = sample_run(&wd);
    let html = std::fs::read_to_string(run.join("report.html")).unwrap();
    let page = run.join("first-screen.html");
    std::fs::write(&page, measuring_copy(&html)).unwrap();
    let (width, height) = WINDOW;
    let dom = headless(
        &chromium,
        &wd,
        "profile-first-screen",
        &[
            "--dump-dom".into(),
            format!("--window-size={width},{height}"),
            "--hide-scrollbars".into(),
        ],
        &page,
    );
    assert!(
        dom.status.success(),
        "chromium failed: {:?}\n{}",
        dom.status,
        String::from_utf8_lossy(&dom.stderr)
    );
    let text = String::from_utf8_lossy(&dom.stdout);
    let layout = attribute_values(&text, "data-layout")
        .first()
        .unwrap_or_else(|| panic!("the measuring script did not run:\n{text}"))
        .to_string();
    eprintln!("first screen at {width}×{height}: {layout}");
    let mut items = layout.split(';');
    // Boxes are measured from the top of the page, which no height-dependent
    // rule moves, so only the width must be the window's: Chromium's
    // headless window keeps some of its height for itself when dumping.
    let viewport = items.next().unwrap_or_default();
    assert!(
        viewport.starts_with(&format!("viewport {width} ")),
        "the window is not {width} px wide: {layout}"
    );
    for (selector, item) in FIRST_SCREEN.iter().zip(items) {
        let f: Vec<&str> = item.split(' ').collect();
        assert_eq!(f.len(), 7, "{selector}: {item}");
        assert_eq!(f[0], *selector, "{layout}");
        let n = |i: usize| f[i].parse::<i64>().unwrap();
        let (top, bottom, box_height, line) = (n(1), n(2), n(3), n(4));
        assert_eq!(
            f[5], "first-screen",
            "{selector} is not on the first screen: {layout}"
        );
        assert!(
            top >= 0 && bottom <= i64::from(height),
            "{selector} is not within the first {height} px (top {top}, bottom {bottom}): {layout}"
        );
        if selector.starts_with('#') {
            assert!(
                line > 0 && box_height < 2 * line,
                "{selector} is more than one line high ({box_height} px, lines of {line} px): {layout}"
            );
        }
    }
}
