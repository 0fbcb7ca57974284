//! What the CLI test files share: running the built binary.

use std::path::Path;

use assert_cmd::Command;

/// Runs golive in `dir` without colour; returns stdout, stderr and the exit code.
pub fn golive(dir: &Path, args: &[&str]) -> (String, String, i32) {
    let output = Command::cargo_bin("golive")
        .unwrap_or_else(|e| panic!("{e}"))
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    let code = output.status.code().unwrap_or(-1);
    (text(&output.stdout), text(&output.stderr), code)
}
