//! A working directory per test, and helpers to run the real binary in it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

static NEXT: AtomicUsize = AtomicUsize::new(0);

pub struct Workdir {
    pub root: PathBuf,
}

impl Workdir {
    pub fn new(name: &str) -> Workdir {
        let id = NEXT.fetch_add(1, Ordering::SeqCst);
        let root = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("wd-{name}-{}-{id}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).unwrap();
        Workdir { root }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_abm-segments"));
        cmd.current_dir(&self.root)
            .args(args)
            .env_remove("ABM_SEGMENTS_FAULT_AFTER_FILES");
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    /// Run and require success, printing stderr on failure.
    pub fn ok(&self, args: &[&str]) -> Output {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?} failed with {:?}\nstdout:\n{}\nstderr:\n{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// A config file (returned as a path relative to the workdir) that leaves
    /// out the generator's post-outcome `csm_assigned`, for tests about
    /// something other than leaks.
    pub fn config_without_csm(&self) -> &'static str {
        self.write(
            "no-csm.toml",
            "[accounts.features]\ncsm_assigned = \"ignore\"\n",
        );
        "no-csm.toml"
    }

    pub fn write(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.path(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&p, text).unwrap();
        p
    }

    /// `discover -q` on the accounts and deals in `dir` (relative to the
    /// workdir, or absolute), as `generate` writes them: `accounts.parquet`
    /// and `deals.parquet` when there, else the CSV files. The run goes to
    /// `out`.
    pub fn discover(&self, dir: &str, out: &str) -> Discover<'_> {
        let ext = if self.path(dir).join("accounts.parquet").exists() {
            "parquet"
        } else {
            "csv"
        };
        self.discover_files(
            &format!("{dir}/accounts.{ext}"),
            &format!("{dir}/deals.{ext}"),
            out,
        )
    }

    /// `discover -q` on the tables `accounts` and `deals` into `out`.
    pub fn discover_files(&self, accounts: &str, deals: &str, out: &str) -> Discover<'_> {
        Discover {
            wd: self,
            out: out.to_string(),
            args: ["discover", "--accounts", accounts, "--deals", deals]
                .into_iter()
                .chain(["--out", out, "-q"])
                .map(String::from)
                .collect(),
        }
    }

    pub fn read_json(&self, rel: &str) -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(self.path(rel)).unwrap()).unwrap()
    }

    /// Generate data in `dir` with `seed` in the given format (`parquet` or `csv`).
    pub fn generate(&self, dir: &str, seed: u64, accounts: usize, format: &str) {
        self.ok(&[
            "generate",
            "--out",
            dir,
            "--seed",
            &seed.to_string(),
            "--accounts",
            &accounts.to_string(),
            "--format",
            format,
            "-q",
        ]);
    }
}

/// A `discover` command line being put together ([`Workdir::discover`]),
/// then run.
pub struct Discover<'w> {
    wd: &'w Workdir,
    out: String,
    args: Vec<String>,
}

impl Discover<'_> {
    /// More arguments.
    pub fn args(mut self, extra: &[&str]) -> Self {
        self.args.extend(extra.iter().map(|a| a.to_string()));
        self
    }

    /// Without `-q`, so that the findings are printed.
    pub fn loud(mut self) -> Self {
        self.args.retain(|a| a != "-q");
        self
    }

    pub fn argv(&self) -> Vec<&str> {
        self.args.iter().map(String::as_str).collect()
    }

    pub fn command(&self) -> Command {
        self.wd.command(&self.argv())
    }

    pub fn run(&self) -> Output {
        self.wd.run(&self.argv())
    }

    /// Run and require success.
    pub fn ok(&self) -> Output {
        self.wd.ok(&self.argv())
    }

    /// Run, require success, and return the run's `report.json`.
    pub fn report(&self) -> serde_json::Value {
        self.ok();
        self.wd.read_json(&format!("{}/report.json", self.out))
    }
}

/// Assert equality and print both sides in full when they differ.
#[macro_export]
macro_rules! eqnice {
    ($expected:expr, $got:expr) => {{
        let expected = &$expected;
        let got = &$got;
        if expected != got {
            panic!("\nexpected:\n{:#?}\n\ngot:\n{:#?}\n", expected, got);
        }
    }};
}

/// Generated accounts and deals, validated and with features inferred, in
/// process (for tests of one stage without the binary).
pub struct Inputs {
    pub accounts: abm_segments::io::contract::Accounts,
    pub deals: abm_segments::io::contract::Deals,
    pub features: Vec<abm_segments::features::FeatureColumn>,
}

/// The sample data's directory, `data/sample`, as an absolute path string.
pub fn sample_dir() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("data/sample")
        .to_string_lossy()
        .into_owned()
}

/// A file of the sample data in `data/sample`, as a path string.
pub fn sample(file: &str) -> String {
    format!("{}/{file}", sample_dir())
}

pub fn table(df: polars::prelude::DataFrame, name: &str) -> abm_segments::io::read::Table {
    use abm_segments::io::read::{Format, InputFile, Table};
    Table {
        file: InputFile {
            path: name.into(),
            format: Format::Parquet,
            rows: df.height() as u64,
            sha256: String::new(),
            bytes: 0,
        },
        columns: df
            .get_column_names()
            .iter()
            .map(|n| n.to_string())
            .collect(),
        df,
        path: PathBuf::from(name),
    }
}

/// Generate `accounts` accounts (3 deals each on average) with `seed` and
/// run them through the contract and feature inference.
pub fn generated(accounts: usize, seed: u64) -> Inputs {
    use abm_segments::generate::{generate, GenerateParams};
    let g = generate(&GenerateParams {
        accounts,
        deals_per_account: 3.0,
        seed,
        as_of: "2026-09-30".into(),
        ..Default::default()
    })
    .unwrap();
    inputs(g.accounts, g.deals)
}

/// Accounts and deals tables run through the contract (default column
/// names) and feature inference, in process.
pub fn inputs(accounts: polars::prelude::DataFrame, deals: polars::prelude::DataFrame) -> Inputs {
    use abm_segments::features::infer::{infer_accounts, InferOptions};
    use abm_segments::io::contract::{self, Drops};
    let config = abm_segments::config::RawConfig::default()
        .check(Default::default())
        .unwrap();
    let accounts = contract::accounts(table(accounts, "accounts"), &config.input).unwrap();
    let deals = contract::deals(
        table(deals, "deals"),
        &accounts,
        &config.input,
        &mut Drops::default(),
    )
    .unwrap();
    let kinds = std::collections::BTreeMap::new();
    let (features, _) = infer_accounts(
        &accounts,
        &InferOptions {
            kinds: &kinds,
            roles: &std::collections::BTreeMap::new(),
            list_separator: ";",
            file: &accounts.path,
        },
    )
    .unwrap();
    Inputs {
        accounts,
        deals,
        features,
    }
}

/// A boolean column without nulls.
pub fn bools(df: &polars::prelude::DataFrame, name: &str) -> Vec<bool> {
    (df.column(name).unwrap().bool().unwrap().iter())
        .map(|v| v.unwrap())
        .collect()
}

/// Read a whole Parquet file.
pub fn read_parquet(path: &std::path::Path) -> polars::prelude::DataFrame {
    use polars::prelude::SerReader;
    polars::prelude::ParquetReader::new(std::fs::File::open(path).unwrap())
        .finish()
        .unwrap()
}

/// Write `accounts` and `deals` as parquet into `wd` and run `discover` on
/// them into `out` (with `config`, written as `roles.toml`, when given);
/// the report.
pub fn discover_tables(
    wd: &Workdir,
    accounts: &mut polars::prelude::DataFrame,
    deals: &mut polars::prelude::DataFrame,
    out: &str,
    config: Option<&str>,
) -> serde_json::Value {
    use polars::prelude::ParquetWriter;
    for (df, file) in [(accounts, "accounts.parquet"), (deals, "deals.parquet")] {
        let f = std::fs::File::create(wd.path(file)).unwrap();
        ParquetWriter::new(f).finish(df).unwrap();
    }
    let mut run = wd
        .discover_files("accounts.parquet", "deals.parquet", out)
        .args(&["--force"]);
    if let Some(c) = config {
        wd.write("roles.toml", c);
        run = run.args(&["--config", "roles.toml"]);
    }
    run.report()
}

/// `recommend` in process with every account in one k-means segment, for
/// tests of the ICP, the fit score and the tiers (clustering is not under
/// test there).
pub fn recommend_in_one_segment(
    features: &[abm_segments::features::FeatureColumn],
    n: usize,
    deals: &abm_segments::io::contract::Deals,
    sizes: &abm_segments::recommend::TierSizes,
    rules: &abm_segments::recommend::rules::RuleOptions,
    gate: &abm_segments::features::Gate,
) -> abm_segments::recommend::Recommendation {
    use abm_segments::outcomes::FigureOptions;
    use abm_segments::recommend::{recommend, Context};
    let matrix = abm_segments::features::encode(features, n);
    let d = matrix.columns.len();
    let labels = vec![0usize; n];
    let centroids = ndarray::Array2::zeros((1, d));
    let weights = vec![1.0; d];
    let opts = FigureOptions {
        horizons: vec![30, 90, 180],
        confidence: 0.95,
    };
    let ctx = Context {
        labels: &labels,
        centroids: &centroids,
        column_weights: &weights,
        opts: &opts,
        sizes,
        rules,
        gate,
        account_id_column: "account_id",
        accounts_sha256: "",
    };
    recommend(features, &matrix, deals, &ctx).unwrap()
}

/// The figures agree with each other whatever the data.
pub fn check_consistent(r: &serde_json::Value) {
    let segs = r["segments"].as_array().unwrap();
    let accounts: u64 = segs
        .iter()
        .map(|s| s["outcomes"]["accounts"].as_u64().unwrap())
        .sum();
    assert_eq!(
        accounts,
        r["data_quality"]["accounts_read"].as_u64().unwrap()
    );
    let deals: u64 = segs
        .iter()
        .map(|s| s["outcomes"]["deals"].as_u64().unwrap())
        .sum();
    assert_eq!(deals, r["data_quality"]["deals_used"].as_u64().unwrap());
    for s in segs {
        let o = &s["outcomes"];
        let (w, l, op) = (
            o["won"].as_u64().unwrap(),
            o["lost"].as_u64().unwrap(),
            o["open"].as_u64().unwrap(),
        );
        assert_eq!(w + l + op, o["deals"].as_u64().unwrap());
        if let Some(rate) = o["win_rate"].as_f64() {
            assert!((0.0..=1.0).contains(&rate), "{rate}");
        }
    }
}
