#!/usr/bin/env python3
"""The model as SQL, run in the real engines and compared with `score`.

For each case: generate accounts and deals, change a copy of the accounts so
the model has nulls, a folded `other` level, a log-transformed number and a
list feature (asserted in model.json, so a case cannot silently lose them),
run `discover`, then `score` on the training accounts and on "new" accounts
(unseen levels and list values, nulls where training had none), and the
output of `sql --dialect duckdb` in DuckDB and of `sql --dialect spark` in
Spark local mode over the same Parquet files. Every row must agree with
`score`: fit_score and readiness_score within 1e-9 (absolute, 0-100 scale),
and in_icp, recommended_tier, segment and readiness_band identical.

Cases: `list`, a native list<string> column; `text-list`, the same values
joined with ';' in a string column, which the model splits. At least one
case's model must carve the core ICP out as a segment of its own
(`segments.core_icp_carved`), so the `CASE WHEN in_icp` branch is compared
too; there, every scored account in the ICP is in the carved segment.

Also runs the upstream-aggregation SQL of docs/scale.md in DuckDB on a small
generated events table and checks each aggregate against Python.

Usage: check_engines.py [--bin target/debug/abm-segments] [--accounts 5000]
                        [--engines duckdb,spark]
Exits 1 on any mismatch. Tested with Python 3.11, duckdb 2.0.1, pyspark 4.3.0,
pyarrow 26.0.1, OpenJDK 17.
"""

import argparse
import json
import math
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[2]
TOLERANCE = 1e-9


def run(cmd):
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"failed ({r.returncode}): {' '.join(map(str, cmd))}\n{r.stderr}")
    return r.stdout


def set_column(table, name, values, typ=None):
    i = table.schema.get_field_index(name)
    return table.set_column(i, name, pa.array(values, type=typ or table.schema.field(name).type))


def training_accounts(table, rng):
    """Nulls in every kind of feature, rare industries to fold into `other`,
    and stray spaces the reader trims."""
    n = table.num_rows
    rows = list(range(n))
    cols = {c: table.column(c).to_pylist() for c in table.column_names}
    for i in rng.sample(rows, n // 25):
        cols["employees"][i] = None
    for i in rng.sample(rows, n // 30):
        cols["industry"][i] = None
    for i in rng.sample(rows, n // 40):
        cols["exec_relationship"][i] = None
    for i in rng.sample(rows, n // 50):
        cols["technologies"][i] = None
    # Rare levels, under 1% of accounts each: folded into `other`.
    for rare in ("Mining", "Fishing", "Aerospace"):
        for i in rng.sample(rows, max(3, n // 400)):
            cols["industry"][i] = rare
    for i in rng.sample(rows, n // 50):
        if cols["industry"][i] is not None:
            cols["industry"][i] = f"  {cols['industry'][i]} "
        if cols["technologies"][i]:
            cols["technologies"][i] = [f" {t}  " for t in cols["technologies"][i]]
    for name in ("employees", "industry", "exec_relationship", "technologies"):
        table = set_column(table, name, cols[name])
    return table


def new_accounts(table, rng):
    """Accounts the model never saw: unseen levels and list values, nulls in
    columns that had none in training."""
    n = table.num_rows
    rows = list(range(n))
    cols = {c: table.column(c).to_pylist() for c in table.column_names}
    for i in rng.sample(rows, n // 20):
        cols["industry"][i] = "Space Tourism"
    for i in rng.sample(rows, n // 20):
        cols["technologies"][i] = (cols["technologies"][i] or []) + ["Zapier"]
    for name in ("intent_score", "web_visits_90d", "noise_score", "region"):
        for i in rng.sample(rows, n // 25):
            cols[name][i] = None
    for i in rng.sample(rows, n // 25):
        cols["employees"][i] = 0
    for name in cols:
        table = set_column(table, name, cols[name])
    return table


def as_text_list(table):
    techs = table.column("technologies").to_pylist()
    joined = [None if t is None else ";".join(t) for t in techs]
    return set_column(table, "technologies", joined, pa.string())


def check_model(model, case):
    """The model holds what this check is meant to exercise."""
    specs = {f["name"]: f["transform"] for f in model["features"]}
    numeric = [t for t in specs.values() if t["kind"] == "numeric"]
    problems = []
    if not any(t["log"] for t in numeric):
        problems.append("no log-transformed numeric feature")
    if not any(t["missing_flag"] for t in specs.values() if "missing_flag" in t):
        problems.append("no missing flag (no nulls)")
    cats = [t for t in specs.values() if t["kind"] == "categorical"]
    if not any("other" in t["levels"] and t.get("folded") for t in cats):
        problems.append("no folded `other` level")
    lists = [t for t in specs.values() if t["kind"] == "list"]
    want_sep = None if case == "list" else ";"
    if not any(t["separator"] == want_sep for t in lists):
        problems.append(f"no list feature with separator {want_sep!r}")
    if model.get("readiness") is None:
        problems.append("no readiness model")
    crit = model["criteria"]
    ops = {c["op"] for c in crit["qualifying"] + crit["disqualifying"]}
    if not crit["qualifying"]:
        problems.append("no ICP criterion")
    if problems:
        sys.exit(f"{case}: the model lacks what the check needs: {', '.join(problems)}")
    return sorted(ops)


# The cases whose model carves the core ICP out as a segment.
CARVED = []

COLUMNS = ["account_id", "fit_score", "in_icp", "recommended_tier", "segment"]
READINESS = ["readiness_score", "readiness_band"]


def read_scored(path):
    names = pq.read_schema(path).names
    t = pq.read_table(path, columns=COLUMNS + [c for c in READINESS if c in names])
    return {str(r["account_id"]): r for r in t.to_pylist()}


def compare(expected, got, label):
    """Mismatches per column, and the largest difference in fit_score or
    readiness_score."""
    bad = []
    max_diff = 0.0
    if set(expected) != set(got):
        missing = sorted(set(expected) - set(got))[:3]
        extra = sorted(set(got) - set(expected))[:3]
        bad.append(f"{label}: accounts differ (missing {missing}, extra {extra})")
    for k, e in expected.items():
        g = got.get(k)
        if g is None:
            continue
        for col in ("fit_score", "readiness_score"):
            if col not in e and col not in g:
                continue
            diff = abs(e[col] - g[col]) if col in e and col in g else math.inf
            max_diff = max(max_diff, diff)
            if not diff <= TOLERANCE:
                bad.append(f"{label}: {k} {col} {g.get(col)!r} vs score's {e.get(col)!r}")
        for col in ("in_icp", "recommended_tier", "segment", "readiness_band"):
            if col not in e and col not in g:
                continue
            ev, gv = e.get(col, "absent"), g.get(col, "absent")
            if ev != gv or (col == "in_icp" and type(gv) is not bool):
                bad.append(f"{label}: {k} {col} {gv!r} vs score's {ev!r}")
    return bad, max_diff


def assert_catches_a_change(expected, got):
    """The comparison reports one tier and one score changed in the engine's
    output, so a pass means something."""
    k = next(iter(got))
    for col, change in (("recommended_tier", lambda t: 4 if t is None else None), ("fit_score", lambda s: s + 1e-8)):
        changed = dict(got)
        changed[k] = dict(got[k], **{col: change(got[k][col])})
        if not any(f" {col} " in b for b in compare(expected, changed, "self-check")[0]):
            sys.exit(f"the comparison missed a changed {col}")


def run_duckdb(sql, accounts):
    import duckdb

    con = duckdb.connect()
    con.execute(f"CREATE VIEW accounts AS SELECT * FROM read_parquet('{accounts}')")
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    return {str(r[0]): dict(zip(names, r)) for r in cur.fetchall()}


class Spark:
    """Spark in local mode, on two cores, logging only errors."""

    def __init__(self, work):
        from pyspark.sql import SparkSession

        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        log4j = work / "log4j2.properties"
        log4j.write_text(
            "rootLogger.level = error\nrootLogger.appenderRef.stderr.ref = console\n"
            "appender.console.type = Console\nappender.console.name = console\n"
            "appender.console.target = SYSTEM_ERR\nappender.console.layout.type = PatternLayout\n"
            "appender.console.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n\n"
        )
        self.spark = (
            SparkSession.builder.master("local[2]")
            .appName("abm-segments-sql-check")
            .config("spark.sql.shuffle.partitions", "2")
            .config("spark.default.parallelism", "2")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.driver.extraJavaOptions", f"-Dlog4j.configurationFile=file:{log4j}")
            .getOrCreate()
        )
        self.spark.sparkContext.setLogLevel("ERROR")

    def run(self, sql, accounts):
        self.spark.read.parquet(str(accounts)).createOrReplaceTempView("accounts")
        return {str(r[0]): r.asDict() for r in self.spark.sql(sql).collect()}

    def stop(self):
        self.spark.stop()


def check_case(case, args, work, engines, spark, summary):
    rng = random.Random(21)
    data = work / case
    run([args.bin, "-q", "generate", "--out", data, "--accounts", args.accounts, "--seed", 11])
    raw = pq.read_table(data / "accounts.parquet")
    train = training_accounts(raw, rng)
    fresh = new_accounts(train, rng)
    if case == "text-list":
        train, fresh = as_text_list(train), as_text_list(fresh)
    pq.write_table(train, data / "train.parquet")
    pq.write_table(fresh, data / "new.parquet")
    out = data / "run"
    run([args.bin, "-q", "discover", "--accounts", data / "train.parquet",
         "--deals", data / "deals.parquet", "--out", out, "--force"])
    model = json.loads((out / "model.json").read_text())
    ops = check_model(model, case)
    seg = model["segments"]
    carved = seg["ids"][len(seg["centroids"])] if seg.get("core_icp_carved") else None
    failures = []
    for name, accounts in (("training accounts", data / "train.parquet"), ("new accounts", data / "new.parquet")):
        scored = data / f"scored-{accounts.stem}.parquet"
        run([args.bin, "-q", "score", "--model", out, "--accounts", accounts, "--out", scored, "--force"])
        expected = read_scored(scored)
        if carved is not None:
            failures += [
                f"{case}/{name}: {k} in_icp {r['in_icp']} but segment {r['segment']} (carved {carved})"
                for k, r in expected.items()
                if (r["segment"] == carved) != r["in_icp"]
            ]
        for engine in engines:
            sql = run([args.bin, "sql", "--model", out, "--dialect", engine])
            (data / f"{engine}.sql").write_text(sql)
            t0 = time.monotonic()
            got = run_duckdb(sql, accounts) if engine == "duckdb" else spark.run(sql, accounts)
            secs = time.monotonic() - t0
            bad, max_diff = compare(expected, got, f"{case}/{name}/{engine}")
            assert_catches_a_change(expected, got)
            failures += bad
            tiers = [sum(1 for r in expected.values() if r["recommended_tier"] == t) for t in (1, 2, 3)]
            segments = len({r["segment"] for r in expected.values()})
            summary.append(
                f"{case:9} {name:17} {engine:6} {len(got):5} rows  max |score diff| {max_diff:.3g}  "
                f"tiers {tiers[0]}/{tiers[1]}/{tiers[2]}  segments {segments}  mismatches {len(bad)}  ({secs:.1f} s)"
            )
    summary.append(f"{case:9} criteria ops: {', '.join(ops)}")
    if carved is not None:
        CARVED.append(case)
        summary.append(f"{case:9} core ICP carved out as segment {carved}")
    return failures


def upstream_sql():
    text = (ROOT / "docs" / "scale.md").read_text()
    start = text.index("**Raw events are aggregated upstream**")
    m = re.search(r"```sql\n(.*?)```", text[start:], re.S)
    return m.group(1)


def check_upstream_sql():
    """docs/scale.md's upstream aggregation runs in DuckDB and counts what it says."""
    import duckdb

    rng = random.Random(5)
    con = duckdb.connect()
    for schema in ("crm", "web", "intent"):
        con.execute(f"CREATE SCHEMA {schema}")
    con.execute("CREATE TABLE crm.accounts (account_id VARCHAR, tier INTEGER, industry VARCHAR, employees INTEGER, technologies VARCHAR[])")
    con.execute("CREATE TABLE web.visits (account_id VARCHAR, session_id VARCHAR, visited_at DATE)")
    con.execute("CREATE TABLE intent.weekly_scores (account_id VARCHAR, week DATE, intent_score DOUBLE)")
    con.execute("CREATE TABLE crm.contacts (account_id VARCHAR, contact_id VARCHAR, title_level VARCHAR, engaged BOOLEAN)")
    ids = [f"A{i:03d}" for i in range(40)]
    expect = {}
    import datetime as dt

    as_of = dt.date(2026, 9, 30)
    week = as_of - dt.timedelta(days=as_of.weekday())  # Monday
    for a in ids:
        con.execute("INSERT INTO crm.accounts VALUES (?, ?, ?, ?, ?)", [a, rng.randint(1, 3), "SaaS", rng.randint(10, 5000), ["HubSpot"]])
        sessions = set()
        for s in range(rng.randint(0, 6)):
            sid = f"{a}-s{s}"
            for _ in range(rng.randint(1, 3)):  # several page views per session
                day = as_of - dt.timedelta(days=rng.randint(0, 180))
                con.execute("INSERT INTO web.visits VALUES (?, ?, ?)", [a, sid, day])
                if day >= as_of - dt.timedelta(days=90):
                    sessions.add(sid)
        scores = []
        for w in (week, week - dt.timedelta(days=7)):
            if rng.random() < 0.7:
                sc = rng.randint(0, 100)
                con.execute("INSERT INTO intent.weekly_scores VALUES (?, ?, ?)", [a, w, sc])
                if w == week:
                    scores.append(sc)
        contacts, exec_ = rng.randint(0, 4), False
        for c in range(contacts):
            level = rng.choice(["executive", "manager", "staff"])
            engaged = rng.random() < 0.5
            exec_ = exec_ or (level == "executive" and engaged)
            con.execute("INSERT INTO crm.contacts VALUES (?, ?, ?, ?)", [a, f"{a}-c{c}", level, engaged])
        expect[a] = (len(sessions), max(scores) if scores else None, contacts, exec_ if contacts else None)
    cur = con.execute(upstream_sql())
    names = [d[0] for d in cur.description]
    rows = {r[0]: dict(zip(names, r)) for r in cur.fetchall()}
    bad = []
    if set(rows) != set(ids):
        bad.append(f"docs/scale.md upstream SQL: {len(rows)} rows for {len(ids)} accounts")
    for a, (visits, intent, contacts, exec_) in expect.items():
        r = rows.get(a)
        if r is None:
            continue
        got = (r["web_visits_90d"], r["intent_score"], r["known_contacts"], r["exec_relationship"])
        if got != (visits, intent, contacts, exec_):
            bad.append(f"docs/scale.md upstream SQL: {a} gives {got}, expected {(visits, intent, contacts, exec_)}")
    return bad, len(rows)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bin", default=str(ROOT / "target/debug/abm-segments"))
    p.add_argument("--accounts", type=int, default=5000)
    p.add_argument("--engines", default="duckdb,spark")
    p.add_argument("--workdir", help="keep the files here (default: a temporary directory)")
    args = p.parse_args()
    engines = args.engines.split(",")
    started = time.monotonic()
    work = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="abm-sql-"))
    work.mkdir(parents=True, exist_ok=True)
    spark = Spark(work) if "spark" in engines else None
    summary, failures = [], []
    try:
        for case in ("list", "text-list"):
            failures += check_case(case, args, work, engines, spark, summary)
    finally:
        if spark:
            spark.stop()
    if not CARVED:
        sys.exit("no case's model carves the core ICP out as a segment: the check would not exercise it")
    bad, n = check_upstream_sql()
    failures += bad
    summary.append(f"docs/scale.md upstream aggregation: {n} accounts in DuckDB, mismatches {len(bad)}")
    print("\n".join(summary))
    for f in failures[:30]:
        print("MISMATCH", f)
    print(f"{'FAILED' if failures else 'ok'}: {len(failures)} mismatches, {time.monotonic() - started:.0f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
