//! Template values: what a pipeline produces, each carrying the location it was read from, and
//! the Go rules for them (truthiness, `fmt`'s `%v` formatting, kind names).

use std::cell::{Ref, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;

use super::origins::Text;
use crate::model::{NodeId, Tree, Value};
use crate::source::Loc;

pub type Map = BTreeMap<String, Val>;

/// Walks over values (printing, comparing, serialising) stop this deep: `set $d "d" $d` makes a
/// map that contains itself.
pub const MAX_NESTING: usize = 100;

#[derive(Clone, Debug)]
pub enum V {
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Text),
    List(Rc<Vec<Val>>),
    /// Helm's maps are Go maps: iterated, printed and serialised in sorted key order, and
    /// shared, so `set` changes the map every holder sees.
    Map(Rc<RefCell<Map>>),
    /// `.Files`: the chart's non-template files.
    Files(Rc<Vec<ChartFileRef>>),
    /// `.Capabilities.APIVersions`, whose `Has` says which APIs the cluster serves.
    ApiVersions,
}

/// A chart file visible to `.Files`: its path inside the chart and its text.
#[derive(Clone, Debug)]
pub struct ChartFileRef {
    pub path: String,
    pub text: Rc<str>,
    pub file: crate::source::FileId,
}

/// A value and where it came from (a values.yaml node; `None` when computed). `key_loc` is the
/// location of the key it sits under in a map read from a file.
#[derive(Clone, Debug)]
pub struct Val {
    pub v: V,
    pub loc: Option<Loc>,
    pub key_loc: Option<Loc>,
}

impl Val {
    pub fn new(v: V) -> Val {
        Val {
            v,
            loc: None,
            key_loc: None,
        }
    }

    pub fn at(v: V, loc: Option<Loc>) -> Val {
        Val {
            v,
            loc,
            key_loc: None,
        }
    }

    pub fn nil() -> Val {
        Val::new(V::Nil)
    }

    pub fn str(s: impl Into<String>, loc: Loc) -> Val {
        Val::at(V::Str(Text::new(s, loc)), Some(loc))
    }

    pub fn text(t: Text) -> Val {
        let loc = t.main_loc();
        Val::at(V::Str(t), loc)
    }

    pub fn bool(b: bool) -> Val {
        Val::new(V::Bool(b))
    }

    pub fn int(i: i64) -> Val {
        Val::new(V::Int(i))
    }

    pub fn list(items: Vec<Val>) -> Val {
        Val::new(V::List(Rc::new(items)))
    }

    pub fn map(m: Map) -> Val {
        Val::new(V::Map(Rc::new(RefCell::new(m))))
    }

    pub fn is_nil(&self) -> bool {
        matches!(self.v, V::Nil)
    }

    /// Go template truthiness: false, zero, nil and empty strings/collections are false.
    pub fn truthy(&self) -> bool {
        match &self.v {
            V::Nil => false,
            V::Bool(b) => *b,
            V::Int(i) => *i != 0,
            V::Float(f) => *f != 0.0,
            V::Str(t) => !t.is_empty(),
            V::List(l) => !l.is_empty(),
            V::Map(m) => !m.borrow().is_empty(),
            V::Files(_) | V::ApiVersions => true,
        }
    }

    /// The Go kind name (`kindOf`).
    pub fn kind(&self) -> &'static str {
        match &self.v {
            V::Nil => "invalid",
            V::Bool(_) => "bool",
            // Template literals and `int` are Go ints (Sprig arithmetic gives int64, rarely asked).
            V::Int(_) => "int",
            V::Float(_) => "float64",
            V::Str(_) => "string",
            V::List(_) => "slice",
            V::Map(_) | V::Files(_) => "map",
            V::ApiVersions => "struct",
        }
    }

    /// The Go type name (`typeOf`).
    pub fn type_name(&self) -> &'static str {
        match &self.v {
            V::Nil => "<nil>",
            V::List(_) => "[]interface {}",
            V::Map(_) => "map[string]interface {}",
            V::Files(_) => "chart.Files",
            V::ApiVersions => "chart.VersionSet",
            _ => self.kind(),
        }
    }

    /// Text as `fmt.Sprint` gives it; `nil_text` is what nil prints as (`<nil>` in `print`,
    /// nothing in output, where Helm removes `<no value>`). Origins: a string keeps its own,
    /// anything else is attributed to the value's location or `fallback`.
    pub fn to_text(&self, fallback: Loc, nil_text: &str) -> Text {
        match &self.v {
            V::Str(t) => t.clone(),
            _ => Text::new(self.go_string(nil_text), self.loc.unwrap_or(fallback)),
        }
    }

    pub fn go_string(&self, nil_text: &str) -> String {
        let mut out = String::new();
        self.write_go(&mut out, nil_text, 0);
        out
    }

    fn write_go(&self, out: &mut String, nil_text: &str, depth: usize) {
        if depth > MAX_NESTING {
            out.push_str("...");
            return;
        }
        match &self.v {
            V::Nil => out.push_str(if depth == 0 { nil_text } else { "<nil>" }),
            V::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            V::Int(i) => out.push_str(&i.to_string()),
            V::Float(f) => out.push_str(&format_float(*f)),
            V::Str(t) => out.push_str(t.as_str()),
            V::List(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    item.write_go(out, nil_text, depth + 1);
                }
                out.push(']');
            }
            V::Map(m) => {
                out.push_str("map[");
                for (i, (k, v)) in m.borrow().iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    out.push_str(k);
                    out.push(':');
                    v.write_go(out, nil_text, depth + 1);
                }
                out.push(']');
            }
            V::Files(_) => out.push_str("map[]"),
            V::ApiVersions => out.push_str("[]"),
        }
    }

    /// The length of a string value (0 for anything else).
    pub fn as_text_len(&self) -> usize {
        match &self.v {
            V::Str(t) => t.len(),
            _ => 0,
        }
    }

    /// A computed string with no origin of its own: where it is used, the action is its origin.
    pub fn plain(s: impl Into<String>) -> Val {
        Val::new(V::Str(Text {
            s: s.into(),
            segs: Vec::new(),
        }))
    }

    pub fn as_map(&self) -> Option<Ref<'_, Map>> {
        match &self.v {
            V::Map(m) => Some(m.borrow()),
            _ => None,
        }
    }

    /// Sprig's `toString`-like view used by string functions (nil is empty).
    pub fn string(&self) -> String {
        match &self.v {
            V::Str(t) => t.s.clone(),
            V::Nil => String::new(),
            _ => self.go_string(""),
        }
    }

    /// A number as f64 when it is one (or a numeric string, as Sprig's casts accept).
    pub fn as_f64(&self) -> Option<f64> {
        match &self.v {
            V::Int(i) => Some(*i as f64),
            V::Float(f) => Some(*f),
            V::Bool(b) => Some(f64::from(u8::from(*b))),
            V::Str(t) => t.s.trim().parse().ok(),
            V::Nil => Some(0.0),
            _ => None,
        }
    }

    /// Sprig's `toInt64`: floats truncate, unparsable strings are 0.
    pub fn as_i64(&self) -> i64 {
        match &self.v {
            V::Int(i) => *i,
            V::Float(f) => *f as i64,
            V::Str(t) => {
                let s = t.s.trim();
                s.parse::<i64>()
                    .ok()
                    .or_else(|| s.parse::<f64>().ok().map(|f| f as i64))
                    .unwrap_or(0)
            }
            V::Bool(b) => i64::from(*b),
            _ => 0,
        }
    }

    /// Go's `reflect.DeepEqual`-like equality; numbers of either kind compare by value.
    pub fn equals(&self, other: &Val) -> bool {
        self.equals_at(other, 0)
    }

    fn equals_at(&self, other: &Val, depth: usize) -> bool {
        if depth > MAX_NESTING {
            return false;
        }
        match (&self.v, &other.v) {
            (V::Nil, V::Nil) => true,
            (V::Bool(a), V::Bool(b)) => a == b,
            (V::Str(a), V::Str(b)) => a.s == b.s,
            (V::Int(_) | V::Float(_), V::Int(_) | V::Float(_)) => self.as_f64() == other.as_f64(),
            (V::List(a), V::List(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .zip(b.iter())
                        .all(|(x, y)| x.equals_at(y, depth + 1))
            }
            (V::Map(a), V::Map(b)) => {
                let (a, b) = (a.borrow(), b.borrow());
                a.len() == b.len()
                    && a.iter()
                        .zip(b.iter())
                        .all(|((ka, va), (kb, vb))| ka == kb && va.equals_at(vb, depth + 1))
            }
            _ => false,
        }
    }

    /// A value read from a YAML tree, keeping each node's location (passed through `reloc`, for
    /// a tree parsed from a string). Numbers become float64, as Helm's values do (they pass
    /// through JSON).
    pub fn from_tree(
        tree: &Tree,
        id: NodeId,
        reloc: &dyn Fn(Option<Loc>) -> Option<Loc>,
        depth: usize,
    ) -> Val {
        let loc = reloc(tree.loc(id));
        if depth > 200 {
            return Val::at(V::Nil, loc);
        }
        let v = match tree.value(id) {
            Value::Null => V::Nil,
            Value::Bool(b) => V::Bool(*b),
            Value::Int(i) => V::Float(*i as f64),
            Value::Float(f) => V::Float(*f),
            Value::Str(s) => match loc {
                Some(l) => V::Str(Text::new(s.to_string(), l)),
                None => V::Str(Text {
                    s: s.to_string(),
                    segs: Vec::new(),
                }),
            },
            Value::Seq(items) => V::List(Rc::new(
                items
                    .iter()
                    .map(|i| Val::from_tree(tree, *i, reloc, depth + 1))
                    .collect(),
            )),
            Value::Map(entries) => {
                let mut m = Map::new();
                for e in entries {
                    let mut v = Val::from_tree(tree, e.value, reloc, depth + 1);
                    v.key_loc = reloc(e.key_loc);
                    m.insert(e.key.as_str().to_owned(), v);
                }
                V::Map(Rc::new(RefCell::new(m)))
            }
        };
        Val::at(v, loc)
    }
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 64)`, which `%v` uses: shortest digits, exponent form
/// below 1e-4 and from 1e6 on (why Helm prints big integers from values as `1e+06`).
pub fn format_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.into();
    }
    let e = format!("{f:e}");
    let (mantissa, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if !(-4..6).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        return format!("{mantissa}e{sign}{:02}", exp.abs());
    }
    let s = format!("{f}");
    s.strip_suffix(".0").map(str::to_owned).unwrap_or(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_format_like_go() {
        assert_eq!(format_float(3.0), "3");
        assert_eq!(format_float(1.5), "1.5");
        assert_eq!(format_float(1e6), "1e+06");
        assert_eq!(format_float(100000.0), "100000");
        assert_eq!(format_float(0.00001), "1e-05");
    }

    #[test]
    fn truthiness_follows_go() {
        assert!(!Val::nil().truthy());
        assert!(!Val::int(0).truthy());
        assert!(!Val::list(vec![]).truthy());
        assert!(Val::str("x", Loc::new(0, 0, 0)).truthy());
    }
}
