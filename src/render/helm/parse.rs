//! Go text/template parser: items from the lexer → a tree of nodes, plus the `define`d (and
//! `block`) templates found on the way.

use std::ops::Range;

use super::lex::{Item, Tok, Token};

#[derive(Debug, Clone)]
pub enum Node {
    Text(Range<usize>),
    Action(Pipe),
    /// `if`/`else if` branches in order, then the `else` body.
    If(Vec<(Pipe, Vec<Node>)>, Vec<Node>),
    Range(Pipe, Vec<Node>, Vec<Node>),
    With(Vec<(Pipe, Vec<Node>)>, Vec<Node>),
    Template(String, Option<Pipe>, Range<usize>),
    Break,
    Continue,
}

#[derive(Debug, Clone)]
pub struct Pipe {
    /// Variables declared (`:=`) or assigned (`=`) by the pipeline.
    pub vars: Vec<String>,
    pub assign: bool,
    pub cmds: Vec<Cmd>,
    /// The whole action, `{{` to `}}`.
    pub span: Range<usize>,
}

#[derive(Debug, Clone)]
pub struct Cmd {
    pub args: Vec<Arg>,
    pub span: Range<usize>,
}

#[derive(Debug, Clone)]
pub enum Arg {
    /// `.` followed by fields (`.a.b`; none for a lone dot).
    Dot(Vec<String>),
    Var(String, Vec<String>),
    Func(String),
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Nil,
    /// `( pipeline )` and fields after it.
    Sub(Box<Pipe>, Vec<String>),
}

#[derive(Debug)]
pub struct ParseError {
    pub message: String,
    pub at: usize,
}

/// A parsed template: its body and the templates it defines.
#[derive(Debug, Default)]
pub struct Parsed {
    pub body: Vec<Node>,
    pub defines: Vec<(String, Vec<Node>)>,
}

pub fn parse(items: Vec<Item>) -> Result<Parsed, ParseError> {
    let mut p = Parser {
        items,
        pos: 0,
        out: Parsed::default(),
        depth: 0,
        pending: Vec::new(),
    };
    let (body, end) = p.list()?;
    if let Some((word, at)) = end {
        return Err(ParseError {
            message: format!("unexpected {{{{{word}}}}}"),
            at,
        });
    }
    p.out.body = body;
    Ok(p.out)
}

struct Parser {
    items: Vec<Item>,
    pos: usize,
    out: Parsed,
    depth: usize,
    /// The tokens after the `else` that ended the last list (`else if ...`).
    pending: Vec<Token>,
}

/// What ended a list: `end`/`else` and the tokens after `else` (for `else if`).
type End = Option<(String, usize)>;

fn perr<T>(message: impl Into<String>, at: usize) -> Result<T, ParseError> {
    Err(ParseError {
        message: message.into(),
        at,
    })
}

impl Parser {
    /// Nodes up to an `{{end}}` or `{{else ...}}` (its tokens kept in `self.pending`).
    fn list(&mut self) -> Result<(Vec<Node>, End), ParseError> {
        self.depth += 1;
        if self.depth > 100 {
            return perr("template nested too deeply", 0);
        }
        let mut nodes = Vec::new();
        while let Some(item) = self.items.get(self.pos).cloned() {
            self.pos += 1;
            match item {
                Item::Text(r) => nodes.push(Node::Text(r)),
                Item::Action { tokens, span } => {
                    if let Some(end) = self.action(tokens, span, &mut nodes)? {
                        self.depth -= 1;
                        return Ok((nodes, Some(end)));
                    }
                }
            }
        }
        self.depth -= 1;
        Ok((nodes, None))
    }

    /// Parses one action into `nodes`; returns `Some` when it is `end` or `else`.
    fn action(
        &mut self,
        tokens: Vec<Token>,
        span: Range<usize>,
        nodes: &mut Vec<Node>,
    ) -> Result<Option<(String, usize)>, ParseError> {
        let word = match tokens.first().map(|t| &t.tok) {
            Some(Tok::Ident(w)) => w.clone(),
            None => return perr("missing value for command", span.start),
            _ => String::new(),
        };
        let rest = tokens.get(1..).unwrap_or_default();
        match word.as_str() {
            "end" => return Ok(Some(("end".into(), span.start))),
            "else" => {
                // The tokens after `else` are kept for `else if`/`else with`.
                self.pending = rest.to_vec();
                return Ok(Some(("else".into(), span.start)));
            }
            "if" | "with" => {
                let (branches, otherwise) = self.branches(&word, rest, &span)?;
                nodes.push(if word == "if" {
                    Node::If(branches, otherwise)
                } else {
                    Node::With(branches, otherwise)
                });
            }
            "range" => {
                let pipe = pipeline(rest, &span)?;
                let (body, end) = self.list()?;
                let otherwise = match end {
                    Some((w, _)) if w == "else" => {
                        let (o, end) = self.list()?;
                        expect_end(end, &span)?;
                        o
                    }
                    end => {
                        expect_end(end, &span)?;
                        Vec::new()
                    }
                };
                nodes.push(Node::Range(pipe, body, otherwise));
            }
            "define" | "block" => {
                let Some(Tok::Str(name)) = rest.first().map(|t| &t.tok) else {
                    return perr(format!("{word} needs a template name"), span.start);
                };
                let pipe = if word == "block" {
                    Some(pipeline(rest.get(1..).unwrap_or_default(), &span)?)
                } else {
                    None
                };
                let (body, end) = self.list()?;
                expect_end(end, &span)?;
                self.out.defines.push((name.clone(), body));
                if let Some(pipe) = pipe {
                    nodes.push(Node::Template(name.clone(), Some(pipe), span));
                }
            }
            "template" => {
                let Some(Tok::Str(name)) = rest.first().map(|t| &t.tok) else {
                    return perr("template needs a template name", span.start);
                };
                let args = rest.get(1..).unwrap_or_default();
                let pipe = if args.is_empty() {
                    None
                } else {
                    Some(pipeline(args, &span)?)
                };
                nodes.push(Node::Template(name.clone(), pipe, span));
            }
            "break" => nodes.push(Node::Break),
            "continue" => nodes.push(Node::Continue),
            _ => nodes.push(Node::Action(pipeline(&tokens, &span)?)),
        }
        Ok(None)
    }

    /// `if`/`with` with its `else if`/`else with` chain and final `else`.
    #[allow(clippy::type_complexity)]
    fn branches(
        &mut self,
        word: &str,
        tokens: &[Token],
        span: &Range<usize>,
    ) -> Result<(Vec<(Pipe, Vec<Node>)>, Vec<Node>), ParseError> {
        let mut branches = Vec::new();
        let mut cond = pipeline(tokens, span)?;
        loop {
            let (body, end) = self.list()?;
            branches.push((cond, body));
            match end {
                Some((w, _)) if w == "else" => {
                    let rest = std::mem::take(&mut self.pending);
                    match rest.first().map(|t| &t.tok) {
                        Some(Tok::Ident(w2)) if w2 == word => {
                            cond = pipeline(rest.get(1..).unwrap_or_default(), span)?;
                        }
                        None => {
                            let (otherwise, end) = self.list()?;
                            expect_end(end, span)?;
                            return Ok((branches, otherwise));
                        }
                        _ => return perr("unexpected tokens after else", span.start),
                    }
                }
                end => {
                    expect_end(end, span)?;
                    return Ok((branches, Vec::new()));
                }
            }
        }
    }
}

fn expect_end(end: End, span: &Range<usize>) -> Result<(), ParseError> {
    match end {
        Some((w, _)) if w == "end" => Ok(()),
        Some((w, at)) => perr(format!("unexpected {{{{{w}}}}}"), at),
        None => perr("unexpected EOF: missing {{end}}", span.start),
    }
}

/// A pipeline: optional `$a, $b :=`/`=`, then commands separated by `|`.
fn pipeline(tokens: &[Token], span: &Range<usize>) -> Result<Pipe, ParseError> {
    let mut vars = Vec::new();
    let mut assign = false;
    let decl_end = tokens
        .iter()
        .position(|t| matches!(t.tok, Tok::Declare | Tok::Assign));
    let mut start = 0;
    if let Some(end) = decl_end {
        let names: Vec<&Token> = tokens[..end]
            .iter()
            .filter(|t| t.tok != Tok::Comma)
            .collect();
        if !names.is_empty()
            && names.iter().all(|t| matches!(t.tok, Tok::Var(_)))
            && names.len() <= 2
        {
            vars = names
                .iter()
                .filter_map(|t| match &t.tok {
                    Tok::Var(v) => Some(v.clone()),
                    _ => None,
                })
                .collect();
            assign = tokens[end].tok == Tok::Assign;
            start = end + 1;
        }
    }
    let mut cur = Cursor {
        tokens: &tokens[start..],
        pos: 0,
        span: span.clone(),
    };
    let pipe = cur.pipe(vars, assign, 0)?;
    if let Some(t) = cur.tokens.get(cur.pos) {
        return perr(format!("unexpected {:?} in operand", t.tok), t.span.start);
    }
    if pipe.cmds.is_empty() {
        return perr("missing value for command", span.start);
    }
    Ok(pipe)
}

struct Cursor<'t> {
    tokens: &'t [Token],
    pos: usize,
    span: Range<usize>,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    /// Commands until the end or a `)`.
    fn pipe(&mut self, vars: Vec<String>, assign: bool, depth: usize) -> Result<Pipe, ParseError> {
        if depth > 50 {
            return perr("pipeline nested too deeply", self.span.start);
        }
        let mut cmds = Vec::new();
        loop {
            let start = self.peek().map_or(self.span.start, |t| t.span.start);
            let mut args = Vec::new();
            while let Some(t) = self.peek() {
                if matches!(t.tok, Tok::Pipe | Tok::RParen) {
                    break;
                }
                args.push(self.operand(depth)?);
            }
            let end = self
                .tokens
                .get(self.pos.saturating_sub(1))
                .map_or(start, |t| t.span.end);
            if args.is_empty() {
                return perr("missing value for command", start);
            }
            cmds.push(Cmd {
                args,
                span: start..end,
            });
            match self.peek().map(|t| &t.tok) {
                Some(Tok::Pipe) => self.pos += 1,
                _ => break,
            }
        }
        Ok(Pipe {
            vars,
            assign,
            cmds,
            span: self.span.clone(),
        })
    }

    /// Field names directly after a term (no space between).
    fn fields(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        while let Some(Token {
            tok: Tok::Field(f),
            spaced: false,
            ..
        }) = self.peek()
        {
            out.push(f.clone());
            self.pos += 1;
        }
        out
    }

    fn operand(&mut self, depth: usize) -> Result<Arg, ParseError> {
        let Some(t) = self.peek().cloned() else {
            return perr("missing operand", self.span.start);
        };
        self.pos += 1;
        Ok(match t.tok {
            Tok::Dot => Arg::Dot(self.fields()),
            Tok::Field(f) => {
                let mut fields = vec![f];
                fields.extend(self.fields());
                Arg::Dot(fields)
            }
            Tok::Var(v) => Arg::Var(v, self.fields()),
            Tok::Str(s) => Arg::Str(s),
            Tok::Int(i) => Arg::Int(i),
            Tok::Float(f) => Arg::Float(f),
            Tok::Ident(w) => match w.as_str() {
                "true" => Arg::Bool(true),
                "false" => Arg::Bool(false),
                "nil" => Arg::Nil,
                _ => Arg::Func(w),
            },
            Tok::LParen => {
                let inner = self.pipe(Vec::new(), false, depth + 1)?;
                match self.peek().map(|t| &t.tok) {
                    Some(Tok::RParen) => self.pos += 1,
                    _ => return perr("unclosed left paren", t.span.start),
                }
                Arg::Sub(Box::new(inner), self.fields())
            }
            other => return perr(format!("unexpected {other:?} in operand"), t.span.start),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::lex::split;
    use super::*;

    fn parsed(src: &str) -> Result<Parsed, String> {
        let items = split(src).map_err(|e| e.message)?;
        parse(items).map_err(|e| e.message)
    }

    #[test]
    fn control_structures_nest() {
        let Ok(p) = parsed(
            "{{ if .a }}x{{ else if .b }}y{{ else }}z{{ end }}{{ range $i, $v := .l }}{{ $v }}{{ else }}none{{ end }}{{ define \"t\" }}T{{ end }}",
        ) else {
            panic!("parse failed");
        };
        assert!(matches!(&p.body[0], Node::If(b, e) if b.len() == 2 && e.len() == 1));
        assert!(
            matches!(&p.body[1], Node::Range(pipe, _, e) if pipe.vars == ["$i", "$v"] && e.len() == 1)
        );
        assert_eq!(p.defines.len(), 1);
    }

    #[test]
    fn pipelines_and_chains() {
        let Ok(p) = parsed("{{ (index .m \"k\").x.y | default $.d | quote }}") else {
            panic!("parse failed");
        };
        let Node::Action(pipe) = &p.body[0] else {
            panic!("not an action");
        };
        assert_eq!(pipe.cmds.len(), 3);
        assert!(matches!(&pipe.cmds[0].args[0], Arg::Sub(_, f) if f == &["x", "y"]));
        assert!(matches!(&pipe.cmds[1].args[1], Arg::Var(v, f) if v == "$" && f == &["d"]));
    }

    #[test]
    fn malformed_templates_are_errors() {
        for bad in [
            "{{ if .a }}",
            "{{ end }}",
            "{{ else }}",
            "{{ ( .a }}",
            "{{ define }}{{ end }}",
            "{{ | x }}",
            "{{ range }}{{ end }}",
        ] {
            assert!(parsed(bad).is_err(), "{bad}");
        }
    }
}
