//! Writes a synthetic monorepo for benchmarks: `cargo run --release --example monorepo -- OUT N [SEED]`.

mod generator;

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(out), Some(count)) = (
        args.first(),
        args.get(1).and_then(|n| n.parse::<usize>().ok()),
    ) else {
        eprintln!("usage: monorepo OUT_DIR SERVICES [SEED]");
        return std::process::ExitCode::from(2);
    };
    let seed = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(42);
    match generator::generate(std::path::Path::new(out), count, seed) {
        Ok(files) => {
            println!("{files} files for {count} services in {out} (seed {seed})");
            std::process::ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("cannot write {out}: {error}");
            std::process::ExitCode::from(1)
        }
    }
}
