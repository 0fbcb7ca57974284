//! The `golive` binary: parse flags, run, write output, choose the exit code
//! (0 gate passed, 1 gate failed, 2 usage, settings or rule-file error).

use std::io::{IsTerminal, Read, Write};
use std::path::Path;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, ValueEnum};
use golive::cli::{CheckArgs, Cli, ColorChoice, Command, Format, FormatSpec, InitArgs, RulesArgs};
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
    // A usage error, printed and exited (2) the way clap reports every other one.
    let outputs = outputs(args).unwrap_or_else(|error| error.exit());
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
    write_outputs(&outputs, &reports, args.color)?;
    Ok(reports.iter().all(|r| r.gate.passed))
}

/// The `--format` flags, checked before the scan: at most one goes to stdout, no file twice.
fn outputs(args: &CheckArgs) -> Result<Vec<FormatSpec>, clap::Error> {
    let usage = |message: String| {
        let mut cli = Cli::command();
        cli.build();
        let mut check = cli.find_subcommand("check").cloned().unwrap_or(cli);
        check.error(clap::error::ErrorKind::ArgumentConflict, message)
    };
    if args.format.is_empty() {
        return Ok(vec![FormatSpec {
            format: Format::Human,
            path: None,
        }]);
    }
    let name = |f: Format| f.to_possible_value().map(|v| v.get_name().to_owned());
    let stdout: Vec<String> = args
        .format
        .iter()
        .filter(|s| s.path.is_none())
        .filter_map(|s| name(s.format))
        .collect();
    if stdout.len() > 1 {
        return Err(usage(format!(
            "more than one --format writes to stdout ({}); give all but one a file: `--format {}=PATH`",
            stdout.join(", "),
            stdout[1]
        )));
    }
    let mut files: Vec<&std::path::Path> = args
        .format
        .iter()
        .filter_map(|s| s.path.as_deref())
        .collect();
    files.sort();
    if let Some(pair) = files.windows(2).find(|pair| pair[0] == pair[1]) {
        return Err(usage(format!(
            "two formats write to {}; give each its own file",
            pair[0].display()
        )));
    }
    Ok(args.format.clone())
}

/// Renders every requested format; files are written only now, after the scan.
fn write_outputs(
    outputs: &[FormatSpec],
    reports: &[Report],
    color: ColorChoice,
) -> miette::Result<()> {
    for spec in outputs {
        let text = match spec.format {
            Format::Human => {
                report::human::render(reports, spec.path.is_none() && use_color(color))
            }
            Format::Json => report::json::render(reports),
            Format::Sarif => report::sarif::render(reports),
            Format::Junit => report::junit::render(reports),
            Format::Github => report::github::render(reports),
            Format::Markdown => report::markdown::render(reports, github_blob_base().as_deref()),
            Format::Gitlab => report::gitlab::render(reports),
            Format::Checkstyle => report::checkstyle::render(reports),
        };
        match &spec.path {
            None => {
                let _ = std::io::stdout().lock().write_all(text.as_bytes());
            }
            Some(path) => write_file(path, &text, false)?,
        }
        if spec.format == Format::Github {
            // On GitHub Actions the step summary gets the Markdown report.
            if let Some(summary) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|v| !v.is_empty())
            {
                let markdown = report::markdown::render(reports, github_blob_base().as_deref());
                write_file(Path::new(&summary), &markdown, true)?;
            }
        }
    }
    Ok(())
}

fn write_file(path: &Path, text: &str, append: bool) -> miette::Result<()> {
    let write = || -> std::io::Result<()> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)?;
        }
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .write(true)
            .append(append)
            .truncate(!append)
            .open(path)?;
        file.write_all(text.as_bytes())
    };
    write().map_err(|e| miette::miette!("cannot write {}: {e}", path.display()))
}

/// `https://github.com/OWNER/REPO/blob/SHA/` on GitHub Actions, so Markdown links resolve from
/// a step summary or a PR comment.
fn github_blob_base() -> Option<String> {
    let var = |name| std::env::var(name).ok().filter(|v| !v.is_empty());
    Some(format!(
        "{}/{}/blob/{}/",
        var("GITHUB_SERVER_URL")?,
        var("GITHUB_REPOSITORY")?,
        var("GITHUB_SHA")?
    ))
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
