//! Serialisation: `toYaml` (in the style of Helm's sigs.k8s.io/yaml), `toJson`, and their
//! parsing counterparts. Every emitted key and scalar keeps the origin of its value, so a line
//! of `toYaml .Values.x` output points at the values.yaml line it came from.

use super::super::origins::Text;
use super::super::value::{MAX_NESTING, Map, V, Val, format_float};
use super::{R, text, want};
use crate::parse::yaml;
use crate::source::Loc;

pub fn call(name: &str, args: &[Val], at: Loc) -> Option<R> {
    let r = want(args, 1).map(|()| match name {
        "toYaml" | "mustToYaml" => {
            let mut out = Text::default();
            emit(&args[0], 0, true, &mut out, at, 0);
            // Helm trims the final newline.
            if out.as_str().ends_with('\n') {
                out = out.slice(0..out.len() - 1);
            }
            Val::text(out)
        }
        "toJson" | "mustToJson" | "toRawJson" | "mustToRawJson" => {
            let mut out = Text::default();
            json(&args[0], &mut out, at, !name.contains("Raw"), 0);
            Val::text(out)
        }
        "toPrettyJson" | "mustToPrettyJson" => {
            let compact = json_value(&args[0], 0);
            let pretty = serde_json::to_string_pretty(&compact).unwrap_or_default();
            Val::text(Text::new(pretty, args[0].loc.unwrap_or(at)))
        }
        "fromYaml" | "fromYamlArray" => from_yaml(&text(&args[0], at), name == "fromYamlArray", at),
        "fromJson" | "fromJsonArray" => {
            let input = text(&args[0], at);
            let loc = input.main_loc().unwrap_or(at);
            match serde_json::from_str::<serde_json::Value>(input.as_str()) {
                Ok(v) => from_json(&v, loc, 0),
                Err(e) => Val::map(Map::from([(
                    "Error".to_owned(),
                    Val::str(e.to_string(), loc),
                )])),
            }
        }
        _ => Val::nil(),
    });
    match name {
        "toYaml" | "mustToYaml" | "toJson" | "mustToJson" | "toRawJson" | "mustToRawJson"
        | "toPrettyJson" | "mustToPrettyJson" | "fromYaml" | "fromYamlArray" | "fromJson"
        | "fromJsonArray" => Some(r),
        _ => None,
    }
}

/// Writes `v` as a YAML block node at `indent`. `inline`: the cursor is already placed (after
/// `- ` or at the document start), so the first line takes no indentation.
pub fn emit(v: &Val, indent: usize, inline: bool, out: &mut Text, at: Loc, depth: usize) {
    let pad = |out: &mut Text, first: bool| {
        if !(first && inline) {
            out.push_str(&" ".repeat(indent), at);
        }
    };
    match &v.v {
        V::Map(m) if !m.borrow().is_empty() && depth < MAX_NESTING => {
            for (i, (k, item)) in m.borrow().iter().enumerate() {
                pad(out, i == 0);
                let key_loc = item.key_loc.or(item.loc).unwrap_or(at);
                let key = Val::str(k.clone(), key_loc);
                scalar(&key, out, at, indent);
                out.push_str(":", key_loc);
                value_after(item, indent, out, at, depth, false);
            }
        }
        V::List(l) if !l.is_empty() && depth < MAX_NESTING => {
            for (i, item) in l.iter().enumerate() {
                pad(out, i == 0);
                out.push_str("-", item.loc.unwrap_or(at));
                value_after(item, indent, out, at, depth, true);
            }
        }
        _ => {
            scalar(v, out, at, indent);
            out.push_str("\n", at);
        }
    }
}

/// The value after `key:` or `-`: on the same line when scalar, else on the next lines.
fn value_after(item: &Val, indent: usize, out: &mut Text, at: Loc, depth: usize, in_list: bool) {
    let nested = match &item.v {
        V::Map(m) => !m.borrow().is_empty(),
        V::List(l) => !l.is_empty(),
        _ => false,
    };
    if !nested {
        out.push_str(" ", at);
        scalar(item, out, at, indent + 2);
        out.push_str("\n", at);
    } else if in_list {
        out.push_str(" ", at);
        emit(item, indent + 2, true, out, at, depth + 1);
    } else if matches!(item.v, V::List(_)) {
        // sigs.k8s.io/yaml does not indent a sequence under its key.
        out.push_str("\n", at);
        emit(item, indent, false, out, at, depth + 1);
    } else {
        out.push_str("\n", at);
        emit(item, indent + 2, false, out, at, depth + 1);
    }
}

/// One scalar (or empty collection); block strings are indented to `indent`.
fn scalar(v: &Val, out: &mut Text, at: Loc, indent: usize) {
    let loc = v.loc.unwrap_or(at);
    match &v.v {
        V::Nil => out.push_str("null", loc),
        V::Bool(b) => out.push_str(if *b { "true" } else { "false" }, loc),
        V::Int(i) => out.push_str(&i.to_string(), loc),
        V::Float(f) => out.push_str(&yaml_float(*f), loc),
        V::Str(t) => string(t, out, at, indent),
        V::Map(_) | V::Files(_) => out.push_str("{}", loc),
        V::List(_) | V::ApiVersions => out.push_str("[]", loc),
    }
}

/// Numbers pass through JSON on the way to YAML: integral floats print as integers.
fn yaml_float(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e21 {
        return format!("{f:.0}");
    }
    format_float(f)
}

fn string(t: &Text, out: &mut Text, at: Loc, indent: usize) {
    let s = t.as_str();
    let loc = t.main_loc().unwrap_or(at);
    if plain_ok(s) {
        out.push(t);
    } else if s.contains('\n') && literal_ok(s) {
        let chomp = if !s.ends_with('\n') {
            "|-"
        } else if s.ends_with("\n\n") {
            "|+"
        } else {
            "|"
        };
        out.push_str(chomp, loc);
        let body = s.strip_suffix('\n').unwrap_or(s);
        let mut start = 0;
        for line in body.split('\n') {
            out.push_str("\n", at);
            if !line.is_empty() {
                out.push_str(&" ".repeat(indent.max(2)), at);
                out.push(&t.slice(start..start + line.len()));
            }
            start += line.len() + 1;
        }
    } else if !s.contains(['\n', '\t', '\r']) && s.chars().all(|c| !c.is_control()) {
        out.push_str("'", loc);
        out.push(&Text::new(s.replace('\'', "''"), loc));
        out.push_str("'", loc);
    } else {
        out.push_str(&super::strings::go_quote(s), loc);
    }
}

/// Whether YAML reads `s` back as the same string when written plainly.
fn plain_ok(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if s.starts_with(' ') || s.ends_with(' ') || s.contains(['\n', '\t', '\r']) {
        return false;
    }
    if "-?:,[]{}#&*!|>'\"%@`".contains(first)
        && !(matches!(first, '-' | '?' | ':') && s.len() > 1 && !s[1..].starts_with(' '))
    {
        return false;
    }
    if s.contains(": ") || s.contains(" #") || s.ends_with(':') || s.chars().any(char::is_control) {
        return false;
    }
    let lower = s.to_ascii_lowercase();
    let reserved = [
        "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~", ".inf", "-.inf", "+.inf",
        ".nan",
    ];
    if reserved.contains(&lower.as_str()) || s == "<<" || s == "=" {
        return false;
    }
    // Anything that reads as a number (or a date, which YAML 1.1 resolves) stays quoted.
    let numeric = s.trim_start_matches(['-', '+']).replace('_', "");
    if numeric.parse::<f64>().is_ok()
        || numeric.starts_with("0x")
        || numeric.starts_with("0o")
        || (s.len() >= 8
            && s.as_bytes().get(4) == Some(&b'-')
            && s[..4].bytes().all(|b| b.is_ascii_digit()))
        || s.bytes()
            .all(|b| b.is_ascii_digit() || b == b':' || b == b'.')
            && s.contains(':')
    {
        return false;
    }
    true
}

fn literal_ok(s: &str) -> bool {
    !s.starts_with([' ', '\n'])
        && !s.chars().any(|c| c.is_control() && c != '\n')
        && s.split('\n').all(|l| !l.ends_with(' '))
}

/// Go's `json.Marshal`: sorted keys; `<`, `>` and `&` escaped unless raw.
fn json(v: &Val, out: &mut Text, at: Loc, escape_html: bool, depth: usize) {
    let loc = v.loc.unwrap_or(at);
    match &v.v {
        V::Map(m) if depth < MAX_NESTING => {
            out.push_str("{", at);
            for (i, (k, item)) in m.borrow().iter().enumerate() {
                if i > 0 {
                    out.push_str(",", at);
                }
                out.push_str(&json_string(k, escape_html), item.key_loc.unwrap_or(at));
                out.push_str(":", at);
                json(item, out, at, escape_html, depth + 1);
            }
            out.push_str("}", at);
        }
        V::List(l) if depth < MAX_NESTING => {
            out.push_str("[", at);
            for (i, item) in l.iter().enumerate() {
                if i > 0 {
                    out.push_str(",", at);
                }
                json(item, out, at, escape_html, depth + 1);
            }
            out.push_str("]", at);
        }
        V::Str(t) => {
            let quoted = json_string(t.as_str(), escape_html);
            if quoted.len() == t.len() + 2 {
                out.push_str("\"", loc);
                out.push(t);
                out.push_str("\"", loc);
            } else {
                out.push_str(&quoted, t.main_loc().unwrap_or(at));
            }
        }
        V::Float(f) => out.push_str(&json_float(*f), loc),
        V::Int(i) => out.push_str(&i.to_string(), loc),
        V::Bool(b) => out.push_str(if *b { "true" } else { "false" }, loc),
        _ => out.push_str("null", loc),
    }
}

fn json_string(s: &str, escape_html: bool) -> String {
    let mut out = serde_json::to_string(s).unwrap_or_default();
    if escape_html {
        out = out
            .replace('<', "\\u003c")
            .replace('>', "\\u003e")
            .replace('&', "\\u0026");
    }
    out
}

/// Go's JSON float format: plain decimals from 1e-6 to 1e21, exponents outside.
fn json_float(f: f64) -> String {
    if !f.is_finite() {
        return "null".into();
    }
    let a = f.abs();
    if a != 0.0 && !(1e-6..1e21).contains(&a) {
        let e = format!("{f:e}");
        let (m, x) = e.split_once('e').unwrap_or((&e, "0"));
        let x: i32 = x.parse().unwrap_or(0);
        return format!("{m}e{}{}", if x < 0 { '-' } else { '+' }, x.abs());
    }
    let s = format!("{f}");
    s.strip_suffix(".0").map(str::to_owned).unwrap_or(s)
}

fn json_value(v: &Val, depth: usize) -> serde_json::Value {
    use serde_json::Value as J;
    match &v.v {
        V::Nil | V::Files(_) | V::ApiVersions => J::Null,
        V::Bool(b) => J::Bool(*b),
        V::Int(i) => J::from(*i),
        V::Float(f) if f.fract() == 0.0 && f.abs() < 9e15 => J::from(*f as i64),
        V::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
        V::Str(t) => J::String(t.s.clone()),
        V::List(_) | V::Map(_) if depth >= MAX_NESTING => J::Null,
        V::List(l) => J::Array(l.iter().map(|x| json_value(x, depth + 1)).collect()),
        V::Map(m) => J::Object(
            m.borrow()
                .iter()
                .map(|(k, x)| (k.clone(), json_value(x, depth + 1)))
                .collect(),
        ),
    }
}

fn from_json(v: &serde_json::Value, loc: Loc, depth: usize) -> Val {
    use serde_json::Value as J;
    let val = match v {
        J::Null => V::Nil,
        J::Bool(b) => V::Bool(*b),
        J::Number(n) => V::Float(n.as_f64().unwrap_or(0.0)),
        J::String(s) => V::Str(Text::new(s.clone(), loc)),
        _ if depth > MAX_NESTING => V::Nil,
        J::Array(a) => return Val::list(a.iter().map(|x| from_json(x, loc, depth + 1)).collect()),
        J::Object(o) => {
            return Val::map(
                o.iter()
                    .map(|(k, x)| (k.clone(), from_json(x, loc, depth + 1)))
                    .collect(),
            );
        }
    };
    Val::at(val, Some(loc))
}

/// `fromYaml`: the first document as a map (Helm's errors come back under `Error`); node
/// locations inside the string map back through the string's own origins.
fn from_yaml(input: &Text, array: bool, at: Loc) -> Val {
    let file = yaml::load(u32::MAX, input.as_str());
    let loc = input.main_loc().unwrap_or(at);
    let error = |m: String| {
        if array {
            Val::list(Vec::new())
        } else {
            Val::map(Map::from([("Error".to_owned(), Val::str(m, loc))]))
        }
    };
    if let Some(e) = file.errors.first() {
        return error(e.message.clone());
    }
    let Some(doc) = file.documents.first() else {
        return if array {
            Val::list(Vec::new())
        } else {
            Val::map(Map::new())
        };
    };
    let reloc = |l: Option<Loc>| Some(l.and_then(|l| input.loc_at(l.span.range())).unwrap_or(loc));
    let v = Val::from_tree(&doc.tree, doc.root, &reloc, 0);
    match (&v.v, array) {
        (V::Map(_), false) | (V::List(_), true) => v,
        (V::Nil, false) => Val::map(Map::new()),
        _ => error(format!(
            "cannot unmarshal {} into the expected type",
            v.type_name()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml_of(src: &str) -> String {
        let v = from_yaml(
            &Text::exact(src, Loc::new(7, 0, src.len())),
            false,
            Loc::new(0, 0, 0),
        );
        let mut out = Text::default();
        emit(&v, 0, true, &mut out, Loc::new(0, 0, 0), 0);
        out.s
    }

    #[test]
    fn to_yaml_style() {
        assert_eq!(
            yaml_of(
                "b: [1, x]\na: {c: 'true', d: null, e: {}}\nf: \"l1\\nl2\"\ng: [{h: 1, i: 2}]\n"
            ),
            "a:\n  c: 'true'\n  d: null\n  e: {}\nb:\n- 1\n- x\nf: |-\n  l1\n  l2\ng:\n- h: 1\n  i: 2\n"
        );
        assert_eq!(json_float(1e6), "1000000");
        assert_eq!(json_float(1.5e21), "1.5e+21");
    }

    #[test]
    fn from_yaml_keeps_origins_inside_the_string() {
        let src = "a: x\nb: yy\n";
        let v = from_yaml(
            &Text::exact(src, Loc::new(7, 100, 111)),
            false,
            Loc::new(0, 0, 0),
        );
        let b = v.as_map().and_then(|m| m.get("b").cloned());
        assert_eq!(b.and_then(|b| b.loc), Some(Loc::new(7, 108, 110)));
        let bad = from_yaml(
            &Text::new("a: [", Loc::new(0, 0, 0)),
            false,
            Loc::new(0, 0, 0),
        );
        assert!(bad.as_map().is_some_and(|m| m.contains_key("Error")));
    }
}
