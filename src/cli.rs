//! Command-line flags, exactly as typed (clap), for the binary only: the library takes the plain
//! `settings::Flags` and `fleet::Request` they are turned into here, and resolves them with
//! `golive.toml` in `settings`.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use golive::fleet::{self, Shard};
use golive::report::catalog::Listing;
use golive::settings::Flags;

#[derive(Debug, Parser)]
#[command(
    name = "golive",
    version,
    about = "Tells whether a service repository is ready to go live."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Score one or more service repositories (`-` reads a manifest stream from stdin).
    Check(Box<CheckArgs>),
    /// Print a go-live checklist of one repository: one item per rule with its status
    /// (passed, failed, attested, suppressed, not_applicable) and the evidence behind it.
    Checklist(ChecklistArgs),
    /// Print a unified diff of the mechanical fixes for a repository's findings; `--write`
    /// applies them.
    Fix(FixArgs),
    /// Combine JSON reports (e.g. of `check --shard K/N` runs) into one fleet report.
    Merge(MergeArgs),
    /// List the rules.
    Rules(RulesArgs),
    /// Print the full documentation of a rule.
    Explain {
        /// Rule id, e.g. k8s-readiness-probe.
        id: String,
        /// Extra rule files or folders.
        #[arg(long = "rules", value_name = "PATH")]
        rules: Vec<PathBuf>,
    },
    /// Write a commented starter golive.toml.
    Init(InitArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) to stdout.
    Man,
    /// Print the JSON Schema of rule files (for editor completion and validation).
    Schema,
}

#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// Folder to write golive.toml into.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub path: PathBuf,
    /// Replace an existing golive.toml.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Repositories to score (default: the current directory).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Output format, optionally written to a file: FORMAT[=PATH], repeatable (at most one
    /// without a PATH, which goes to stdout; default: human). Formats: human, json, sarif,
    /// junit, github, markdown, gitlab, checkstyle, html.
    #[arg(long, value_name = "FORMAT[=PATH]", value_parser = parse_format_spec)]
    pub format: Vec<FormatSpec>,
    /// Fail the gate below this score (0–100).
    #[arg(long, value_name = "SCORE")]
    pub min_score: Option<f64>,
    /// Fail the gate on any finding at or above this severity (critical, high, medium, low,
    /// info, never). Default: high.
    #[arg(long, value_name = "SEVERITY")]
    pub fail_on: Option<String>,
    /// Parse errors fail the gate.
    #[arg(long)]
    pub strict: bool,
    /// Extra rule files or folders (same format as the built-in rules).
    #[arg(long = "rules", value_name = "PATH")]
    pub rules: Vec<PathBuf>,
    /// Settings file (default: golive.toml at the scanned root).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Glob of files to skip, relative to the root (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Files larger than this many bytes are skipped (default 10 MiB).
    #[arg(long, value_name = "BYTES")]
    pub max_file_size: Option<u64>,
    /// When to use colour.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Worker threads (default: all cores). Output is identical for every value.
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Render Helm charts with the helm binary (`helm template`, on PATH) instead of golive's
    /// native renderer; findings then point at the rendered output.
    #[arg(long)]
    pub helm: bool,
    /// Report only findings not recorded in this baseline file (see --write-baseline).
    #[arg(long, value_name = "FILE", conflicts_with = "write_baseline")]
    pub baseline: Option<PathBuf>,
    /// Record the current findings in FILE (JSON) and exit 0; later runs pass it to --baseline.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
    /// Compare with an earlier JSON report (`--format json=FILE`): score delta, new and fixed
    /// findings; the gate fails when the score dropped or a new finding is at or above
    /// --fail-on. A fleet is compared service by service.
    #[arg(long, value_name = "PREVIOUS.json")]
    pub compare: Option<PathBuf>,
    /// Score each service of the monorepo at PATH on its own: every folder (up to 3 levels
    /// down) with a Dockerfile, or with a README and deployment manifests. `[fleet] services`
    /// globs in golive.toml name the services instead (and need no --discover).
    #[arg(long)]
    pub discover: bool,
    /// Score only the K-th of N shards of the services (1 ≤ K ≤ N), chosen by a stable hash
    /// of each service's path; `golive merge` combines the shards' JSON reports.
    #[arg(long, value_name = "K/N", value_parser = Shard::parse)]
    pub shard: Option<Shard>,
}

impl CheckArgs {
    /// What the flags say of settings, for `settings::resolve`.
    pub fn flags(&self) -> Flags {
        Flags {
            exclude: self.exclude.clone(),
            rules: self.rules.clone(),
            config: self.config.clone(),
            min_score: self.min_score,
            fail_on: self.fail_on.clone(),
            strict: self.strict,
            max_file_size: self.max_file_size,
            helm: self.helm,
            baseline: self.baseline.clone(),
        }
    }

    /// What the flags ask of the fleet, for `fleet::plan`.
    pub fn fleet_request(&self) -> fleet::Request<'_> {
        fleet::Request {
            discover: self.discover,
            shard: self.shard,
            config: self.config.as_deref(),
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct ChecklistArgs {
    #[command(flatten)]
    pub repo: RepoArgs,
    #[arg(long, value_enum, default_value_t = ChecklistFormat::Human)]
    pub format: ChecklistFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ChecklistFormat {
    Human,
    Markdown,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct FixArgs {
    #[command(flatten)]
    pub repo: RepoArgs,
    /// Apply the fixes instead of printing them.
    #[arg(long)]
    pub write: bool,
}

/// The flags of a command that reads one repository as `check` would (`checklist`, `fix`).
#[derive(Debug, clap::Args)]
pub struct RepoArgs {
    /// Repository (default: the current directory).
    #[arg(value_name = "PATH", default_value = ".")]
    pub path: PathBuf,
    /// Extra rule files or folders (same format as the built-in rules).
    #[arg(long = "rules", value_name = "PATH")]
    pub rules: Vec<PathBuf>,
    /// Settings file (default: golive.toml at the scanned root).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Glob of files to skip, relative to the root (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
}

impl RepoArgs {
    /// What the flags say of settings, for `settings::resolve`.
    pub fn flags(&self) -> Flags {
        Flags {
            exclude: self.exclude.clone(),
            rules: self.rules.clone(),
            config: self.config.clone(),
            ..Flags::default()
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    /// JSON reports to combine: single reports or fleet reports (`{"reports": [...]}`).
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,
    /// Output format, optionally written to a file: FORMAT[=PATH], repeatable (as for check).
    #[arg(long, value_name = "FORMAT[=PATH]", value_parser = parse_format_spec)]
    pub format: Vec<FormatSpec>,
    /// When to use colour.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

#[derive(Debug, clap::Args)]
pub struct RulesArgs {
    #[arg(long, value_enum, default_value_t = RulesFormat::Table)]
    pub format: RulesFormat,
    /// Extra rule files or folders.
    #[arg(long = "rules", value_name = "PATH")]
    pub rules: Vec<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
    Sarif,
    Junit,
    Github,
    Markdown,
    Gitlab,
    Checkstyle,
    Html,
}

/// One `--format FORMAT[=PATH]`: where a format goes (`None` or `-`: stdout).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatSpec {
    pub format: Format,
    pub path: Option<PathBuf>,
}

fn parse_format_spec(text: &str) -> Result<FormatSpec, String> {
    let (name, path) = match text.split_once('=') {
        Some((name, path)) => (name, Some(path)),
        None => (text, None),
    };
    let format = Format::from_str(name, true).map_err(|_| {
        let names: Vec<String> = Format::value_variants()
            .iter()
            .filter_map(|f| f.to_possible_value())
            .map(|v| v.get_name().to_owned())
            .collect();
        format!("unknown format `{name}`; one of: {}", names.join(", "))
    })?;
    let path = match path {
        Some("") => return Err(format!("`{name}=` needs a file path after `=`")),
        Some("-") | None => None,
        Some(path) => Some(PathBuf::from(path)),
    };
    Ok(FormatSpec { format, path })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RulesFormat {
    Table,
    Json,
    Markdown,
}

impl From<RulesFormat> for Listing {
    fn from(format: RulesFormat) -> Listing {
        match format {
            RulesFormat::Table => Listing::Table,
            RulesFormat::Json => Listing::Json,
            RulesFormat::Markdown => Listing::Markdown,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}
