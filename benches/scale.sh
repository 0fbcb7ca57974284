#!/usr/bin/env bash
# Cost as the tree grows: `benches/compare.sh` at 200, 2,000 and 20,000 services, each printing
# the median time of golive against `cat` reading the same files and golive's peak RSS, for one
# report over the whole tree and for the tree as a fleet (`--discover`).
#
#   benches/scale.sh [SERVICES...]
#
# The 20,000-service tree is about 1 GB, generated once under $TMPDIR
# (golive-compare-20000); delete it when done. RUNS (default 5) as for compare.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

[ "$#" -gt 0 ] || set -- 200 2000 20000
for services in "$@"; do
  benches/compare.sh "$services"
done
