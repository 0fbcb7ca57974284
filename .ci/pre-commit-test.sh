#!/usr/bin/env bash
# Proves .pre-commit-hooks.yaml end to end: pre-commit installs golive from this repository's
# HEAD commit (its `rust` language runs `cargo install`), the hook fails on a not-ready service
# and passes once the service is ready. Network: PyPI (pre-commit) and crates.io only.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
rev="$(git -C "$root" rev-parse HEAD)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
die() {
    echo "pre-commit-test: FAILED: $*" >&2
    exit 1
}
started=$SECONDS

python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check pre-commit
export PRE_COMMIT_HOME="$work/pre-commit-home"
# What is under test is the hook's behaviour, not an optimised binary: build without
# optimisation, in a target dir kept between local runs (cargo install defaults to a temp dir).
export CARGO_TARGET_DIR="${GOLIVE_PRE_COMMIT_TARGET:-$root/target/pre-commit}"
export CARGO_PROFILE_RELEASE_OPT_LEVEL="${CARGO_PROFILE_RELEASE_OPT_LEVEL:-0}"
export GIT_AUTHOR_NAME=ci GIT_AUTHOR_EMAIL=ci@example.invalid
export GIT_COMMITTER_NAME=ci GIT_COMMITTER_EMAIL=ci@example.invalid

repo="$work/service"
mkdir "$repo"
cp -R "$root/fixtures/repos/not-ready-service/." "$repo/"
cat >"$repo/.pre-commit-config.yaml" <<CONFIG
repos:
  - repo: $root
    rev: $rev
    hooks:
      - id: golive
CONFIG
cd "$repo"
git init --quiet
git add -A
git commit --quiet -m "not ready yet"

run_hook() {
    "$work/venv/bin/pre-commit" run --all-files --color never >"$work/out" 2>&1
}

echo "pre-commit-test: installing the hook from $rev and checking a not-ready service"
if run_hook; then
    cat "$work/out"
    die "the hook passed on fixtures/repos/not-ready-service"
fi
grep -q "gate FAILED" "$work/out" || { cat "$work/out"; die "no golive verdict in the hook output"; }
grep -q "golive go-live readiness" "$work/out" || { cat "$work/out"; die "the golive hook did not run"; }

echo "pre-commit-test: replacing it with a ready service"
git rm -r --quiet -- . ':!.pre-commit-config.yaml'
cp -R "$root/fixtures/repos/ready-service/." "$repo/"
git add -A
git commit --quiet -m "ready"
if ! run_hook; then
    cat "$work/out"
    die "the hook failed on fixtures/repos/ready-service"
fi
grep -q "Passed" "$work/out" || { cat "$work/out"; die "pre-commit did not report the hook as passed"; }

echo "pre-commit-test: ok ($((SECONDS - started))s)"
