//! [`read_table`] end to end, on files written to a scratch directory:
//! single files, CSV and Parquet directories with hive partitions, parts
//! that disagree, and directories that cannot be one table.

use std::fs::File;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use polars::prelude::*;

use super::format::Format;
use super::table::read_table;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("abm-read-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn names(df: &DataFrame) -> Vec<String> {
    df.get_column_names()
        .iter()
        .map(|n| n.to_string())
        .collect()
}

#[test]
fn only_the_named_columns_are_read_and_every_name_is_kept() {
    let dir = scratch("only");
    let csv = dir.join("deals.csv");
    std::fs::write(
        &csv,
        "deal_id,notes,amount,owner\nd1,call back,10,ann\nd2,,20,bo\n",
    )
    .unwrap();
    let mut df =
        df!("deal_id" => ["d1", "d2"], "notes" => ["x", "y"], "amount" => [1.0, 2.0]).unwrap();
    let pq = dir.join("deals.parquet");
    ParquetWriter::new(File::create(&pq).unwrap())
        .finish(&mut df)
        .unwrap();

    let t = read_table(&csv, b',', Some(&["amount", "deal_id", "stage"])).unwrap();
    // File order, not the order asked for; a name the file lacks is skipped.
    assert_eq!(names(&t.df), ["deal_id", "amount"]);
    assert_eq!(t.columns, ["deal_id", "notes", "amount", "owner"]);
    assert_eq!(t.df.height(), 2);
    assert_eq!(t.file.rows, 2);

    let t = read_table(&pq, b',', Some(&["amount"])).unwrap();
    assert_eq!(names(&t.df), ["amount"]);
    assert_eq!(t.columns, ["deal_id", "notes", "amount"]);
    assert_eq!(t.df.height(), 2);

    // Nothing asked for is there: every column is read, and the
    // contract reports the missing one with the file's names.
    let t = read_table(&csv, b',', Some(&["stage"])).unwrap();
    assert_eq!(names(&t.df), t.columns);
    let t = read_table(&pq, b',', None).unwrap();
    assert_eq!(names(&t.df), ["deal_id", "notes", "amount"]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn csv_columns_of_iso_dates_are_dates_and_anything_else_stays_text() {
    let dir = scratch("dates");
    let csv = dir.join("t.csv");
    std::fs::write(
        &csv,
        "day,stamp,mixed,code,blank\n\
         2026-03-31,2026-03-31T23:59:59.5Z,2026-03-31,2026-Q1,\n\
         ,2026-04-01 00:00:00,03/15/2025,2026-Q2,\n\
         1969-12-31,2026-04-02T08:00:00+02:00,2026-04-02,2026-Q3,\n",
    )
    .unwrap();
    let t = read_table(&csv, b',', None).unwrap();
    let dtype = |c: &str| t.df.column(c).unwrap().dtype().clone();
    assert_eq!(dtype("day"), DataType::Date);
    assert_eq!(dtype("stamp"), DataType::Date);
    assert_eq!(dtype("mixed"), DataType::String);
    assert_eq!(dtype("code"), DataType::String);
    let days = |c: &str| -> Vec<Option<i32>> {
        let s = t.df.column(c).unwrap().cast(&DataType::Int32).unwrap();
        s.i32().unwrap().iter().collect()
    };
    // 2026-03-31 is day 20,543 since 1970-01-01; the time of day and the
    // offset do not move the date as written.
    assert_eq!(days("day"), [Some(20_543), None, Some(-1)]);
    assert_eq!(days("stamp"), [Some(20_543), Some(20_544), Some(20_545)]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_empty_parquet_partition_reads_as_no_rows() {
    // pyarrow's empty part: a 0-row row group with a dictionary page and
    // no data page, which the footer check once took for damage.
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/parquet/empty_partition.parquet");
    let dir = scratch("empty-parquet");
    let root = dir.join("deals");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::copy(&fixture, root.join("part-1.parquet")).unwrap();
    let mut part = df!(
        "deal_id" => ["d1"],
        "account_id" => ["a1"],
        "created_at" => [NaiveDate::from_ymd_opt(2026, 1, 5).unwrap()],
        "closed_at" => [NaiveDate::from_ymd_opt(2026, 2, 5).unwrap()],
        "outcome" => ["won"],
        "amount" => [10.0],
    )
    .unwrap();
    let f = File::create(root.join("part-0.parquet")).unwrap();
    ParquetWriter::new(f).finish(&mut part).unwrap();

    assert_eq!(read_table(&fixture, b',', None).unwrap().df.height(), 0);
    let t = read_table(&root, b',', None).unwrap();
    assert_eq!(t.file.rows, 1);
    assert_eq!(t.df.height(), 1);
    assert_eq!(t.df.column("created_at").unwrap().dtype(), &DataType::Date);
    let _ = std::fs::remove_dir_all(&dir);
}

fn write_parquet(path: &Path, mut df: DataFrame) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let f = File::create(path).unwrap();
    ParquetWriter::new(f).finish(&mut df).unwrap();
}

#[test]
fn parquet_parts_that_disagree_on_number_types_are_widened() {
    let dir = scratch("parquet-types");
    let root = dir.join("deals");
    write_parquet(
        &root.join("outcome=won/part-0.parquet"),
        df!("deal_id" => ["d1"], "amount" => [2.5f64], "seats" => [3i32]).unwrap(),
    );
    write_parquet(
        &root.join("outcome=lost/part-0.parquet"),
        df!("deal_id" => ["d2"], "amount" => [7i64], "seats" => [Option::<i32>::None])
            .unwrap()
            .lazy()
            .with_column(lit(NULL).alias("seats"))
            .collect()
            .unwrap(),
    );
    let t = read_table(&root, b',', None).unwrap();
    assert_eq!(t.file.format, Format::ParquetDirectory);
    assert_eq!(t.columns, ["deal_id", "amount", "seats", "outcome"]);
    let dtype = |c: &str| t.df.column(c).unwrap().dtype().clone();
    assert_eq!(dtype("amount"), DataType::Float64);
    assert_eq!(dtype("seats"), DataType::Int32);
    // Parts in path order: lost before won.
    let amount: Vec<_> =
        t.df.column("amount")
            .unwrap()
            .f64()
            .unwrap()
            .iter()
            .collect();
    assert_eq!(amount, [Some(7.0), Some(2.5)]);
    let outcome = t.df.column("outcome").unwrap().str().unwrap().clone();
    assert_eq!(
        outcome.iter().collect::<Vec<_>>(),
        [Some("lost"), Some("won")]
    );

    // Text against numbers, or a missing column, is not guessed at.
    let text = dir.join("text");
    write_parquet(
        &text.join("a.parquet"),
        df!("deal_id" => ["d1"], "amount" => [1.0]).unwrap(),
    );
    write_parquet(
        &text.join("b.parquet"),
        df!("deal_id" => ["d2"], "amount" => ["n/a"]).unwrap(),
    );
    let m = rejected(&text);
    assert!(
        m.contains("disagree on the column's type: str here, f64 in"),
        "{m}"
    );
    assert!(m.contains("b.parquet") && m.contains("amount"), "{m}");
    let missing = dir.join("missing");
    write_parquet(
        &missing.join("a.parquet"),
        df!("deal_id" => ["d1"], "amount" => [1.0]).unwrap(),
    );
    write_parquet(
        &missing.join("b.parquet"),
        df!("deal_id" => ["d2"]).unwrap(),
    );
    let m = rejected(&missing);
    assert!(m.contains("this part has no column 'amount'"), "{m}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Write `text` to `path`, creating its directories.
fn put(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// The message a directory that cannot be read is rejected with.
fn rejected(path: &Path) -> String {
    read_table(path, b',', None).err().unwrap().to_string()
}

#[test]
fn a_csv_directory_is_one_table_with_typed_partition_values() {
    let dir = scratch("csvdir");
    let root = dir.join("deals");
    for (part, rows) in [
        ("region=emea/year=2025", "deal_id,amount\nd1,10\nd2,\n"),
        ("region=us/year=2026", "deal_id,amount\nd3,2.5\n"),
        (
            "region=__HIVE_DEFAULT_PARTITION__/year=2026",
            "deal_id,amount\nd4,1\n",
        ),
    ] {
        put(&root.join(part).join("part-0.csv"), rows);
    }
    put(&root.join("_SUCCESS"), "");
    put(&root.join("notes.txt"), "not a table");
    // An empty partition, as Spark writes it: no rows, not even a
    // header; or a header alone, which must not make every column text.
    put(&root.join("region=us/year=2026/part-1.csv"), "");
    put(
        &root.join("region=us/year=2026/part-2.csv"),
        "deal_id,amount\n",
    );

    let t = read_table(&root, b',', None).unwrap();
    assert_eq!(t.file.format, Format::CsvDirectory);
    assert_eq!(t.columns, ["deal_id", "amount", "region", "year"]);
    // Files in path order, rows in file order.
    let text = |name: &str| -> Vec<Option<String>> {
        let c = t.df.column(name).unwrap().str().unwrap().clone();
        c.iter().map(|v| v.map(str::to_string)).collect()
    };
    let some = |v: &str| Some(v.to_string());
    assert_eq!(
        text("deal_id"),
        [some("d4"), some("d1"), some("d2"), some("d3")]
    );
    assert_eq!(
        text("region"),
        [None, some("emea"), some("emea"), some("us")]
    );
    let year = t.df.column("year").unwrap();
    assert_eq!(year.dtype(), &DataType::Int64);
    assert_eq!(year.i64().unwrap().get(1), Some(2025));
    // "10" alone would be an integer; "2.5" in another file makes it float.
    assert_eq!(t.df.column("amount").unwrap().dtype(), &DataType::Float64);

    // Only the named columns, partition columns among them.
    let t = read_table(&root, b',', Some(&["year", "deal_id"])).unwrap();
    assert_eq!(names(&t.df), ["deal_id", "year"]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn partition_columns_are_typed_as_polars_types_a_parquet_directory() {
    // polars' own hive reading of a Parquet directory is the reference;
    // the same directories holding CSV parts are typed by our code.
    let dir = scratch("partition-types");
    let parts = [
        "flag=true/dt=2026-07-01/n=3/x=2.5/s=emea",
        "flag=False/dt=2026-07-02/n=-4/x=3/s=1a",
    ];
    for (i, part) in parts.iter().enumerate() {
        let id = format!("d{i}");
        write_parquet(
            &dir.join("pq").join(part).join("p.parquet"),
            df!("deal_id" => [id.as_str()]).unwrap(),
        );
        put(
            &dir.join("csv").join(part).join("p.csv"),
            &format!("deal_id\n{id}\n"),
        );
    }
    let pq = read_table(&dir.join("pq"), b',', None).unwrap();
    let csv = read_table(&dir.join("csv"), b',', None).unwrap();
    assert_eq!(pq.file.format, Format::ParquetDirectory);
    assert_eq!(csv.file.format, Format::CsvDirectory);
    for key in ["flag", "dt", "n", "x", "s"] {
        let (a, b) = (pq.df.column(key).unwrap(), csv.df.column(key).unwrap());
        assert_eq!(a.dtype(), b.dtype(), "{key}");
        assert!(
            a.as_materialized_series()
                .equals(b.as_materialized_series()),
            "{key}"
        );
    }
    assert_eq!(csv.df.column("dt").unwrap().dtype(), &DataType::Date);
    assert_eq!(csv.df.column("flag").unwrap().dtype(), &DataType::Boolean);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_partition_key_the_files_also_hold_keeps_the_files_values() {
    let dir = scratch("csvdir-dup");
    let part = dir.join("t/outcome=won");
    put(&part.join("a.csv"), "deal_id,outcome\nd1,lost\n");
    let t = read_table(&dir.join("t"), b',', None).unwrap();
    assert_eq!(t.columns, ["deal_id", "outcome"]);
    let outcome = t.df.column("outcome").unwrap().str().unwrap().get(0);
    assert_eq!(outcome, Some("lost"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_directory_that_cannot_be_one_table_is_rejected_with_the_file() {
    let dir = scratch("csvdir-bad");
    let headers = dir.join("headers");
    put(&headers.join("a.csv"), "deal_id,amount\nd1,1\n");
    put(&headers.join("b.csv"), "deal_id,value\nd2,2\n");
    let m = rejected(&headers);
    assert!(
        m.contains("column 2 is 'value' here and 'amount' there"),
        "{m}"
    );
    assert!(m.contains("b.csv"), "{m}");

    let mixed = dir.join("mixed");
    put(&mixed.join("a.csv"), "deal_id\nd1\n");
    put(&mixed.join("b.parquet"), "PAR1");
    let m = rejected(&mixed);
    assert!(m.contains("both Parquet (1) and CSV (1) files"), "{m}");

    let keys = dir.join("keys");
    for part in ["outcome=won", "stage=lost"] {
        put(&keys.join(part).join("p.csv"), "deal_id\nd1\n");
    }
    let m = rejected(&keys);
    assert!(
        m.contains("partitioned by different keys: [stage] here, [outcome]"),
        "{m}"
    );

    let empty = dir.join("empty");
    put(&empty.join("README.md"), "nothing");
    let m = rejected(&empty);
    assert!(m.contains("no .parquet or .csv files"), "{m}");
    put(&empty.join("part-0.csv"), "");
    put(&empty.join("part-1.csv"), "");
    let m = rejected(&empty);
    assert!(
        m.contains("all 2 CSV files in the directory are empty"),
        "{m}"
    );

    // Each part is checked like a single file, with its own line numbers.
    let ragged = dir.join("ragged");
    put(&ragged.join("a.csv"), "deal_id,amount\nd1,1\n");
    put(&ragged.join("b.csv"), "deal_id,amount\nd2,2\nd3,3,x\n");
    let m = rejected(&ragged);
    assert!(
        m.contains("line 3 has 3 fields") && m.contains("b.csv"),
        "{m}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
