#!/usr/bin/env bash
# The pre-commit case: whole-process time of golive on a typical service, run RUNS (default 60)
# times. Two repositories: the bundled `fixtures/repos/ready-service` (28 files), and the same
# service grown to the issue's "typical" shape (one Dockerfile, 13 manifests, a README, ~50
# source files: 48 generated Go files of ~3 KB are added), written to a temporary folder.
#
#   benches/typical.sh
#
# Uses hyperfine when installed (`apt-get install hyperfine`), else python3. A failed gate (exit 1)
# is a result, not an error.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${RUNS:-60}
cargo build --release --quiet
golive=$PWD/target/release/golive
grown=${TMPDIR:-/tmp}/golive-typical-service
rm -rf "$grown"
cp -r fixtures/repos/ready-service "$grown"
python3 - "$grown" <<'PY'
import os, sys
root = os.path.join(sys.argv[1], "internal", "gen")
os.makedirs(root, exist_ok=True)
for i in range(48):
    lines = ["package gen", "", "import (", '\t"context"', '\t"log/slog"', '\t"net/http"', ")", ""]
    for j in range(12):
        lines += [
            f"// handle{i}_{j} serves request kind {j} of module {i}.",
            f"func handle{i}_{j}(ctx context.Context, w http.ResponseWriter, r *http.Request) error {{",
            f'\tslog.InfoContext(ctx, "handling", "kind", {j}, "path", r.URL.Path)',
            "\tif r.Method != http.MethodGet { return errBadMethod }",
            "\treturn nil",
            "}",
            "",
        ]
    with open(os.path.join(root, f"file{i}.go"), "w") as out:
        out.write("\n".join(lines))
PY

for repo in fixtures/repos/ready-service "$grown"; do
  echo "== $repo ($(find "$repo" -type f | wc -l) files)"
  if command -v hyperfine >/dev/null; then
    hyperfine -N --ignore-failure --style none --warmup 10 --runs "$runs" --export-json "$grown.json" \
      "$golive check $repo" >/dev/null
    python3 -c 'import json, statistics, sys
t = json.load(open(sys.argv[1]))["results"][0]["times"]
print(f"  median {statistics.median(t) * 1e3:.1f} ms, mean {statistics.mean(t) * 1e3:.1f} ms, min {min(t) * 1e3:.1f} ms ({len(t)} runs)")' "$grown.json"
  else
    python3 benches/median.py "$runs" "$golive" check "$repo" |
      awk -v runs="$runs" '{printf "  median %.1f ms, min %.1f ms (%d runs; python adds ~1 ms)\n", $1 * 1000, $2 * 1000, runs}'
  fi
done
