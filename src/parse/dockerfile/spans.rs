//! Where an instruction and its parts end and how its command is written: the spans and forms
//! that parse-dockerfile leaves to its callers.

use std::ops::Range;

use parse_dockerfile::{
    Command, HealthcheckArguments, Instruction, JsonOrStringArray, Keyword, Source, UnescapedString,
};

use super::image::ImageRef;

pub(super) fn known_non_root(image: &str, unresolved: bool) -> bool {
    !unresolved && ImageRef::parse(image).known_non_root()
}

pub(super) fn form(command: &Command<'_>) -> Option<&'static str> {
    match command {
        Command::Exec(_) => Some("exec"),
        Command::Shell(_) => Some("shell"),
        _ => None,
    }
}

/// The command as one string: shell form as written, exec form joined with spaces.
pub(super) fn command_text(command: &Command<'_>) -> Option<String> {
    match command {
        Command::Exec(array) => Some(
            array
                .value
                .iter()
                .map(|a| &*a.value)
                .collect::<Vec<_>>()
                .join(" "),
        ),
        Command::Shell(shell) => Some(shell.value.to_string()),
        _ => None,
    }
}

pub(super) fn keyword<'i>(instruction: &'i Instruction<'_>) -> Option<(&'static str, &'i Keyword)> {
    Some(match instruction {
        Instruction::Add(i) => ("ADD", &i.add),
        Instruction::Arg(i) => ("ARG", &i.arg),
        Instruction::Cmd(i) => ("CMD", &i.cmd),
        Instruction::Copy(i) => ("COPY", &i.copy),
        Instruction::Entrypoint(i) => ("ENTRYPOINT", &i.entrypoint),
        Instruction::Env(i) => ("ENV", &i.env),
        Instruction::Expose(i) => ("EXPOSE", &i.expose),
        Instruction::From(i) => ("FROM", &i.from),
        Instruction::Healthcheck(i) => ("HEALTHCHECK", &i.healthcheck),
        Instruction::Label(i) => ("LABEL", &i.label),
        Instruction::Maintainer(i) => ("MAINTAINER", &i.maintainer),
        Instruction::Onbuild(i) => ("ONBUILD", &i.onbuild),
        Instruction::Run(i) => ("RUN", &i.run),
        Instruction::Shell(i) => ("SHELL", &i.shell),
        Instruction::Stopsignal(i) => ("STOPSIGNAL", &i.stopsignal),
        Instruction::User(i) => ("USER", &i.user),
        Instruction::Volume(i) => ("VOLUME", &i.volume),
        Instruction::Workdir(i) => ("WORKDIR", &i.workdir),
        _ => return None,
    })
}

/// The furthest byte any part of the instruction reaches (heredoc bodies included).
pub(super) fn last_end(instruction: &Instruction<'_>) -> usize {
    match instruction {
        Instruction::Add(i) => sources_end(&i.src).max(i.dest.span.end),
        Instruction::Copy(i) => sources_end(&i.src).max(i.dest.span.end),
        Instruction::Arg(i) => i.arguments.span.end,
        Instruction::Cmd(i) => command_end(&i.arguments),
        Instruction::Entrypoint(i) => command_end(&i.arguments),
        Instruction::Env(i) => i.arguments.span.end,
        Instruction::Expose(i) => words_end(&i.arguments),
        Instruction::From(i) => i.as_.as_ref().map_or(i.image.span.end, |(_, n)| n.span.end),
        Instruction::Healthcheck(i) => match &i.arguments {
            HealthcheckArguments::Cmd { arguments, .. } => command_end(arguments),
            HealthcheckArguments::None { none, .. } => none.span.end,
            _ => 0,
        },
        Instruction::Label(i) => i.arguments.span.end,
        Instruction::Maintainer(i) => i.name.span.end,
        Instruction::Onbuild(i) => last_end(&i.instruction),
        Instruction::Run(i) => i
            .here_docs
            .iter()
            .map(|h| h.span.end)
            .fold(command_end(&i.arguments), usize::max),
        Instruction::Shell(i) => words_end(&i.arguments),
        Instruction::Stopsignal(i) => i.arguments.span.end,
        Instruction::User(i) => i.arguments.span.end,
        Instruction::Volume(i) => match &i.arguments {
            JsonOrStringArray::Json(array) => array.span.end,
            JsonOrStringArray::String(words) => words_end(words),
        },
        Instruction::Workdir(i) => i.arguments.span.end,
        _ => 0,
    }
}

pub(super) fn command_span(command: &Command<'_>) -> Range<usize> {
    match command {
        Command::Exec(array) => array.span.clone(),
        Command::Shell(shell) => shell.span.clone(),
        _ => 0..0,
    }
}

fn command_end(command: &Command<'_>) -> usize {
    command_span(command).end
}

fn words_end(words: &[UnescapedString<'_>]) -> usize {
    words.iter().map(|w| w.span.end).max().unwrap_or(0)
}

fn sources_end(sources: &[Source<'_>]) -> usize {
    sources
        .iter()
        .map(|s| match s {
            Source::Path(path) => path.span.end,
            Source::HereDoc(doc) => doc.span.end,
            _ => 0,
        })
        .max()
        .unwrap_or(0)
}
