"""Compare two `discover` run directories where a deliberate change moves
floating-point figures in their last bits: `accounts_scored.parquet` column
by column (the largest absolute difference of each float column; any row
whose text, tier, flag or segment differs is named) and `model.json`
number by number.

    python3 tests/bench/compare_scored.py NEW_RUN_DIR BASE_RUN_DIR

Ran with Python 3, pyarrow 26.0.1, pandas 3.1.1, numpy 2.4.6. Prints the
figures; exits 1 when a non-float column or a non-numeric model field differs.
"""

import sys, json, pandas as pd, numpy as np
n, b = sys.argv[1], sys.argv[2]
A = pd.read_parquet(f"{n}/accounts_scored.parquet"); B = pd.read_parquet(f"{b}/accounts_scored.parquet")
assert list(A.columns) == list(B.columns) and len(A) == len(B)
worst = {}
any_text = False
for c in A.columns:
    x, y = A[c], B[c]
    if pd.api.types.is_float_dtype(x):
        d = np.nanmax(np.abs(x.to_numpy() - y.to_numpy())) if len(x) else 0.0
        assert (x.isna() == y.isna()).all(), c
        worst[c] = float(d)
    else:
        ne = int((x.astype(str) != y.astype(str)).sum())
        if ne:
            any_text = True
            print("DIFFERENT", c, ne, "rows")
print("max abs diff per float column:", {k: v for k, v in worst.items() if v > 0})
fs = [c for c in A.columns if "fit_score" in c]
print("fit score columns", fs, "max", max(worst.get(c, 0) for c in fs) if fs else None)
def walk(a, c, p, out):
    if isinstance(a, dict):
        for k in set(a) | set(c): walk(a.get(k), c.get(k), p + "." + k, out)
    elif isinstance(a, list) and isinstance(c, list) and len(a) == len(c):
        for i, (u, v) in enumerate(zip(a, c)): walk(u, v, f"{p}[{i}]", out)
    elif a != c:
        out.append((p, a, c))
out = []
walk(json.load(open(f"{n}/model.json")), json.load(open(f"{b}/model.json")), "", out)
num = [abs(a - c) for p, a, c in out if isinstance(a, float) and isinstance(c, float)]
other = [(p, a, c) for p, a, c in out if not (isinstance(a, float) and isinstance(c, float))]
print("model.json:", len(out), "diffs, max abs", max(num) if num else 0, "non-numeric:", other[:5])
if other or any_text:
    sys.exit(1)
