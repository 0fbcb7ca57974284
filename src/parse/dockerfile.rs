//! Dockerfile → one document: stages with their effective facts (user, healthcheck, exposed
//! ports, env, cmd/entrypoint) and every instruction with its span.
//!
//! The grammar (escape directive, continuations, comments inside continuations, heredocs, CRLF)
//! is parse-dockerfile's; this module adds what BuildKit does on top — ARG/ENV expansion, stage
//! references and what a stage inherits from its parent — so rules only compare values.

mod expand;
mod heredoc;
mod image;
mod spans;
mod stage;

use std::ops::Range;

use parse_dockerfile::{
    Dockerfile, FromInstruction, Instruction, Keyword, ParserDirectives, UnescapedString,
};

use self::expand::{Vars, expand, split_words};
use self::image::ImageRef;
use self::spans::{form, keyword, known_non_root, last_end};
use super::{ParseError, Parsed};
use crate::model::{DocKind, Document, NodeId, Tree};
use crate::source::{FileId, Loc, Span};

const BOM: &str = "\u{feff}";

/// Error messages quote the offending word; a binary file must not produce a megabyte message.
const MAX_MESSAGE_CHARS: usize = 160;

pub fn parse(file: FileId, text: &str) -> Parsed {
    // parse-dockerfile strips a BOM itself but then reports offsets without it; stripping it
    // here makes the shift explicit.
    let (body, shift) = match text.strip_prefix(BOM) {
        Some(rest) => (rest, BOM.len()),
        None => (text, 0),
    };
    if let Some(nul) = body.find('\0') {
        let message = "not a Dockerfile: the file contains NUL bytes (binary?)";
        return Parsed::failed(ParseError::new(
            message,
            Some(Span::new(nul + shift, nul + shift)),
        ));
    }
    let masked = heredoc::mask(body);
    let grammar_text = masked.as_ref().map_or(body, |m| m.text.as_str());
    match parse_dockerfile::parse(grammar_text) {
        Ok(dockerfile) => {
            let mut builder = Builder::new(file, text, body, shift, &dockerfile);
            builder.extends = masked
                .as_ref()
                .map(|m| m.extends.clone())
                .unwrap_or_default();
            let document = builder.document(&dockerfile);
            Parsed {
                duplicate_keys: Vec::new(),
                documents: vec![document],
                errors: Vec::new(),
            }
        }
        Err(error) => Parsed::failed(convert_error(&error, body, shift)),
    }
}

fn convert_error(error: &parse_dockerfile::Error, body: &str, shift: usize) -> ParseError {
    let detail: String = format!("{error:#}")
        .chars()
        .take(MAX_MESSAGE_CHARS)
        .collect();
    let offset = byte_offset(body, error.line(), error.column()) + shift;
    ParseError::new(
        format!("invalid Dockerfile: {detail}"),
        Some(Span::new(offset, offset)),
    )
}

/// parse-dockerfile reports 1-based line and byte column; line 0 means "no position".
fn byte_offset(body: &str, line: usize, column: usize) -> usize {
    if line == 0 {
        return 0;
    }
    let line_start: usize = body
        .split_inclusive('\n')
        .take(line - 1)
        .map(str::len)
        .sum();
    let mut offset = line_start
        .saturating_add(column.saturating_sub(1))
        .min(body.len());
    while !body.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// What a stage has accumulated so far; cloned into a child stage that says `FROM <stage>`.
#[derive(Clone, Default)]
struct Facts {
    user: Option<(String, Range<usize>)>,
    /// Whether the base image runs as root when no `USER` is set.
    base_root: bool,
    healthcheck: Option<NodeId>,
    expose: Vec<NodeId>,
    env: Vec<(String, NodeId)>,
    env_vars: Vars,
    cmd: Option<NodeId>,
    entrypoint: Option<NodeId>,
    workdir: Option<NodeId>,
}

/// A stage being read: its FROM facts plus the facts its instructions add.
struct Draft {
    index: usize,
    from: Range<usize>,
    name: Option<(String, Range<usize>)>,
    base: NodeId,
    facts: Facts,
    /// ARGs are scoped to their stage and not inherited by child stages.
    args: Vars,
    instructions: Vec<NodeId>,
}

struct Builder<'t> {
    file: FileId,
    text: &'t str,
    body: &'t str,
    shift: usize,
    escape: char,
    stage_count: usize,
    tree: Tree,
    global_args: Vars,
    finished: Vec<(Option<String>, Facts)>,
    /// Heredocs blanked before parsing: (instruction start, end of its last delimiter line).
    extends: Vec<(usize, usize)>,
}

impl<'t> Builder<'t> {
    fn new(
        file: FileId,
        text: &'t str,
        body: &'t str,
        shift: usize,
        dockerfile: &Dockerfile<'_>,
    ) -> Builder<'t> {
        let escape = dockerfile
            .parser_directives
            .escape
            .as_ref()
            .map_or('\\', |d| d.value.value);
        Builder {
            file,
            text,
            body,
            shift,
            escape,
            stage_count: dockerfile.stages().len(),
            tree: Tree::new(),
            global_args: Vars::new(),
            finished: Vec::new(),
            extends: Vec::new(),
        }
    }

    fn document(mut self, dockerfile: &Dockerfile<'_>) -> Document {
        let root = self.tree.map(Some(Loc::new(self.file, 0, self.text.len())));
        let directives = self.directives(&dockerfile.parser_directives);
        let args = self.tree.seq(None);
        let stages = self.tree.seq(None);
        let instructions = self.tree.seq(None);
        let mut current: Option<Draft> = None;
        let mut last_stage = None;
        for instruction in &dockerfile.instructions {
            if let Instruction::From(from) = instruction {
                if let Some(done) = current.take() {
                    let id = self.finish(done);
                    self.tree.push(stages, id);
                }
                current = Some(self.start(from));
            }
            let stage = current.as_ref().map(|d| d.index);
            let Some(node) = self.instruction(instruction, stage) else {
                continue;
            };
            self.tree.push(instructions, node);
            match current.as_mut() {
                Some(draft) => {
                    draft.instructions.push(node);
                    self.apply(draft, instruction);
                }
                None => self.global_arg(instruction, args),
            }
        }
        if let Some(done) = current.take() {
            let id = self.finish(done);
            self.tree.push(stages, id);
            last_stage = Some(id);
        }
        self.tree.insert(root, "directives", directives);
        self.tree.insert(root, "args", args);
        self.tree.insert(root, "stages", stages);
        if let Some(id) = last_stage {
            self.tree.insert(root, "final", id);
        }
        self.tree.insert(root, "instructions", instructions);
        Document::new(DocKind::Dockerfile, self.file, self.tree, root)
    }

    fn loc(&self, span: Range<usize>) -> Option<Loc> {
        Some(Loc::new(
            self.file,
            span.start + self.shift,
            span.end + self.shift,
        ))
    }

    /// Location of a part of an unescaped string; the whole string's when line continuations
    /// make the unescaped text differ from the source.
    fn part_loc(&self, s: &UnescapedString<'_>, offset: usize, len: usize) -> Option<Loc> {
        if self.body.get(s.span.clone()) == Some(&*s.value) {
            let start = s.span.start + offset;
            self.loc(start..start + len)
        } else {
            self.loc(s.span.clone())
        }
    }

    fn str_at(&mut self, text: &str, span: Range<usize>) -> NodeId {
        let loc = self.loc(span);
        self.tree.str(text, loc)
    }

    fn directives(&mut self, directives: &ParserDirectives<'_>) -> NodeId {
        let map = self.tree.map(None);
        if let Some(syntax) = &directives.syntax {
            let node = self.str_at(syntax.value.value, syntax.value.span.clone());
            self.tree.insert(map, "syntax", node);
        }
        if let Some(escape) = &directives.escape {
            let node = self.str_at(&escape.value.value.to_string(), escape.value.span.clone());
            self.tree.insert(map, "escape", node);
        }
        if let Some(check) = &directives.check {
            let node = self.str_at(check.value.value, check.value.span.clone());
            self.tree.insert(map, "check", node);
        }
        map
    }

    // ---- instructions ------------------------------------------------------------------------

    fn instruction(
        &mut self,
        instruction: &Instruction<'_>,
        stage: Option<usize>,
    ) -> Option<NodeId> {
        let (keyword, kw) = keyword(instruction)?;
        let span = self.instruction_span(instruction, kw);
        let node = self.tree.map(self.loc(span.clone()));
        let keyword_node = self.str_at(keyword, kw.span.clone());
        self.tree.insert(node, "keyword", keyword_node);
        let raw = self.body.get(kw.span.end..span.end).unwrap_or("");
        let text_start = span.end - raw.trim_start().len();
        let text = self.str_at(raw.trim_start(), text_start..span.end);
        self.tree.insert(node, "text", text);
        let stage = match stage {
            Some(i) => self.tree.int(i64::try_from(i).unwrap_or(i64::MAX), None),
            None => self.tree.null(None),
        };
        self.tree.insert(node, "stage", stage);
        self.instruction_extras(node, instruction);
        Some(node)
    }

    fn instruction_extras(&mut self, node: NodeId, instruction: &Instruction<'_>) {
        let command = match instruction {
            Instruction::Run(run) => Some(&run.arguments),
            Instruction::Cmd(cmd) => Some(&cmd.arguments),
            Instruction::Entrypoint(entrypoint) => Some(&entrypoint.arguments),
            Instruction::Onbuild(onbuild) => {
                if let Some((trigger, kw)) = keyword(&onbuild.instruction) {
                    let trigger = self.str_at(trigger, kw.span.clone());
                    self.tree.insert(node, "trigger", trigger);
                }
                None
            }
            _ => None,
        };
        if let Some(form) = command.and_then(form) {
            let form = self.tree.str(form, None);
            self.tree.insert(node, "form", form);
        }
    }

    /// Keyword start to the end of the instruction's last line — which, for a heredoc, is the
    /// line of its closing delimiter.
    fn instruction_span(&self, instruction: &Instruction<'_>, kw: &Keyword) -> Range<usize> {
        let blanked = self
            .extends
            .iter()
            .find(|(start, _)| *start == kw.span.start)
            .map_or(0, |(_, end)| *end);
        let last = last_end(instruction).max(kw.span.end).max(blanked);
        let rest = self.body.get(last..).unwrap_or("");
        let line = rest.split('\n').next().unwrap_or("");
        kw.span.start..last + line.trim_end().len()
    }

    // ---- global ARGs -------------------------------------------------------------------------

    fn global_arg(&mut self, instruction: &Instruction<'_>, args: NodeId) {
        let Instruction::Arg(arg) = instruction else {
            return;
        };
        let span = self.instruction_span(instruction, &arg.arg);
        for (name, value) in self.arg_values(&arg.arguments, &[]) {
            let entry = self.tree.map(self.loc(span.clone()));
            let name_node = self.str_at(&name, span.clone());
            self.tree.insert(entry, "name", name_node);
            let value_node = match &value {
                Some(v) => self.str_at(v, span.clone()),
                None => self.tree.null(self.loc(span.clone())),
            };
            self.tree.insert(entry, "value", value_node);
            self.tree.push(args, entry);
            match value {
                Some(v) => self.global_args.insert(name, v),
                None => self.global_args.remove(&name),
            };
        }
    }

    /// `ARG a=1 b` → `[("a", Some("1")), ("b", None)]`; a default may use the ARGs before it.
    fn arg_values(
        &self,
        arguments: &UnescapedString<'_>,
        scopes: &[&Vars],
    ) -> Vec<(String, Option<String>)> {
        let mut known = self.global_args.clone();
        let mut out = Vec::new();
        for (_, word) in split_words(&arguments.value, self.escape) {
            let (name, value) = match word.split_once('=') {
                Some((name, raw)) => {
                    let mut all: Vec<&Vars> = scopes.to_vec();
                    all.push(&known);
                    (name.to_string(), Some(expand(raw, &all, self.escape).text))
                }
                None => (word.to_string(), None),
            };
            if let Some(v) = &value {
                known.insert(name.clone(), v.clone());
            }
            out.push((name, value));
        }
        out
    }

    // ---- stages ------------------------------------------------------------------------------

    fn start(&mut self, from: &FromInstruction<'_>) -> Draft {
        let index = self.finished.len();
        let expanded = expand(&from.image.value, &[&self.global_args], self.escape);
        let parent = (!expanded.unresolved)
            .then(|| self.stage_named(&expanded.text))
            .flatten();
        let span = self.instruction_span_of_from(from);
        let base = self.base(from, &expanded.text, expanded.unresolved, parent);
        let facts = match parent {
            Some(i) => self.finished[i].1.clone(),
            None => Facts {
                base_root: !known_non_root(&expanded.text, expanded.unresolved),
                ..Facts::default()
            },
        };
        Draft {
            index,
            from: span,
            name: from
                .as_
                .as_ref()
                .map(|(_, name)| (name.value.to_string(), name.span.clone())),
            base,
            facts,
            args: Vars::new(),
            instructions: Vec::new(),
        }
    }

    fn instruction_span_of_from(&self, from: &FromInstruction<'_>) -> Range<usize> {
        let end = from
            .as_
            .as_ref()
            .map_or(from.image.span.end, |(_, name)| name.span.end);
        from.from.span.start..end
    }

    /// BuildKit matches stage names case-insensitively, and only earlier stages.
    fn stage_named(&self, image: &str) -> Option<usize> {
        self.finished.iter().position(|(name, _)| {
            name.as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case(image))
        })
    }

    fn base(
        &mut self,
        from: &FromInstruction<'_>,
        image: &str,
        unresolved: bool,
        parent: Option<usize>,
    ) -> NodeId {
        let span = from.image.span.clone();
        let loc = self.loc(span.clone());
        let node = self.tree.map(loc);
        let scratch = parent.is_none() && image.eq_ignore_ascii_case("scratch");
        let reference = match (parent, scratch) {
            (None, false) => ImageRef::parse(image),
            (None, true) => ImageRef {
                repository: "scratch".into(),
                ..ImageRef::default()
            },
            (Some(_), _) => ImageRef::default(),
        };
        let pinned = !unresolved && (parent.is_some() || scratch || reference.pinned());
        let stage = parent.and_then(|i| self.finished[i].0.clone());
        let raw = from.image.value.to_string();
        self.put_str(node, "raw", Some(raw), loc);
        self.put_str(node, "image", Some(image.to_string()), loc);
        let repository = (parent.is_none()).then_some(reference.repository);
        self.put_str(node, "registry", reference.registry, loc);
        self.put_str(node, "repository", repository, loc);
        self.put_str(node, "tag", reference.tag, loc);
        self.put_str(node, "digest", reference.digest, loc);
        self.put_str(node, "stage", stage, loc);
        self.put_bool(node, "scratch", scratch, loc);
        self.put_bool(node, "pinned", pinned, loc);
        self.put_bool(node, "unresolved", unresolved, loc);
        node
    }

    fn put_str(&mut self, map: NodeId, key: &str, value: Option<String>, loc: Option<Loc>) {
        let node = match value {
            Some(v) => self.tree.str(v, loc),
            None => self.tree.null(loc),
        };
        self.tree.insert(map, key, node);
    }

    fn put_bool(&mut self, map: NodeId, key: &str, value: bool, loc: Option<Loc>) {
        let node = self.tree.bool(value, loc);
        self.tree.insert(map, key, node);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn final_stage(text: &str) -> (Tree, NodeId) {
        let parsed = parse(0, text);
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        let doc = parsed.documents.into_iter().next().expect("one document");
        let stage = doc.tree.get(doc.root, "final").expect("final stage");
        (doc.tree, stage)
    }

    fn stage_str(text: &str, path: &str) -> Option<String> {
        let (tree, stage) = final_stage(text);
        let id = tree.lookup(stage, path)?;
        tree.scalar_text(id).map(|s| s.into_owned())
    }

    #[test]
    fn from_expands_global_args() {
        let text = "ARG V=20\nARG D\nFROM node:${V}-${D:-alpine}\n";
        assert_eq!(
            stage_str(text, "base.image").as_deref(),
            Some("node:20-alpine")
        );
        assert_eq!(stage_str(text, "base.tag").as_deref(), Some("20-alpine"));
        assert_eq!(stage_str(text, "base.unresolved").as_deref(), Some("false"));
        let unresolved = "ARG V\nFROM node:$V\n";
        assert_eq!(
            stage_str(unresolved, "base.unresolved").as_deref(),
            Some("true")
        );
        assert_eq!(
            stage_str(unresolved, "base.pinned").as_deref(),
            Some("false")
        );
    }

    #[test]
    fn user_expands_env_and_stage_args() {
        let text = "FROM alpine:3\nARG UID=1000\nENV APP_USER=app\nUSER ${APP_USER}:${UID}\n";
        assert_eq!(stage_str(text, "user").as_deref(), Some("app:1000"));
        assert_eq!(stage_str(text, "root").as_deref(), Some("false"));
    }

    #[test]
    fn root_follows_user_base_and_parent_stage() {
        let root = |text: &str| stage_str(text, "root");
        assert_eq!(root("FROM alpine:3\n").as_deref(), Some("true"));
        assert_eq!(root("FROM scratch\n").as_deref(), Some("true"));
        assert_eq!(
            root("FROM alpine:3\nUSER 0:1000\n").as_deref(),
            Some("true")
        );
        assert_eq!(
            root("FROM alpine:3\nUSER 1000:0\n").as_deref(),
            Some("false")
        );
        assert_eq!(
            root("FROM gcr.io/distroless/static:nonroot\n").as_deref(),
            Some("false")
        );
        let inherited = "FROM alpine:3 AS base\nUSER app\nFROM base\nRUN true\n";
        assert_eq!(root(inherited).as_deref(), Some("false"));
        assert_eq!(stage_str(inherited, "user").as_deref(), Some("app"));
        assert_eq!(stage_str(inherited, "base.stage").as_deref(), Some("base"));
    }

    #[test]
    fn errors_point_into_the_file() {
        let parsed = parse(0, "\u{feff}FROM alpine\nBOGUS x\n");
        let span = parsed.errors.first().and_then(|e| e.span).expect("span");
        assert_eq!(span.start as usize, "\u{feff}FROM alpine\n".len());
    }
}
