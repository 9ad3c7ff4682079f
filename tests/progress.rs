//! Progress and logging: bars on a terminal, plain lines in a log, nothing
//! on stdout or stderr with `-q` (but what `validate --json` prints), and
//! each step of the long stages with `-v`.
//!
//! The terminal checks run the binary under `script` (util-linux); without
//! it they fail under CI (`CI` set) and are skipped elsewhere with a notice.

use serde_json::Value;

use crate::util::{sample, sample_dir, Discover, Workdir};

/// `discover` on the sample data (k = 2..=4 to keep it quick) with `flags`.
fn sample_run<'w>(wd: &'w Workdir, flags: &[&str]) -> Discover<'w> {
    wd.discover(&sample_dir(), "run")
        .loud()
        .args(&["--k-max", "4"])
        .args(flags)
}

fn stderr_of(wd: &Workdir, flags: &[&str]) -> String {
    String::from_utf8_lossy(&sample_run(wd, flags).ok().stderr).into_owned()
}

#[test]
fn logs_plain_lines_without_progress_bars_when_stderr_is_not_a_terminal() {
    let wd = Workdir::new("progress-plain");
    let stderr = stderr_of(&wd, &[]);
    for line in [
        "reading accounts from",
        "clustering 3000 accounts",
        "measuring outcomes",
    ] {
        assert!(stderr.contains(line), "no {line:?} line:\n{stderr}");
    }
    assert!(
        !stderr.contains('\r') && !stderr.contains('\x1b'),
        "terminal control characters in a log:\n{stderr:?}"
    );
    assert!(!stderr.contains("k = 3:"), "steps are for -v:\n{stderr}");
}

#[test]
fn quiet_prints_nothing_and_the_findings_are_in_the_run() {
    let wd = Workdir::new("progress-quiet");
    let out = sample_run(&wd, &["-q"]).ok();
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "");
    assert!(wd.path("run/report.json").exists());
}

#[test]
fn verbose_logs_each_step_of_the_long_stages() {
    let wd = Workdir::new("progress-verbose");
    let plain = stderr_of(&wd, &[]);
    let verbose = stderr_of(&wd, &["-v", "--force"]);
    for step in [
        "  reading deals from",
        "k = 2: k-means and silhouette",
        "k = 4: k-means and silhouette",
        "drivers of winning and of speed",
    ] {
        assert!(
            verbose.contains(step),
            "no step {step:?} with -v:\n{verbose}"
        );
    }
    assert!(
        verbose.lines().count() > plain.lines().count() + 5,
        "{verbose}"
    );
}

/// Run the binary with `args` on a pseudo-terminal (`script`, from
/// util-linux) and return what the terminal showed; `None` without `script`
/// outside CI.
fn on_terminal(wd: &Workdir, args: &[String]) -> Option<String> {
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        assert!(
            std::env::var_os("CI").is_none(),
            "`script` (util-linux) is not installed, and CI is set"
        );
        eprintln!("NOTICE: skipping the terminal progress check: `script` not found");
        return None;
    }
    let mut cmd = vec![shell_quote(env!("CARGO_BIN_EXE_abm-segments"))];
    cmd.extend(args.iter().map(|a| shell_quote(a)));
    let out = std::process::Command::new("script")
        .current_dir(&wd.root)
        .args(["-q", "-e", "-c", &cmd.join(" "), "/dev/null"])
        .env("TERM", "xterm")
        .env_remove("ABM_SEGMENTS_FAULT_AFTER_FILES")
        .output()
        .unwrap();
    let screen = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{:?}\n{screen}", out.status);
    Some(screen)
}

#[test]
fn draws_progress_bars_when_stderr_is_a_terminal() {
    let wd = Workdir::new("progress-tty");
    let args: Vec<String> = (sample_run(&wd, &[]).argv().iter())
        .map(|a| a.to_string())
        .collect();
    let Some(screen) = on_terminal(&wd, &args) else {
        return;
    };
    // A bar is drawn, then cleared with escape sequences, and the plain
    // lines stay.
    assert!(
        screen.contains("k = 2: k-means"),
        "no bar with the step:\n{screen:?}"
    );
    assert!(
        screen.contains("\x1b["),
        "no terminal control sequences:\n{screen:?}"
    );
    assert!(screen.contains("clustering 3000 accounts"), "{screen}");
    assert!(wd.path("run/report.html").is_file());
}

#[test]
fn validate_and_score_show_a_bar_while_reading_on_a_terminal_only() {
    let wd = Workdir::new("progress-validate");
    let (accounts, deals) = (sample("accounts.parquet"), sample("deals.parquet"));
    sample_run(&wd, &["-q"]).ok();
    let validate: Vec<String> = ["validate", "--accounts", &accounts, "--deals", &deals]
        .map(String::from)
        .to_vec();
    let score: Vec<String> = [
        "score",
        "--model",
        "run",
        "--accounts",
        &accounts,
        "--out",
        "s.parquet",
        "--force",
    ]
    .map(String::from)
    .to_vec();
    for args in [validate, score] {
        let plain = wd.ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
        let plain = String::from_utf8_lossy(&plain.stderr).into_owned();
        assert!(plain.contains("reading accounts from"), "{plain}");
        assert!(
            !plain.contains('\x1b'),
            "control characters in a log:\n{plain:?}"
        );
        let Some(screen) = on_terminal(&wd, &args) else {
            return;
        };
        assert!(
            screen.contains("\x1b[") && screen.contains("reading accounts from"),
            "no bar for {}:\n{screen:?}",
            args[0]
        );
    }
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Issue 22: `-q` prints nothing on stdout for `discover`, `validate` and
/// `score` (a scheduler reads the run directory and the exit status), while
/// `validate --json -q` still prints the JSON, which is its output.
#[test]
fn quiet_leaves_stdout_empty_but_validate_json_still_prints() {
    let wd = Workdir::new("quiet");
    wd.generate("in", 3, 400, "parquet");
    let input = [
        "--accounts",
        "in/accounts.parquet",
        "--deals",
        "in/deals.parquet",
    ];
    let run = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(input);
        wd.ok(&all)
    };
    let loud = wd.discover("in", "loud").loud().ok();
    assert!(
        !loud.stdout.is_empty(),
        "without -q discover prints its findings"
    );
    let out = wd.discover("in", "run").ok();
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(wd.path("run/report.json").exists());
    current_tier_comparisons_sit_under_their_own_heading(&wd);

    let loud = run(&["validate"]);
    assert!(!loud.stdout.is_empty());
    let out = run(&["validate", "-q"]);
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = run(&["validate", "--json", "-q"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["verdict"].is_string(), "{v}");

    let score = |quiet: bool| {
        let mut args = vec![
            "score",
            "--model",
            "run",
            "--accounts",
            "in/accounts.parquet",
            "--out",
            "scored.parquet",
            "--force",
        ];
        if quiet {
            args.push("-q");
        }
        wd.ok(&args)
    };
    assert!(!score(false).stdout.is_empty());
    let out = score(true);
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(wd.path("scored.parquet").exists());
}

/// Issue 17: in `report.md`, the current tiers' comparisons sit under
/// "### Current tiers" with a sentence saying what they compare, not under
/// "### Recommended tiers".
fn current_tier_comparisons_sit_under_their_own_heading(wd: &Workdir) {
    let md = std::fs::read_to_string(wd.path("run/report.md")).unwrap();
    let r = wd.read_json("run/report.json");
    let current = md
        .find("### Current tiers")
        .expect("a current tiers heading");
    let recommended = md
        .find("### Recommended tiers")
        .expect("a recommended tiers heading");
    assert!(current < recommended);
    let under_current = &md[current..recommended];
    let rest = &md[recommended..];
    let end = rest[4..].find("\n## ").map_or(rest.len(), |e| e + 4);
    let under_recommended = &rest[..end];
    assert!(
        under_current.contains("The current tiers (the accounts' own tier column) compared"),
        "{under_current}"
    );
    let comparisons = r["current_tiers"]["comparisons"].as_array().unwrap();
    assert!(!comparisons.is_empty());
    for c in comparisons {
        let text = c["verdict_text"].as_str().unwrap();
        assert!(
            under_current.contains(text),
            "{text} not under Current tiers"
        );
        assert!(
            !under_recommended.contains(text),
            "{text} under Recommended tiers"
        );
    }
}
