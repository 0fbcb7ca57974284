//! String functions (Go's print family, Sprig's string functions, regexes), keeping the origins
//! of the bytes they move and giving new text the origin of its input.

use super::super::origins::Text;
use super::super::value::{V, Val};
use super::{R, text, want, want_at_least};
use crate::source::Loc;

pub fn call(name: &str, args: &[Val], at: Loc) -> Option<R> {
    let t = |i: usize| args.get(i).map_or_else(Text::default, |v| text(v, at));
    let s = |i: usize| args.get(i).map(Val::string).unwrap_or_default();
    let n = |i: usize| args.get(i).map_or(0, Val::as_i64);
    let check = |n: usize| want(args, n);
    let r = match name {
        "print" => Ok(Val::text(sprint(args, at, false))),
        "println" => Ok(Val::text(sprint(args, at, true))),
        "printf" => want_at_least(args, 1).map(|()| Val::text(printf(&t(0), &args[1..], at))),
        "quote" | "squote" => {
            let q = if name == "quote" { '"' } else { '\'' };
            let mut out = Text::default();
            for v in args.iter().filter(|v| !v.is_nil()) {
                if !out.is_empty() {
                    out.push_str(" ", at);
                }
                let inner = text(v, at);
                let escaped = if q == '"' {
                    go_quote(inner.as_str())
                } else {
                    format!("'{}'", inner.as_str())
                };
                if escaped.len() == inner.len() + 2 {
                    out.push_str(&q.to_string(), at);
                    out.push(&inner);
                    out.push_str(&q.to_string(), at);
                } else {
                    out.push(&Text::new(escaped, inner.main_loc().unwrap_or(at)));
                }
            }
            Ok(Val::text(out))
        }
        "upper" | "lower" | "title" | "nospace" | "html" | "js" | "urlquery" => {
            check(1).map(|()| {
                let input = t(0);
                let out = match name {
                    "upper" => input.as_str().to_uppercase(),
                    "lower" => input.as_str().to_lowercase(),
                    "title" => title(input.as_str()),
                    "nospace" => input
                        .as_str()
                        .chars()
                        .filter(|c| !c.is_whitespace())
                        .collect(),
                    "html" => escape_with(input.as_str(), |c| match c {
                        '<' => Some("&lt;"),
                        '>' => Some("&gt;"),
                        '&' => Some("&amp;"),
                        '"' => Some("&#34;"),
                        '\'' => Some("&#39;"),
                        _ => None,
                    }),
                    "js" => escape_with(input.as_str(), |c| match c {
                        '\\' => Some("\\\\"),
                        '\'' => Some("\\'"),
                        '"' => Some("\\\""),
                        '<' => Some("\\u003C"),
                        '>' => Some("\\u003E"),
                        '&' => Some("\\u0026"),
                        '=' => Some("\\u003D"),
                        _ => None,
                    }),
                    _ => urlquery(input.as_str()),
                };
                Val::text(input.derive(out, at))
            })
        }
        "trim" => check(1).map(|()| trimmed(&t(0), |c: char| c.is_whitespace())),
        "trimAll" => check(2).map(|()| {
            let cut = s(0);
            trimmed(&t(1), |c: char| cut.contains(c))
        }),
        "trimPrefix" | "trimSuffix" => check(2).map(|()| {
            let (affix, input) = (s(0), t(1));
            let str = input.as_str();
            let range = if name == "trimPrefix" && str.starts_with(&affix) {
                affix.len()..str.len()
            } else if name == "trimSuffix" && str.ends_with(&affix) {
                0..str.len() - affix.len()
            } else {
                0..str.len()
            };
            Val::text(input.slice(range))
        }),
        "trunc" => check(2).map(|()| {
            let (k, input) = (n(0), t(1));
            let len = input.len() as i64;
            let range = if k >= 0 {
                0..floor_char(input.as_str(), k.min(len) as usize)
            } else {
                floor_char(input.as_str(), (len + k).max(0) as usize)..input.len()
            };
            Val::text(input.slice(range))
        }),
        "substr" => check(3).map(|()| {
            let input = t(2);
            let len = input.len() as i64;
            let (mut a, mut b) = (n(0), n(1));
            if a < 0 {
                a = 0;
            }
            if b < 0 || b > len {
                b = len;
            }
            let a = floor_char(input.as_str(), a.min(b) as usize);
            Val::text(input.slice(a..floor_char(input.as_str(), b as usize)))
        }),
        "replace" => check(3).map(|()| Val::text(replace(&t(2), &s(0), &t(1), -1))),
        "contains" => check(2).map(|()| Val::bool(s(1).contains(&s(0)))),
        "hasPrefix" => check(2).map(|()| Val::bool(s(1).starts_with(&s(0)))),
        "hasSuffix" => check(2).map(|()| Val::bool(s(1).ends_with(&s(0)))),
        "indent" | "nindent" => {
            check(2).map(|()| Val::text(indent(&t(1), n(0), name == "nindent", at)))
        }
        "repeat" => check(2).map(|()| {
            let input = t(1);
            let mut out = Text::default();
            let times = n(0).clamp(0, 1 << 20) as usize;
            for _ in 0..times {
                if out.len() > super::super::eval::MAX_OUTPUT {
                    break;
                }
                out.push(&input);
            }
            Val::text(out)
        }),
        "cat" => {
            let mut out = Text::default();
            for v in args.iter().filter(|v| !v.is_nil()) {
                if !out.is_empty() {
                    out.push_str(" ", at);
                }
                out.push(&text(v, at));
            }
            Ok(Val::text(out))
        }
        "join" => check(2).map(|()| {
            let sep = t(0);
            let mut out = Text::default();
            let items: Vec<Val> = match &args[1].v {
                V::List(l) => l.iter().cloned().collect(),
                V::Nil => Vec::new(),
                _ => vec![args[1].clone()],
            };
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(&sep);
                }
                out.push(&text(item, at));
            }
            Val::text(out)
        }),
        "split" | "splitList" => check(2).map(|()| {
            let (sep, input) = (s(0), t(1));
            let parts = split(&input, &sep);
            if name == "splitList" {
                Val::list(parts.into_iter().map(Val::text).collect())
            } else {
                Val::map(
                    parts
                        .into_iter()
                        .enumerate()
                        .map(|(i, p)| (format!("_{i}"), Val::text(p)))
                        .collect(),
                )
            }
        }),
        "toString" => check(1).map(|()| match &args[0].v {
            V::Str(_) => args[0].clone(),
            _ => Val::text(args[0].to_text(at, "<nil>")),
        }),
        "toStrings" => check(1).map(|()| {
            let items = match &args[0].v {
                V::List(l) => l
                    .iter()
                    .map(|v| Val::text(v.to_text(at, "<nil>")))
                    .collect(),
                V::Nil => Vec::new(),
                _ => vec![Val::text(args[0].to_text(at, "<nil>"))],
            };
            Val::list(items)
        }),
        "regexMatch"
        | "regexFind"
        | "regexReplaceAll"
        | "regexReplaceAllLiteral"
        | "regexFindAll" => {
            return Some(regex_call(name, args, at));
        }
        _ => return None,
    };
    Some(r)
}

fn regex_call(name: &str, args: &[Val], at: Loc) -> R {
    let n = if matches!(name, "regexMatch" | "regexFind") {
        2
    } else {
        3
    };
    want(args, n)?;
    let re = regex::Regex::new(&args[0].string()).map_err(|e| e.to_string())?;
    let input = text(&args[1], at);
    Ok(match name {
        "regexMatch" => Val::bool(re.is_match(input.as_str())),
        "regexFind" => Val::text(
            re.find(input.as_str())
                .map_or_else(Text::default, |m| input.slice(m.range())),
        ),
        "regexFindAll" => {
            let limit = args[2].as_i64();
            let found = re
                .find_iter(input.as_str())
                .map(|m| Val::text(input.slice(m.range())));
            Val::list(if limit < 0 {
                found.collect()
            } else {
                found.take(limit as usize).collect()
            })
        }
        _ => {
            let repl = args[2].string();
            let out = if name == "regexReplaceAll" {
                re.replace_all(input.as_str(), repl.as_str()).into_owned()
            } else {
                re.replace_all(input.as_str(), regex::NoExpand(&repl))
                    .into_owned()
            };
            Val::text(input.derive(out, at))
        }
    })
}

fn floor_char(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn trimmed(input: &Text, drop: impl Fn(char) -> bool + Copy) -> Val {
    let s = input.as_str();
    let start = s.len() - s.trim_start_matches(drop).len();
    let end = s.trim_end_matches(drop).len().max(start);
    Val::text(input.slice(start..end))
}

fn title(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut prev_letter = false;
    for c in s.chars() {
        if !prev_letter {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        prev_letter = c.is_alphanumeric() || c == '_' || c == '\'';
    }
    out
}

fn escape_with(s: &str, f: impl Fn(char) -> Option<&'static str>) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match f(c) {
            Some(e) => out.push_str(e),
            None => out.push(c),
        }
    }
    out
}

fn urlquery(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Go's `strconv.Quote`.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            '\x0b' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\x7f' => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn split(input: &Text, sep: &str) -> Vec<Text> {
    let s = input.as_str();
    if sep.is_empty() {
        return s
            .char_indices()
            .map(|(i, c)| input.slice(i..i + c.len_utf8()))
            .collect();
    }
    let mut out = Vec::new();
    let mut at = 0;
    for (i, _) in s.match_indices(sep) {
        out.push(input.slice(at..i));
        at = i + sep.len();
    }
    out.push(input.slice(at..s.len()));
    out
}

pub fn replace(input: &Text, old: &str, new: &Text, limit: i64) -> Text {
    let s = input.as_str();
    let mut out = Text::default();
    let mut at = 0;
    if old.is_empty() {
        return input.clone();
    }
    for (count, (i, _)) in s.match_indices(old).enumerate() {
        if limit >= 0 && count as i64 >= limit {
            break;
        }
        out.push(&input.slice(at..i));
        out.push(new);
        at = i + old.len();
    }
    out.push(&input.slice(at..s.len()));
    out
}

fn indent(input: &Text, n: i64, newline: bool, at: Loc) -> Text {
    let pad = " ".repeat(n.clamp(0, 1 << 16) as usize);
    let mut out = Text::default();
    if newline {
        out.push_str("\n", at);
    }
    let s = input.as_str();
    let mut start = 0;
    loop {
        out.push_str(&pad, at);
        match s.get(start..).and_then(|r| r.find('\n')) {
            Some(i) => {
                out.push(&input.slice(start..start + i + 1));
                start += i + 1;
            }
            None => {
                out.push(&input.slice(start..s.len()));
                break;
            }
        }
    }
    out
}

/// `fmt.Sprint` (spaces between operands when neither is a string) or `fmt.Sprintln`.
fn sprint(args: &[Val], at: Loc, line: bool) -> Text {
    let mut out = Text::default();
    for (i, v) in args.iter().enumerate() {
        let is_str = |v: &Val| matches!(v.v, V::Str(_));
        if i > 0 && (line || !(is_str(v) || is_str(&args[i - 1]))) {
            out.push_str(" ", at);
        }
        out.push(&{
            let mut t = v.to_text(at, "<nil>");
            t.fill(at);
            t
        });
    }
    if line {
        out.push_str("\n", at);
    }
    out
}

/// `fmt.Sprintf` for the verbs templates use: `%s %v %d %q %f %g %e %x %X %t %c %%`, with flags,
/// width and precision. Text arguments printed with `%s`/`%v` keep their origins.
fn printf(format: &Text, args: &[Val], at: Loc) -> Text {
    let f = format.as_str();
    let b = f.as_bytes();
    let mut out = Text::default();
    let mut next = 0;
    let mut i = 0;
    let mut lit = 0;
    while i < b.len() {
        if b[i] != b'%' {
            i += 1;
            continue;
        }
        out.push(&format.slice(lit..i));
        let mut j = i + 1;
        let mut flags = String::new();
        while j < b.len() && matches!(b[j], b'-' | b'+' | b'#' | b' ' | b'0') {
            flags.push(b[j] as char);
            j += 1;
        }
        let num = |j: &mut usize| {
            let s = *j;
            while *j < b.len() && b[*j].is_ascii_digit() {
                *j += 1;
            }
            f.get(s..*j).and_then(|d| d.parse::<usize>().ok())
        };
        let width = num(&mut j);
        let prec = if j < b.len() && b[j] == b'.' {
            j += 1;
            Some(num(&mut j).unwrap_or(0))
        } else {
            None
        };
        let Some(verb) = f.get(j..).and_then(|r| r.chars().next()) else {
            out.push_str("%!(NOVERB)", at);
            lit = b.len();
            break;
        };
        i = j + verb.len_utf8();
        lit = i;
        if verb == '%' {
            out.push_str("%", at);
            continue;
        }
        let Some(arg) = args.get(next) else {
            out.push_str(&format!("%!{verb}(MISSING)"), at);
            continue;
        };
        next += 1;
        let piece = format_verb(verb, arg, prec, at);
        let width = width.unwrap_or(0);
        let padn = width.saturating_sub(piece.as_str().chars().count());
        if padn == 0 {
            out.push(&piece);
        } else if flags.contains('-') {
            out.push(&piece);
            out.push_str(&" ".repeat(padn), at);
        } else {
            let c = if flags.contains('0') && !matches!(verb, 's' | 'q' | 'v') {
                "0"
            } else {
                " "
            };
            out.push_str(&c.repeat(padn), at);
            out.push(&piece);
        }
    }
    out.push(&format.slice(lit..b.len()));
    if next < args.len() {
        let extra: Vec<String> = args[next..]
            .iter()
            .map(|v| format!("{}={}", v.type_name(), v.go_string("<nil>")))
            .collect();
        out.push_str(&format!("%!(EXTRA {})", extra.join(", ")), at);
    }
    out
}

fn format_verb(verb: char, arg: &Val, prec: Option<usize>, at: Loc) -> Text {
    let loc = arg.loc.unwrap_or(at);
    let num = arg.as_f64();
    let s = match verb {
        's' | 'v' => {
            let mut t = arg.to_text(at, "<nil>");
            t.fill(at);
            if let (Some(p), V::Str(_)) = (prec, &arg.v) {
                return t.slice(0..floor_char(t.as_str(), p));
            }
            return t;
        }
        'q' => go_quote(&arg.string()),
        'd' => match &arg.v {
            V::Int(i) => i.to_string(),
            _ => format!("%!d({}={})", arg.type_name(), arg.go_string("<nil>")),
        },
        'f' | 'F' => match (&arg.v, num) {
            (V::Int(_) | V::Float(_), Some(x)) => format!("{x:.*}", prec.unwrap_or(6)),
            _ => format!("%!f({}={})", arg.type_name(), arg.go_string("<nil>")),
        },
        'g' => super::super::value::format_float(num.unwrap_or(0.0)),
        'e' => format!("{:.*e}", prec.unwrap_or(6), num.unwrap_or(0.0)),
        't' => arg.go_string("<nil>"),
        'c' => char::from_u32(arg.as_i64() as u32)
            .map(String::from)
            .unwrap_or_default(),
        'x' | 'X' => {
            let s = match &arg.v {
                V::Int(i) => format!("{i:x}"),
                _ => arg.string().bytes().map(|b| format!("{b:02x}")).collect(),
            };
            if verb == 'X' { s.to_uppercase() } else { s }
        }
        other => format!("%!{other}({}={})", arg.type_name(), arg.go_string("<nil>")),
    };
    Text::new(s, loc)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Val {
        Val::str(v, Loc::new(0, 0, 0))
    }

    fn run(name: &str, args: &[Val]) -> String {
        match call(name, args, Loc::new(0, 0, 0)) {
            Some(Ok(v)) => v.string(),
            Some(Err(e)) => format!("error: {e}"),
            None => "undefined".into(),
        }
    }

    #[test]
    fn string_functions() {
        assert_eq!(run("quote", &[s("a\"b")]), r#""a\"b""#);
        assert_eq!(run("squote", &[s("a")]), "'a'");
        assert_eq!(run("trunc", &[Val::int(3), s("abcdef")]), "abc");
        assert_eq!(run("trunc", &[Val::int(-2), s("abcdef")]), "ef");
        assert_eq!(run("trimSuffix", &[s("-"), s("a-")]), "a");
        assert_eq!(run("replace", &[s("."), s("-"), s("a.b.c")]), "a-b-c");
        assert_eq!(run("nindent", &[Val::int(2), s("a\nb")]), "\n  a\n  b");
        assert_eq!(run("title", &[s("hello world")]), "Hello World");
        assert_eq!(
            run(
                "printf",
                &[
                    s("%s-%d-%05.1f|%-3s|%q"),
                    s("a"),
                    Val::int(7),
                    Val::new(V::Float(2.25)),
                    s("x"),
                    s("q")
                ]
            ),
            "a-7-002.2|x  |\"q\""
        );
        assert_eq!(run("print", &[Val::int(1), Val::int(2), s("a")]), "1 2a");
        assert_eq!(
            run(
                "regexReplaceAll",
                &[s("a(x*)b"), s("-ab-axxb-"), s("${1}W")]
            ),
            "-W-xxW-"
        );
        assert_eq!(run("cat", &[s("a"), Val::nil(), Val::int(1)]), "a 1");
        assert_eq!(run("nope", &[]), "undefined");
    }

    #[test]
    fn indent_keeps_line_origins() {
        let input = Text::exact("a\nb", Loc::new(5, 10, 13));
        let out = indent(&input, 2, false, Loc::new(1, 0, 0));
        assert_eq!(out.as_str(), "  a\n  b");
        assert_eq!(out.loc_at(6..7), Some(Loc::new(5, 12, 13)));
    }
}
