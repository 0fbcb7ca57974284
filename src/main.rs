//! The `golive` binary: parse flags, run, write output, choose the exit code
//! (0 gate passed, 1 gate failed, 2 usage, settings or rule-file error).

use std::io::{IsTerminal, Read, Write};
use std::path::Path;
use std::process::ExitCode;

use clap::{CommandFactory, Parser};
use golive::cli::{CheckArgs, Cli, ColorChoice, Command, Format, InitArgs, RulesArgs};
use golive::report::{self, Report};
use golive::{Input, settings};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return ExitCode::from(if error.use_stderr() { 2 } else { 0 });
        }
    };
    let result = match cli.command {
        Command::Check(args) => check(&args),
        Command::Rules(args) => rules(&args).map(|()| true),
        Command::Explain { id, rules } => explain(&id, &rules).map(|()| true),
        Command::Init(args) => init(&args).map(|()| true),
        Command::Completions { shell } => {
            completions(shell);
            Ok(true)
        }
        Command::Man => man().map(|()| true),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(error) => {
            eprintln!("{error:?}");
            ExitCode::from(2)
        }
    }
}

fn check(args: &CheckArgs) -> miette::Result<bool> {
    if let Some(threads) = args.threads {
        // Only fails when a pool already exists, which cannot happen this early.
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(threads.max(1))
            .build_global();
    }
    let paths = if args.paths.is_empty() {
        vec![std::path::PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    if paths.len() > 1 && (args.baseline.is_some() || args.write_baseline.is_some()) {
        return Err(miette::miette!(
            help = "a baseline holds paths relative to one repository: run once per PATH",
            "--baseline and --write-baseline take a single PATH"
        ));
    }
    let mut reports: Vec<Report> = Vec::new();
    for path in &paths {
        let shown = path.display().to_string();
        let stdin = shown == "-";
        if !stdin && !path.is_dir() {
            return Err(miette::miette!(
                help =
                    "give the folder of a service repository, or `-` to read manifests from stdin",
                "{shown}: no such directory"
            ));
        }
        let root = if stdin {
            Path::new(".")
        } else {
            path.as_path()
        };
        let settings = settings::resolve(args, root, today())?;
        let input = if stdin {
            let mut text = String::new();
            std::io::stdin()
                .take(settings.max_file_size)
                .read_to_string(&mut text)
                .map_err(|e| miette::miette!("cannot read stdin: {e}"))?;
            Input::Stdin(text)
        } else {
            Input::Dir(path)
        };
        reports.push(golive::check(input, &shown, &settings));
    }
    if let (Some(file), [report]) = (&args.write_baseline, reports.as_slice()) {
        return write_baseline(file, report);
    }
    let output = match args.format {
        Format::Json => report::json::render(&reports),
        Format::Human => report::human::render(&reports, use_color(args.color)),
    };
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(output.as_bytes());
    Ok(reports.iter().all(|r| r.gate.passed))
}

fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal()
        }
    }
}

fn rules(args: &RulesArgs) -> miette::Result<()> {
    let rules = settings::load_rules(&args.rules)?;
    print!("{}", golive::report::catalog::render(&rules, args.format));
    Ok(())
}

fn explain(id: &str, extra: &[std::path::PathBuf]) -> miette::Result<()> {
    let rules = settings::load_rules(extra)?;
    let rule = rules.iter().find(|r| r.id == id).ok_or_else(|| {
        miette::miette!(
            help = "`golive rules` lists every rule id",
            "no rule `{id}`"
        )
    })?;
    print!("{}", golive::report::catalog::explain(rule));
    Ok(())
}

/// `--write-baseline`: records the findings and passes, whatever they are.
fn write_baseline(file: &Path, report: &Report) -> miette::Result<bool> {
    let baseline = golive::baseline::Baseline::from_report(report);
    std::fs::write(file, baseline.to_json())
        .map_err(|e| miette::miette!("cannot write baseline {}: {e}", file.display()))?;
    eprintln!(
        "golive: wrote {} finding{} to {}",
        baseline.findings.len(),
        if baseline.findings.len() == 1 {
            ""
        } else {
            "s"
        },
        file.display()
    );
    Ok(true)
}

fn init(args: &InitArgs) -> miette::Result<()> {
    let path = golive::starter::write(&args.path, args.force)?;
    eprintln!("golive: wrote {}", path.display());
    Ok(())
}

fn completions(shell: clap_complete::Shell) {
    let mut command = Cli::command();
    clap_complete::generate(shell, &mut command, "golive", &mut std::io::stdout());
}

fn man() -> miette::Result<()> {
    clap_mangen::Man::new(Cli::command())
        .render(&mut std::io::stdout())
        .map_err(|e| miette::miette!("cannot write the man page: {e}"))
}

/// Today's UTC date as `YYYY-MM-DD` (`GOLIVE_TODAY` overrides it, for reproducible runs).
fn today() -> String {
    if let Ok(day) = std::env::var("GOLIVE_TODAY") {
        return day;
    }
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let days = (secs / 86_400) as i64;
    // Howard Hinnant's civil-from-days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}
