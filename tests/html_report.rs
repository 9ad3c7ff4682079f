//! `report.html` in a real browser: headless Chromium loads the page for the
//! sample data, and its DOM, console and screenshot are checked.
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
const SECTIONS: [&str; 10] = [
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
    // Win rate per segment, time to win, current tiers, drivers, silhouette.
    assert!(charts.len() >= 5, "{what}: {} charts", charts.len());
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
