//! The template executor: runs parsed templates over values with Go text/template semantics
//! (Helm's `missingkey=zero`), writing text whose every byte keeps its origin.

use std::collections::HashMap;
use std::rc::Rc;

use super::RenderError;
use super::funcs;
use super::lex;
use super::origins::Text;
use super::parse::{self, Arg, Cmd, Node, Pipe};
use super::value::{V, Val};
use crate::source::Loc;

/// Rendered output of one run may not grow past this (a template loop doubling a string).
pub const MAX_OUTPUT: usize = 16 << 20;
/// Nested `include`/`template`/`tpl` calls deeper than this are a loop.
pub const MAX_DEPTH: usize = 100;
/// Range iterations over all templates of one chart, against `range` over a huge integer.
const MAX_STEPS: u64 = 10_000_000;

/// Template source: its name (`chart/templates/x.yaml`) and text with origins (a file is exact
/// text of itself; a `tpl` string keeps the origins of the string).
#[derive(Debug)]
pub struct Source {
    pub name: String,
    pub text: Text,
    /// Where an action with no better origin points.
    pub fallback: Loc,
}

impl Source {
    pub fn loc(&self, range: std::ops::Range<usize>) -> Loc {
        self.text.loc_at(range).unwrap_or(self.fallback)
    }
}

#[derive(Clone, Debug)]
pub struct Tmpl {
    pub body: Rc<Vec<Node>>,
    pub src: Rc<Source>,
}

enum Flow {
    Normal,
    Break,
    Continue,
}

type Vars = Vec<(String, Val)>;
pub type Res<T> = Result<T, RenderError>;

pub fn error(message: impl Into<String>, loc: Loc) -> RenderError {
    RenderError {
        message: message.into(),
        loc: Some(loc),
    }
}

/// The state of rendering one chart: the shared template namespace and the budgets.
#[derive(Default)]
pub struct Ctx {
    pub templates: HashMap<String, Tmpl>,
    depth: usize,
    steps: u64,
}

/// Parses `src` and adds its `define`s to the namespace (a later definition wins, as in Helm
/// where the parent chart's templates are parsed last); returns the body.
pub fn load(ctx: &mut Ctx, src: Rc<Source>) -> Res<Rc<Vec<Node>>> {
    let at = |offset: usize, src: &Source| src.loc(offset..offset + 1);
    let items = lex::split(src.text.as_str()).map_err(|e| {
        error(
            format!("parse error in {}: {}", src.name, e.message),
            at(e.at, &src),
        )
    })?;
    let parsed = parse::parse(items).map_err(|e| {
        error(
            format!("parse error in {}: {}", src.name, e.message),
            at(e.at, &src),
        )
    })?;
    for (name, body) in parsed.defines {
        ctx.templates.insert(
            name,
            Tmpl {
                body: Rc::new(body),
                src: src.clone(),
            },
        );
    }
    Ok(Rc::new(parsed.body))
}

impl Ctx {
    /// Runs `body` with `dot` (also `$`) and returns what it wrote.
    pub fn run(&mut self, body: &[Node], src: &Rc<Source>, dot: &Val, at: Loc) -> Res<Text> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            self.depth -= 1;
            return Err(error(
                format!("template nesting deeper than {MAX_DEPTH} (a recursive include?)"),
                at,
            ));
        }
        let mut vars = vec![("$".to_owned(), dot.clone())];
        let mut out = Text::default();
        let result = self.list(body, src, dot, &mut vars, &mut out);
        self.depth -= 1;
        result.map(|_| out)
    }

    /// `include`/`template`: runs the named template.
    pub fn call_template(&mut self, name: &str, dot: &Val, at: Loc) -> Res<Text> {
        let Some(t) = self.templates.get(name).cloned() else {
            return Err(error(format!("template {name:?} not defined"), at));
        };
        self.run(&t.body, &t.src, dot, at)
    }

    /// `tpl`: parses `text` as a template and runs it.
    pub fn tpl(&mut self, text: &Text, dot: &Val, name: &str, at: Loc) -> Res<Text> {
        let src = Rc::new(Source {
            name: name.to_owned(),
            text: text.clone(),
            fallback: at,
        });
        let body = load(self, src.clone())?;
        self.run(&body, &src, dot, at)
    }

    fn list(
        &mut self,
        nodes: &[Node],
        src: &Rc<Source>,
        dot: &Val,
        vars: &mut Vars,
        out: &mut Text,
    ) -> Res<Flow> {
        for node in nodes {
            match self.node(node, src, dot, vars, out)? {
                Flow::Normal => {}
                flow => return Ok(flow),
            }
            if out.len() > MAX_OUTPUT {
                return Err(error(
                    format!("rendered output larger than {MAX_OUTPUT} bytes"),
                    src.fallback,
                ));
            }
        }
        Ok(Flow::Normal)
    }

    fn node(
        &mut self,
        node: &Node,
        src: &Rc<Source>,
        dot: &Val,
        vars: &mut Vars,
        out: &mut Text,
    ) -> Res<Flow> {
        match node {
            Node::Text(r) => out.push(&src.text.slice(r.clone())),
            Node::Action(pipe) => {
                let v = self.pipe(pipe, src, dot, vars)?;
                if pipe.vars.is_empty() {
                    let at = src.loc(pipe.span.clone());
                    let mut t = v.to_text(at, "");
                    t.fill(at);
                    out.push(&t);
                }
            }
            Node::If(branches, otherwise) | Node::With(branches, otherwise) => {
                let is_with = matches!(node, Node::With(..));
                let mark = vars.len();
                for (cond, body) in branches {
                    let v = self.pipe(cond, src, dot, vars)?;
                    if v.truthy() {
                        let inner = if is_with { &v } else { dot };
                        let flow = self.list(body, src, inner, vars, out);
                        vars.truncate(mark);
                        return flow;
                    }
                }
                let flow = self.list(otherwise, src, dot, vars, out);
                vars.truncate(mark);
                return flow;
            }
            Node::Range(pipe, body, otherwise) => {
                return self.range(pipe, body, otherwise, src, dot, vars, out);
            }
            Node::Template(name, pipe, span) => {
                let data = match pipe {
                    Some(p) => self.pipe(p, src, dot, vars)?,
                    None => Val::nil(),
                };
                let t = self.call_template(name, &data, src.loc(span.clone()))?;
                out.push(&t);
            }
            Node::Break => return Ok(Flow::Break),
            Node::Continue => return Ok(Flow::Continue),
        }
        Ok(Flow::Normal)
    }

    #[allow(clippy::too_many_arguments)]
    fn range(
        &mut self,
        pipe: &Pipe,
        body: &[Node],
        otherwise: &[Node],
        src: &Rc<Source>,
        dot: &Val,
        vars: &mut Vars,
        out: &mut Text,
    ) -> Res<Flow> {
        let mark = vars.len();
        // The declared variables are the range's, not the pipeline's result.
        let plain = Pipe {
            vars: Vec::new(),
            assign: false,
            cmds: pipe.cmds.clone(),
            span: pipe.span.clone(),
        };
        let v = self.pipe(&plain, src, dot, vars)?;
        let at = src.loc(pipe.span.clone());
        let pairs: Vec<(Val, Val)> = match &v.v {
            V::List(items) => items
                .iter()
                .enumerate()
                .map(|(i, item)| (Val::int(i as i64), item.clone()))
                .collect(),
            V::Map(m) => m
                .borrow()
                .iter()
                .map(|(k, item)| {
                    (
                        Val::at(
                            V::Str(Text::new(k.clone(), item.key_loc.unwrap_or(at))),
                            item.key_loc,
                        ),
                        item.clone(),
                    )
                })
                .collect(),
            V::Int(n) => {
                if (*n as u64) > MAX_STEPS {
                    return Err(error("range over too large an integer", at));
                }
                (0..(*n).max(0))
                    .map(|i| (Val::int(i), Val::int(i)))
                    .collect()
            }
            V::Nil => Vec::new(),
            _ => {
                return Err(error(
                    format!("range can't iterate over {}", v.go_string("<nil>")),
                    at,
                ));
            }
        };
        if pairs.is_empty() {
            let flow = self.list(otherwise, src, dot, vars, out);
            vars.truncate(mark);
            return flow.map(|_| Flow::Normal);
        }
        for (key, item) in pairs {
            self.steps += 1;
            if self.steps > MAX_STEPS {
                return Err(error("too many range iterations", at));
            }
            vars.truncate(mark);
            match pipe.vars.as_slice() {
                [v] => vars.push((v.clone(), item.clone())),
                [k, v] => {
                    vars.push((k.clone(), key));
                    vars.push((v.clone(), item.clone()));
                }
                _ => {}
            }
            match self.list(body, src, &item, vars, out)? {
                Flow::Break => break,
                Flow::Normal | Flow::Continue => {}
            }
        }
        vars.truncate(mark);
        Ok(Flow::Normal)
    }

    pub fn pipe(&mut self, pipe: &Pipe, src: &Rc<Source>, dot: &Val, vars: &mut Vars) -> Res<Val> {
        let mut prev = None;
        for cmd in &pipe.cmds {
            prev = Some(self.cmd(cmd, src, dot, vars, prev)?);
        }
        let v = prev.unwrap_or_else(Val::nil);
        for name in &pipe.vars {
            if pipe.assign {
                match vars.iter_mut().rev().find(|(n, _)| n == name) {
                    Some(slot) => slot.1 = v.clone(),
                    None => {
                        return Err(error(
                            format!("undefined variable: {name}"),
                            src.loc(pipe.span.clone()),
                        ));
                    }
                }
            } else {
                vars.push((name.clone(), v.clone()));
            }
        }
        Ok(v)
    }

    fn cmd(
        &mut self,
        cmd: &Cmd,
        src: &Rc<Source>,
        dot: &Val,
        vars: &mut Vars,
        prev: Option<Val>,
    ) -> Res<Val> {
        let at = src.loc(cmd.span.clone());
        let Some(first) = cmd.args.first() else {
            return Err(error("empty command", at));
        };
        let rest = cmd.args.get(1..).unwrap_or_default();
        match first {
            Arg::Func(name) => {
                // `and`/`or` stop at the first deciding argument, as in Go 1.18+.
                if name == "and" || name == "or" {
                    return self.and_or(name == "and", rest, src, dot, vars, prev, at);
                }
                let mut args = Vec::with_capacity(rest.len() + 1);
                for a in rest {
                    args.push(self.arg(a, src, dot, vars, at)?);
                }
                args.extend(prev);
                let v = funcs::call(self, name, args, &src.name, at)?;
                // A string doubled in a loop grows without bound before any output.
                if v.as_text_len() > MAX_OUTPUT {
                    return Err(error(
                        format!("{name}: result larger than {MAX_OUTPUT} bytes"),
                        at,
                    ));
                }
                Ok(v)
            }
            Arg::Dot(fields) | Arg::Var(_, fields) | Arg::Sub(_, fields)
                if !fields.is_empty() && (!rest.is_empty() || prev.is_some()) =>
            {
                // A method call: the last field names a method of the object before it.
                let receiver = match first {
                    Arg::Dot(_) => dot.clone(),
                    Arg::Var(name, _) => self.var(name, vars, at)?,
                    Arg::Sub(p, _) => self.pipe(p, src, dot, vars)?,
                    _ => Val::nil(),
                };
                let (last, path) = fields.split_last().unwrap_or((&fields[0], &[]));
                let obj = chain(receiver, path, at)?;
                let mut args = Vec::with_capacity(rest.len() + 1);
                for a in rest {
                    args.push(self.arg(a, src, dot, vars, at)?);
                }
                args.extend(prev);
                funcs::method(&obj, last, args, at)
            }
            _ => {
                if !rest.is_empty() || prev.is_some() {
                    return Err(error("can't give argument to non-function", at));
                }
                self.arg(first, src, dot, vars, at)
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn and_or(
        &mut self,
        is_and: bool,
        args: &[Arg],
        src: &Rc<Source>,
        dot: &Val,
        vars: &mut Vars,
        prev: Option<Val>,
        at: Loc,
    ) -> Res<Val> {
        if args.is_empty() && prev.is_none() {
            return Err(error("wrong number of args: want at least 1 got 0", at));
        }
        let mut last = Val::nil();
        for a in args {
            last = self.arg(a, src, dot, vars, at)?;
            if last.truthy() != is_and {
                return Ok(last);
            }
        }
        Ok(prev.unwrap_or(last))
    }

    fn var(&self, name: &str, vars: &Vars, at: Loc) -> Res<Val> {
        match vars.iter().rev().find(|(n, _)| n == name) {
            Some((_, v)) => Ok(v.clone()),
            None => Err(error(format!("undefined variable: {name}"), at)),
        }
    }

    fn arg(
        &mut self,
        arg: &Arg,
        src: &Rc<Source>,
        dot: &Val,
        vars: &mut Vars,
        at: Loc,
    ) -> Res<Val> {
        let literal = |v: V| Ok(Val::new(v));
        match arg {
            Arg::Dot(fields) => chain(dot.clone(), fields, at),
            Arg::Var(name, fields) => {
                let v = self.var(name, vars, at)?;
                chain(v, fields, at)
            }
            Arg::Sub(p, fields) => {
                let v = self.pipe(p, src, dot, vars)?;
                chain(v, fields, at)
            }
            Arg::Func(name) => funcs::call(self, name, Vec::new(), &src.name, at),
            Arg::Str(s) => Ok(Val::str(s.clone(), at)),
            Arg::Int(i) => literal(V::Int(*i)),
            Arg::Float(f) => literal(V::Float(*f)),
            Arg::Bool(b) => literal(V::Bool(*b)),
            Arg::Nil => literal(V::Nil),
        }
    }
}

/// Follows `.a.b` from `v`. A missing key is nil (Helm's `missingkey=zero`); a field of nil is
/// Go's "nil pointer" error.
pub fn chain(mut v: Val, fields: &[String], at: Loc) -> Res<Val> {
    for f in fields {
        v = match &v.v {
            V::Map(m) => m.borrow().get(f).cloned().unwrap_or_else(Val::nil),
            V::Files(_) | V::ApiVersions => funcs::method(&v, f, Vec::new(), at)?,
            V::Nil => {
                return Err(error(
                    format!("nil pointer evaluating interface {{}}.{f}"),
                    at,
                ));
            }
            _ => {
                return Err(error(
                    format!("can't evaluate field {f} in type {}", v.type_name()),
                    at,
                ));
            }
        };
    }
    Ok(v)
}
