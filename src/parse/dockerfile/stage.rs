//! What each instruction adds to its stage's facts (USER, ENV, EXPOSE, HEALTHCHECK, CMD, …),
//! and a finished stage as a document node.

use std::ops::Range;

use parse_dockerfile::{
    Command, Flag, HealthcheckArguments, HealthcheckInstruction, Instruction, Keyword,
    UnescapedString,
};

use super::expand::{expand, split_words};
use super::image::is_root_user;
use super::spans::{command_span, command_text, form};
use super::{Builder, Draft, Facts};
use crate::model::NodeId;

impl Builder<'_> {
    pub(super) fn finish(&mut self, draft: Draft) -> NodeId {
        let node = self.tree.map(self.loc(draft.from.clone()));
        let index = self
            .tree
            .int(i64::try_from(draft.index).unwrap_or(i64::MAX), None);
        self.tree.insert(node, "index", index);
        let name = match &draft.name {
            Some((name, span)) => self.str_at(name, span.clone()),
            None => self.tree.null(None),
        };
        self.tree.insert(node, "name", name);
        self.put_bool(node, "is_final", draft.index + 1 == self.stage_count, None);
        self.tree.insert(node, "base", draft.base);
        self.finish_user(node, &draft.facts);
        self.finish_facts(node, &draft.facts);
        let instructions = self.tree.seq(None);
        for id in &draft.instructions {
            self.tree.push(instructions, *id);
        }
        self.tree.insert(node, "instructions", instructions);
        self.finished
            .push((draft.name.map(|(name, _)| name), draft.facts));
        node
    }

    pub(super) fn finish_user(&mut self, node: NodeId, facts: &Facts) {
        let (user, root) = match &facts.user {
            Some((user, span)) => (self.str_at(user, span.clone()), is_root_user(user)),
            None => (self.tree.null(None), facts.base_root),
        };
        self.tree.insert(node, "user", user);
        self.put_bool(node, "root", root, None);
    }

    pub(super) fn finish_facts(&mut self, node: NodeId, facts: &Facts) {
        if let Some(healthcheck) = facts.healthcheck {
            self.tree.insert(node, "healthcheck", healthcheck);
        }
        let expose = self.tree.seq(None);
        for port in &facts.expose {
            self.tree.push(expose, *port);
        }
        self.tree.insert(node, "expose", expose);
        let env = self.tree.map(None);
        // `env_list` lets rules look at names as well as values (`[*]` on a map yields values).
        let env_list = self.tree.seq(None);
        for (name, value) in &facts.env {
            self.tree.insert(env, name, *value);
            let loc = self.tree.loc(*value);
            let item = self.tree.map(loc);
            let name_node = self.tree.str(name.as_str(), loc);
            self.tree.insert(item, "name", name_node);
            self.tree.insert(item, "value", *value);
            self.tree.push(env_list, item);
        }
        self.tree.insert(node, "env", env);
        self.tree.insert(node, "env_list", env_list);
        for (key, value) in [
            ("cmd", facts.cmd),
            ("entrypoint", facts.entrypoint),
            ("workdir", facts.workdir),
        ] {
            let value = value.unwrap_or_else(|| self.tree.null(None));
            self.tree.insert(node, key, value);
        }
    }

    // ---- what each instruction does to its stage -----------------------------------------------

    pub(super) fn apply(&mut self, draft: &mut Draft, instruction: &Instruction<'_>) {
        match instruction {
            Instruction::Arg(arg) => self.stage_arg(draft, &arg.arguments),
            Instruction::Env(env) => self.env(draft, &env.arguments, &env.env),
            Instruction::User(user) => {
                let scopes = [&draft.facts.env_vars, &draft.args];
                let value = expand(&user.arguments.value, &scopes, self.escape).text;
                draft.facts.user = Some((value, user.arguments.span.clone()));
            }
            Instruction::Workdir(workdir) => {
                let node = self.str_at(&workdir.arguments.value, workdir.arguments.span.clone());
                draft.facts.workdir = Some(node);
            }
            Instruction::Expose(expose) => {
                for port in &expose.arguments {
                    let node = self.port(draft, port);
                    draft.facts.expose.push(node);
                }
            }
            Instruction::Healthcheck(healthcheck) => {
                let span = self.instruction_span(instruction, &healthcheck.healthcheck);
                draft.facts.healthcheck = Some(self.healthcheck(healthcheck, span));
            }
            Instruction::Cmd(cmd) => {
                let span = self.instruction_span(instruction, &cmd.cmd);
                draft.facts.cmd = Some(self.command(&cmd.arguments, span));
            }
            Instruction::Entrypoint(entrypoint) => {
                let span = self.instruction_span(instruction, &entrypoint.entrypoint);
                draft.facts.entrypoint = Some(self.command(&entrypoint.arguments, span));
            }
            _ => {}
        }
    }

    pub(super) fn stage_arg(&mut self, draft: &mut Draft, arguments: &UnescapedString<'_>) {
        let scopes = [&draft.facts.env_vars, &draft.args];
        for (name, value) in self.arg_values(arguments, &scopes) {
            // `ARG NAME` inside a stage brings a global ARG's default into scope.
            match value.or_else(|| self.global_args.get(&name).cloned()) {
                Some(v) => draft.args.insert(name, v),
                None => draft.args.remove(&name),
            };
        }
    }

    pub(super) fn env(&mut self, draft: &mut Draft, arguments: &UnescapedString<'_>, kw: &Keyword) {
        let words = split_words(&arguments.value, self.escape);
        let legacy = words.first().is_some_and(|(_, w)| !w.contains('='));
        let pairs: Vec<(String, usize, &str)> = if legacy {
            // `ENV NAME value with spaces`: everything after the name is the value.
            let Some((_, name)) = words.first() else {
                return;
            };
            let rest = arguments.value[name.len()..].trim_start();
            let offset = arguments.value.len() - rest.len();
            vec![(name.to_string(), offset, rest)]
        } else {
            words
                .iter()
                .filter_map(|(offset, word)| {
                    let (name, raw) = word.split_once('=')?;
                    Some((name.to_string(), offset + name.len() + 1, raw))
                })
                .collect()
        };
        for (name, offset, raw) in pairs {
            let scopes = [&draft.facts.env_vars, &draft.args];
            let value = expand(raw, &scopes, self.escape).text;
            let loc = if raw.is_empty() {
                self.loc(kw.span.clone())
            } else {
                self.part_loc(arguments, offset, raw.len())
            };
            let node = self.tree.str(value.as_str(), loc);
            draft.facts.env.retain(|(n, _)| *n != name);
            draft.facts.env.push((name.clone(), node));
            draft.facts.env_vars.insert(name, value);
        }
    }

    pub(super) fn port(&mut self, draft: &Draft, word: &UnescapedString<'_>) -> NodeId {
        let loc = self.loc(word.span.clone());
        let node = self.tree.map(loc);
        let scopes = [&draft.facts.env_vars, &draft.args];
        let expanded = expand(&word.value, &scopes, self.escape);
        let (ports, protocol) = match expanded.text.split_once('/') {
            Some((ports, protocol)) => (ports.to_string(), protocol.to_ascii_lowercase()),
            None => (expanded.text.clone(), "tcp".to_string()),
        };
        let (first, last) = match ports.split_once('-') {
            Some((first, last)) => (first, Some(last)),
            None => (ports.as_str(), None),
        };
        let number = |s: &str| {
            s.trim()
                .parse::<u16>()
                .ok()
                .filter(|_| !expanded.unresolved)
        };
        let port = match number(first) {
            Some(p) => self.tree.int(i64::from(p), loc),
            None => self.tree.null(loc),
        };
        self.tree.insert(node, "port", port);
        if let Some(last) = last {
            let end = match number(last) {
                Some(p) => self.tree.int(i64::from(p), loc),
                None => self.tree.null(loc),
            };
            self.tree.insert(node, "end", end);
        }
        self.put_str(node, "protocol", Some(protocol), loc);
        self.put_str(node, "raw", Some(word.value.to_string()), loc);
        node
    }

    pub(super) fn healthcheck(
        &mut self,
        healthcheck: &HealthcheckInstruction<'_>,
        span: Range<usize>,
    ) -> NodeId {
        let loc = self.loc(span);
        let node = self.tree.map(loc);
        let HealthcheckArguments::Cmd { arguments, .. } = &healthcheck.arguments else {
            self.put_bool(node, "none", true, loc);
            return node;
        };
        self.put_bool(node, "none", false, loc);
        let test = command_text(arguments).unwrap_or_default();
        let test = self.str_at(&test, command_span(arguments));
        self.tree.insert(node, "test", test);
        for flag in &healthcheck.options {
            self.healthcheck_option(node, flag);
        }
        node
    }

    pub(super) fn healthcheck_option(&mut self, node: NodeId, flag: &Flag<'_>) {
        let Some(value) = &flag.value else {
            return;
        };
        let key = flag.name.value.replace('-', "_");
        let loc = self.loc(value.span.clone());
        let value_node = match (key.as_str(), value.value.trim().parse::<i64>()) {
            ("retries", Ok(n)) => self.tree.int(n, loc),
            _ => self.tree.str(&*value.value, loc),
        };
        self.tree.insert(node, &key, value_node);
    }

    pub(super) fn command(&mut self, command: &Command<'_>, span: Range<usize>) -> NodeId {
        let node = self.tree.map(self.loc(span));
        if let Some(form) = form(command) {
            let form = self.tree.str(form, None);
            self.tree.insert(node, "form", form);
        }
        if let Command::Exec(array) = command {
            let args = self.tree.seq(self.loc(array.span.clone()));
            for arg in &array.value {
                let item = self.str_at(&arg.value, arg.span.clone());
                self.tree.push(args, item);
            }
            self.tree.insert(node, "args", args);
        }
        let text = command_text(command).unwrap_or_default();
        let text = self.str_at(&text, command_span(command));
        self.tree.insert(node, "text", text);
        node
    }
}
