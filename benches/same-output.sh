#!/usr/bin/env bash
# Byte-for-byte comparison of two golive binaries' reports: every format, --threads 1 and 2,
# one report per fixture repository, all fixture repositories as several PATHs, and each
# generated tree given as one report and as a fleet (--discover).
#
#   benches/same-output.sh OLD_GOLIVE NEW_GOLIVE [TREE...]
#
# Prints one line per differing output and exits 1 if any differs.
set -uo pipefail
cd "$(dirname "$0")/.."

old=$1
new=$2
shift 2
trees=("$@")
formats=(json human sarif junit github markdown gitlab checkstyle html)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export GOLIVE_TODAY=2026-01-01 CI=1
unset GITHUB_STEP_SUMMARY
differ=0

# run NAME ARGS...: runs both binaries with every format written to its own file.
run() {
  local name=$1
  shift
  for threads in 1 2; do
    for side in old new; do
      local out="$work/$side/$name-$threads"
      mkdir -p "$out"
      local flags=()
      for format in "${formats[@]}"; do
        flags+=(--format "$format=$out/$format")
      done
      local binary=$old
      [ "$side" = new ] && binary=$new
      "$binary" check "$@" --threads "$threads" "${flags[@]}" >"$out/stdout" 2>/dev/null
      echo "$?" >"$out/exit"
    done
    for file in "$work/old/$name-$threads"/*; do
      if ! cmp -s "$file" "$work/new/$name-$threads/$(basename "$file")"; then
        echo "DIFFERS: $name --threads $threads $(basename "$file")"
        differ=1
      fi
    done
  done
}

for repo in fixtures/repos/*/; do
  run "repo-$(basename "$repo")" "$repo"
done
run all-repos fixtures/repos/*/
for tree in "${trees[@]}"; do
  run "tree-$(basename "$tree")" "$tree"
  run "fleet-$(basename "$tree")" "$tree" --discover
done
[ "$differ" = 0 ] && echo "all outputs identical"
exit "$differ"
