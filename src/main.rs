//! The `golive` binary: parse flags, run, write output, choose the exit code
//! (0 gate passed, 1 gate failed, 2 usage, settings or rule-file error).

#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's built-in options, read before `main`: one arena per CPU, used by whichever thread
/// runs there, instead of four per CPU handed to threads in turn. The walker's, the readers' and
/// the main thread's allocations then share arenas, and memory one frees another reuses: the
/// 2,000-service benchmark peaks 12 MB lower at the same speed (benches/README.md).
/// `MALLOC_CONF`-style overrides still apply through `_RJEM_MALLOC_CONF`.
#[cfg(target_os = "linux")]
#[unsafe(export_name = "_rjem_malloc_conf")]
static MALLOC_CONF: Option<&'static std::ffi::c_char> =
    Some(unsafe { &*c"percpu_arena:percpu".as_ptr() });

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{CommandFactory, Parser, ValueEnum};
mod cli;

use cli::{
    CheckArgs, ChecklistArgs, ChecklistFormat, Cli, ColorChoice, Command, FixArgs, Format,
    FormatSpec, InitArgs, MergeArgs, RepoArgs, RulesArgs,
};
use golive::compare::Previous;
use golive::pipeline::RootEvidence;
use golive::report::stream::{Shape, Stream};
use golive::report::{self, Report};
use golive::settings::{self, Settings};
use golive::{Input, fleet};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Returns every jemalloc arena's unused dirty pages to the system (`golive::heap`).
#[cfg(not(target_env = "msvc"))]
fn release_free_pages() {
    // `arena.<MALLCTL_ARENAS_ALL>.purge` takes and returns nothing.
    // SAFETY: a NUL-terminated control name and no buffers, as jemalloc's `mallctl` documents
    // for controls without a value.
    unsafe {
        tikv_jemalloc_sys::mallctl(
            c"arena.4096.purge".as_ptr(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            0,
        );
    }
}

fn main() -> ExitCode {
    #[cfg(not(target_env = "msvc"))]
    golive::heap::on_release(release_free_pages);
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return ExitCode::from(if error.use_stderr() { 2 } else { 0 });
        }
    };
    let result = match cli.command {
        Command::Check(args) => check(&args),
        Command::Checklist(args) => checklist(&args),
        Command::Fix(args) => fix(&args).map(|()| true),
        Command::Merge(args) => merge(&args),
        Command::Rules(args) => rules(&args).map(|()| true),
        Command::Explain { id, rules } => explain(&id, &rules).map(|()| true),
        Command::Init(args) => init(&args).map(|()| true),
        Command::Completions { shell } => {
            completions(shell);
            Ok(true)
        }
        Command::Man => man().map(|()| true),
        Command::Schema => {
            print!("{}", golive::engine::spec::json_schema());
            Ok(true)
        }
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
    let outputs = outputs(&args.format, "check").unwrap_or_else(|error| error.exit());
    if let Some(threads) = args.threads {
        // Only fails when a pool already exists, which cannot happen this early.
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(threads.max(1))
            .build_global();
    }
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let baseline = args.baseline.is_some() || args.write_baseline.is_some();
    if baseline && (paths.len() > 1 || args.discover || args.shard.is_some()) {
        return Err(miette::miette!(
            help = "a baseline holds paths relative to one repository: run once per PATH",
            "--baseline and --write-baseline take a single PATH"
        ));
    }
    let plan = fleet::plan(&args.fleet_request(), &paths)?;
    if baseline && plan.fleet {
        return Err(miette::miette!(
            help = "a baseline holds paths relative to one repository: run once per service",
            "--baseline and --write-baseline do not work on a fleet (`[fleet] services`)"
        ));
    }
    let previous = args
        .compare
        .as_deref()
        .map(golive::compare::Previous::load)
        .transpose()?;
    let alone = plan.services.len() == 1 && !plan.fleet;
    // Read once for all the services of each monorepo.
    let max_file_size = args
        .flags()
        .max_file_size
        .unwrap_or(settings::DEFAULT_MAX_FILE_SIZE);
    let roots: Vec<RootEvidence> = plan
        .roots
        .iter()
        .map(|root| RootEvidence::collect(root, max_file_size))
        .collect();
    let scans = Scans::prepare(args, &plan.services, &roots, previous.as_ref(), alone)?;
    if let Some(file) = &args.write_baseline {
        let mut reports = Vec::new();
        scans.run(|report| {
            reports.push(report);
            Ok(())
        })?;
        return match reports.as_slice() {
            [report] => write_baseline(file, report),
            _ => Ok(true),
        };
    }
    let shape = Shape {
        count: plan.services.len(),
        fleet: plan.fleet,
    };
    let targets: Vec<&str> = plan.services.iter().map(|s| s.target.as_str()).collect();
    let mut sinks = Sinks::open(&outputs, shape, &targets, args.color)?;
    sinks.start()?;
    let mut passed = true;
    scans.run(|report| {
        passed &= report.gate.passed;
        let written = sinks.report(&report);
        // Freeing a large report allocation by allocation takes a while: another worker does
        // it, and the process may end first (the operating system takes the memory back).
        rayon::spawn(move || drop(report));
        written
    })?;
    sinks.finish()?;
    Ok(passed)
}

/// The scans of one `check` run: settings resolved once per settings file, before any scan,
/// so a broken file stops the run (exit 2) before any work.
/// With `previous` (`--compare`), each report is compared with its previous one; `alone`: one
/// repository, not a fleet.
struct Scans<'a> {
    resolved: Vec<(Option<&'a Path>, Settings)>,
    jobs: Vec<(&'a str, Input<'a>, usize)>,
    previous: Option<&'a Previous>,
    alone: bool,
}

impl<'a> Scans<'a> {
    fn prepare(
        args: &CheckArgs,
        services: &'a [fleet::Service],
        roots: &'a [RootEvidence],
        previous: Option<&'a Previous>,
        alone: bool,
    ) -> miette::Result<Scans<'a>> {
        let today = today();
        let flags = args.flags();
        let mut resolved: Vec<(Option<&Path>, Settings)> = Vec::new();
        let mut jobs = Vec::with_capacity(services.len());
        for service in services {
            let config = service.config.as_deref();
            let index = match resolved.iter().position(|(c, _)| *c == config) {
                Some(index) => index,
                None => {
                    let loaded = config
                        .map(|path| settings::load_config(Some(path), path))
                        .transpose()?
                        .flatten();
                    let settings =
                        settings::resolve_loaded(&flags, loaded.as_ref(), today.clone())?;
                    resolved.push((config, settings));
                    resolved.len() - 1
                }
            };
            let member = service
                .member_of
                .as_ref()
                .and_then(|(root, folder)| Some(roots.get(*root)?.for_service(folder)));
            let input = match (&service.dir, member) {
                (Some(dir), Some(member)) => Input::Service(dir, member),
                (Some(dir), None) => Input::Dir(dir),
                (None, _) => Input::Stdin(read_stdin(resolved[index].1.max_file_size)?),
            };
            jobs.push((service.target.as_str(), input, index));
        }
        // Several services: each scan is one of a fleet (`Settings::fleet`).
        if jobs.len() > 1 {
            for (_, settings) in &mut resolved {
                settings.fleet = true;
            }
        }
        Ok(Scans {
            resolved,
            jobs,
            previous,
            alone,
        })
    }

    /// Scores every service, several at a time, and hands each report to `consume` in service
    /// order, then lets it go: a fleet holds a few reports at a time, not one per service.
    fn run(self, mut consume: impl FnMut(Report) -> miette::Result<()>) -> miette::Result<()> {
        let Scans {
            resolved,
            jobs,
            previous,
            alone,
        } = self;
        let progress = progress_bar(jobs.len());
        // Enough scans in flight that a slow service does not leave a core idle.
        let window = 4 * rayon::current_num_threads();
        let resolved_ref = &resolved;
        let outcome = golive::ordered::map_in_order(
            jobs,
            window,
            |(target, input, index)| {
                let settings = &resolved_ref[index].1;
                let mut report = golive::check(input, target, settings);
                if let Some(previous) = previous {
                    previous.apply(&mut report, &settings.gate, alone);
                }
                report
            },
            |report| {
                progress.inc(1);
                consume(report)
            },
        );
        progress.finish_and_clear();
        // The rules and their built regexes are used until the process ends, which is soon:
        // freeing them piece by piece cost a 28-file scan 0.4 ms (3 %).
        std::mem::forget(resolved);
        outcome
    }
}

fn read_stdin(limit: u64) -> miette::Result<String> {
    let mut text = String::new();
    std::io::stdin()
        .take(limit)
        .read_to_string(&mut text)
        .map_err(|e| miette::miette!("cannot read stdin: {e}"))?;
    Ok(text)
}

/// A bar on stderr for fleet scans (a spinner for one scan that lasts over a second), only for
/// a person watching a terminal: hidden in CI logs (`CI` is set by GitHub Actions, GitLab and
/// most others) and when stderr is redirected.
fn progress_bar(services: usize) -> ProgressBar {
    let watched = std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
    if !watched {
        return ProgressBar::hidden();
    }
    if services < 2 {
        return delayed_spinner();
    }
    let bar = ProgressBar::new(services as u64);
    if let Ok(style) = ProgressStyle::with_template("{bar:30} {pos}/{len} services  {elapsed}") {
        bar.set_style(style);
    }
    bar
}

/// A spinner that shows itself only if the scan is still running after a second, so the usual
/// sub-second run never flickers.
fn delayed_spinner() -> ProgressBar {
    let spinner = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
    if let Ok(style) = ProgressStyle::with_template("{spinner} scanning  {elapsed}") {
        spinner.set_style(style);
    }
    let shown = spinner.clone();
    std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_secs(1));
        if !shown.is_finished() {
            shown.set_draw_target(ProgressDrawTarget::stderr());
            shown.enable_steady_tick(std::time::Duration::from_millis(120));
        }
    });
    spinner
}

/// The settings and report target of a command that reads one repository (`checklist`,
/// `fix`), as `check` would.
fn repo_settings(repo: &RepoArgs, command: &str) -> miette::Result<(Settings, String)> {
    if !repo.path.is_dir() {
        return Err(miette::miette!(
            "{} is not a folder: `golive {command}` reads one repository",
            repo.path.display()
        ));
    }
    let settings = settings::resolve(&repo.flags(), &repo.path, today())?;
    Ok((settings, repo.path.display().to_string()))
}

/// `golive checklist`: one repository's rules as a launch-review document; exit 1 when its gate
/// fails, as `check` would.
fn checklist(args: &ChecklistArgs) -> miette::Result<bool> {
    let (settings, target) = repo_settings(&args.repo, "checklist")?;
    let report = golive::check(Input::Dir(&args.repo.path), &target, &settings);
    let checklist = report::checklist::Checklist::of(&report);
    let text = match args.format {
        ChecklistFormat::Human => report::checklist::human(&checklist),
        ChecklistFormat::Markdown => report::checklist::markdown(&checklist),
        ChecklistFormat::Json => report::checklist::json(&checklist),
    };
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    Ok(report.gate.passed)
}

/// `golive fix`: the diff on stdout (nothing when there is nothing to fix), what was done or
/// left undone on stderr.
fn fix(args: &FixArgs) -> miette::Result<()> {
    let (settings, target) = repo_settings(&args.repo, "fix")?;
    let root = &args.repo.path;
    let (_, plan) = golive::pipeline::fix(root, &target, &settings);
    for skipped in &plan.skipped {
        let at = match (&skipped.path, skipped.line) {
            (Some(path), Some((line, column))) => format!("{path}:{line}:{column}"),
            (Some(path), None) => path.clone(),
            (None, _) => "(repository)".to_owned(),
        };
        eprintln!(
            "golive: not fixed: {} {}: {}",
            skipped.rule,
            golive::report::clean(&at),
            skipped.reason
        );
    }
    let fixed: usize = plan.changes.iter().map(|c| c.findings).sum();
    let files = plan.changes.len();
    let summary = format!(
        "fixes for {fixed} finding{} in {files} file{}",
        if fixed == 1 { "" } else { "s" },
        if files == 1 { "" } else { "s" }
    );
    if args.write {
        plan.write(root).map_err(|e| miette::miette!("{e}"))?;
        eprintln!("golive: wrote {summary}");
    } else {
        let _ = std::io::stdout().lock().write_all(plan.diff().as_bytes());
        if files > 0 {
            eprintln!("golive: {summary}; `golive fix --write` applies them");
        } else {
            eprintln!("golive: nothing to fix");
        }
    }
    Ok(())
}

/// `golive merge`: shard reports → one fleet report; exit 1 when any service failed its gate.
fn merge(args: &MergeArgs) -> miette::Result<bool> {
    let outputs = outputs(&args.format, "merge").unwrap_or_else(|error| error.exit());
    let mut files = Vec::with_capacity(args.files.len());
    for file in &args.files {
        let shown = file.display().to_string();
        let text = std::fs::read_to_string(file)
            .map_err(|e| miette::miette!("cannot read {shown}: {e}"))?;
        let reports = report::merge::read(&text).map_err(|e| miette::miette!("{shown}: {e}"))?;
        files.push((shown, reports));
    }
    let mut reports = report::merge::combine(files).map_err(|e| miette::miette!("{e}"))?;
    report::merge::restore_rule_docs(&mut reports, &settings::load_rules(&[])?);
    let shape = Shape {
        count: reports.len(),
        fleet: true,
    };
    let targets: Vec<&str> = reports.iter().map(|r| r.target.as_str()).collect();
    let mut sinks = Sinks::open(&outputs, shape, &targets, args.color)?;
    sinks.start()?;
    for report in &reports {
        sinks.report(report)?;
    }
    sinks.finish()?;
    Ok(reports.iter().all(|r| r.gate.passed))
}

/// The `--format` flags of `subcommand`, checked before any work: at most one goes to stdout,
/// no file twice.
fn outputs(format: &[FormatSpec], subcommand: &str) -> Result<Vec<FormatSpec>, clap::Error> {
    let usage = |message: String| {
        let mut cli = Cli::command();
        cli.build();
        let mut command = cli.find_subcommand(subcommand).cloned().unwrap_or(cli);
        command.error(clap::error::ErrorKind::ArgumentConflict, message)
    };
    if format.is_empty() {
        return Ok(vec![FormatSpec {
            format: Format::Human,
            path: None,
        }]);
    }
    let name = |f: Format| f.to_possible_value().map(|v| v.get_name().to_owned());
    let stdout: Vec<String> = format
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
    let mut files: Vec<&Path> = format.iter().filter_map(|s| s.path.as_deref()).collect();
    files.sort();
    if let Some(pair) = files.windows(2).find(|pair| pair[0] == pair[1]) {
        return Err(usage(format!(
            "two formats write to {}; give each its own file",
            pair[0].display()
        )));
    }
    Ok(format.to_vec())
}

/// Every requested format, each written to its destination as the reports come. A `fleet` run
/// always gets the fleet shape (JSON `reports`, the human fleet table).
struct Sinks {
    sinks: Vec<Sink>,
}

struct Sink {
    stream: Box<dyn Stream>,
    out: std::io::BufWriter<Box<dyn Write>>,
    /// The file written; `None` for stdout, where a closed pipe (`| head`) is not an error of
    /// the scan: that output just stops.
    path: Option<PathBuf>,
    closed: bool,
}

impl Sinks {
    /// Opens (creates, truncates) every output file before the scan starts.
    fn open(
        outputs: &[FormatSpec],
        shape: Shape,
        targets: &[&str],
        color: ColorChoice,
    ) -> miette::Result<Sinks> {
        let mut sinks = Vec::new();
        for spec in outputs {
            let stream: Box<dyn Stream> = match spec.format {
                Format::Json => Box::new(report::json::Stream::new(shape)),
                Format::Human => {
                    let color = spec.path.is_none() && use_color(color);
                    Box::new(report::human::Stream::new(color, shape.fleet_shape()))
                }
                Format::Sarif => Box::new(report::sarif::Stream::new(shape.several())),
                Format::Junit => Box::new(report::junit::Stream::new(shape.several())),
                Format::Github => Box::new(report::github::Stream::default()),
                Format::Markdown => Box::new(markdown(shape)),
                Format::Gitlab => Box::new(report::gitlab::Stream::default()),
                Format::Checkstyle => {
                    Box::new(report::checkstyle::Stream::new(targets.iter().copied()))
                }
                Format::Html => Box::new(report::html::Stream::new(shape.fleet)),
            };
            sinks.push(Sink::open(stream, spec.path.as_deref(), false)?);
            if spec.format == Format::Github {
                // On GitHub Actions the step summary gets the Markdown report.
                if let Some(summary) =
                    std::env::var_os("GITHUB_STEP_SUMMARY").filter(|v| !v.is_empty())
                {
                    let stream = Box::new(markdown(shape));
                    sinks.push(Sink::open(stream, Some(Path::new(&summary)), true)?);
                }
            }
        }
        Ok(Sinks { sinks })
    }

    fn start(&mut self) -> miette::Result<()> {
        self.each(|stream, out| stream.start(out))
    }

    fn report(&mut self, report: &Report) -> miette::Result<()> {
        self.each(|stream, out| stream.report(out, report))
    }

    fn finish(&mut self) -> miette::Result<()> {
        self.each(|stream, out| stream.finish(out).and_then(|()| out.flush()))
    }

    fn each(
        &mut self,
        mut write: impl FnMut(&mut dyn Stream, &mut dyn Write) -> std::io::Result<()>,
    ) -> miette::Result<()> {
        for sink in self.sinks.iter_mut().filter(|s| !s.closed) {
            if let Err(error) = write(sink.stream.as_mut(), &mut sink.out) {
                match &sink.path {
                    Some(path) => {
                        return Err(miette::miette!("cannot write {}: {error}", path.display()));
                    }
                    None => sink.closed = true,
                }
            }
        }
        Ok(())
    }
}

impl Sink {
    fn open(stream: Box<dyn Stream>, path: Option<&Path>, append: bool) -> miette::Result<Sink> {
        let out: Box<dyn Write> = match path {
            None => Box::new(std::io::stdout().lock()),
            Some(path) => Box::new(
                create(path, append)
                    .map_err(|e| miette::miette!("cannot write {}: {e}", path.display()))?,
            ),
        };
        Ok(Sink {
            stream,
            out: std::io::BufWriter::with_capacity(1 << 16, out),
            path: path.map(Path::to_path_buf),
            closed: false,
        })
    }
}

fn markdown(shape: Shape) -> report::markdown::Stream {
    report::markdown::Stream::new(shape.several(), github_blob_base().as_deref())
}

fn create(path: &Path, append: bool) -> std::io::Result<std::fs::File> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .append(append)
        .truncate(!append)
        .open(path)
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
    print!(
        "{}",
        golive::report::catalog::render(&rules, args.format.into())
    );
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
    let baseline = report.baseline();
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
