//! List and dict functions (Go's `len`/`index`/`slice`, Sprig's list and dict functions) and
//! the value tests `default`, `empty`, `coalesce`, `ternary`, `kindOf`...

use std::cell::RefCell;
use std::rc::Rc;

use super::super::value::{MAX_NESTING, Map, V, Val};
use super::{R, want, want_at_least};
use crate::source::Loc;

/// Sprig's `empty`: Go's zero values and empty collections.
pub fn empty(v: &Val) -> bool {
    !v.truthy()
}

fn items(v: &Val) -> Result<Vec<Val>, String> {
    match &v.v {
        V::List(l) => Ok(l.iter().cloned().collect()),
        V::Nil => Ok(Vec::new()),
        _ => Err(format!("cannot use type {} as a list", v.type_name())),
    }
}

fn dict_of(v: &Val) -> Result<Rc<RefCell<Map>>, String> {
    match &v.v {
        V::Map(m) => Ok(m.clone()),
        _ => Err(format!("expected a dict, got {}", v.type_name())),
    }
}

pub fn call(name: &str, args: &[Val], at: Loc) -> Option<R> {
    let check = |n: usize| want(args, n);
    let r = match name {
        "list" => Ok(Val::list(args.to_vec())),
        "dict" => {
            let mut m = Map::new();
            for pair in args.chunks(2) {
                let v = pair.get(1).cloned().unwrap_or_else(Val::nil);
                m.insert(pair[0].string(), v);
            }
            Ok(Val::map(m))
        }
        "get" => check(2).and_then(|()| {
            let m = dict_of(&args[0])?;
            let v = m.borrow().get(&args[1].string()).cloned();
            Ok(v.unwrap_or_else(|| Val::str("", at)))
        }),
        "set" => check(3).and_then(|()| {
            let m = dict_of(&args[0])?;
            let v = args[2].clone();
            m.try_borrow_mut()
                .map_err(|_| "map in use".to_owned())?
                .insert(args[1].string(), v);
            Ok(args[0].clone())
        }),
        "unset" => check(2).and_then(|()| {
            let m = dict_of(&args[0])?;
            m.try_borrow_mut()
                .map_err(|_| "map in use".to_owned())?
                .remove(&args[1].string());
            Ok(args[0].clone())
        }),
        "hasKey" => check(2).and_then(|()| {
            Ok(Val::bool(
                dict_of(&args[0])?.borrow().contains_key(&args[1].string()),
            ))
        }),
        "keys" => {
            let mut keys = Vec::new();
            for d in args {
                let m = match dict_of(d) {
                    Ok(m) => m,
                    Err(e) => return Some(Err(e)),
                };
                keys.extend(m.borrow().iter().map(|(k, v)| match v.key_loc {
                    Some(l) => Val::str(k.clone(), l),
                    None => Val::str(k.clone(), at),
                }));
            }
            Ok(Val::list(keys))
        }
        "values" => check(1).and_then(|()| {
            Ok(Val::list(
                dict_of(&args[0])?.borrow().values().cloned().collect(),
            ))
        }),
        "pluck" => want_at_least(args, 1).map(|()| {
            let key = args[0].string();
            Val::list(
                args[1..]
                    .iter()
                    .filter_map(|d| d.as_map().and_then(|m| m.get(&key).cloned()))
                    .collect(),
            )
        }),
        "merge" | "mergeOverwrite" | "mustMerge" | "mustMergeOverwrite" => want_at_least(args, 1)
            .and_then(|()| {
                let dst = dict_of(&args[0])?;
                let overwrite = name.ends_with("Overwrite");
                for src in &args[1..] {
                    let src = dict_of(src)?;
                    let copy = src.borrow().clone();
                    let merged = merge_maps(&dst.borrow(), &copy, overwrite, 0);
                    *dst.try_borrow_mut().map_err(|_| "map in use".to_owned())? = merged;
                }
                Ok(args[0].clone())
            }),
        "deepCopy" | "mustDeepCopy" => check(1).map(|()| deep_copy(&args[0], 0)),
        "first" | "last" | "rest" | "initial" => check(1).and_then(|()| {
            let l = items(&args[0])?;
            Ok(match name {
                "first" => l.first().cloned().unwrap_or_else(Val::nil),
                "last" => l.last().cloned().unwrap_or_else(Val::nil),
                "rest" => Val::list(l.get(1..).unwrap_or_default().to_vec()),
                _ => Val::list(
                    l.get(..l.len().saturating_sub(1))
                        .unwrap_or_default()
                        .to_vec(),
                ),
            })
        }),
        "append" | "mustAppend" | "push" => check(2).and_then(|()| {
            let mut l = items(&args[0])?;
            l.push(args[1].clone());
            Ok(Val::list(l))
        }),
        "prepend" | "mustPrepend" => check(2).and_then(|()| {
            let mut l = items(&args[0])?;
            l.insert(0, args[1].clone());
            Ok(Val::list(l))
        }),
        "concat" => {
            let mut out = Vec::new();
            for a in args {
                match items(a) {
                    Ok(l) => out.extend(l),
                    Err(e) => return Some(Err(e)),
                }
            }
            Ok(Val::list(out))
        }
        "reverse" => check(1).and_then(|()| {
            let mut l = items(&args[0])?;
            l.reverse();
            Ok(Val::list(l))
        }),
        "uniq" => check(1).and_then(|()| {
            let mut out: Vec<Val> = Vec::new();
            for v in items(&args[0])? {
                if !out.iter().any(|o| o.equals(&v)) {
                    out.push(v);
                }
            }
            Ok(Val::list(out))
        }),
        "has" => check(2).and_then(|()| {
            Ok(Val::bool(
                items(&args[1])?.iter().any(|v| v.equals(&args[0])),
            ))
        }),
        "without" => want_at_least(args, 1).and_then(|()| {
            let l = items(&args[0])?;
            Ok(Val::list(
                l.into_iter()
                    .filter(|v| !args[1..].iter().any(|w| w.equals(v)))
                    .collect(),
            ))
        }),
        "compact" => check(1).and_then(|()| {
            Ok(Val::list(
                items(&args[0])?.into_iter().filter(|v| !empty(v)).collect(),
            ))
        }),
        "sortAlpha" => check(1).and_then(|()| {
            let mut l = items(&args[0])?;
            l.sort_by_key(Val::string);
            Ok(Val::list(l))
        }),
        "until" => check(1).and_then(|()| {
            let n = args[0].as_i64();
            if n.unsigned_abs() > 1 << 20 {
                return Err("until: too many items".into());
            }
            let range: Vec<Val> = if n >= 0 {
                (0..n).map(Val::int).collect()
            } else {
                (n + 1..=0).rev().map(Val::int).collect()
            };
            Ok(Val::list(range))
        }),
        "len" => check(1).and_then(|()| {
            Ok(Val::int(match &args[0].v {
                V::Str(t) => t.len() as i64,
                V::List(l) => l.len() as i64,
                V::Map(m) => m.borrow().len() as i64,
                V::Nil => return Err("len of nil pointer".into()),
                _ => return Err(format!("len of type {}", args[0].type_name())),
            }))
        }),
        "index" => want_at_least(args, 1).and_then(|()| {
            let mut v = args[0].clone();
            for key in &args[1..] {
                v = match &v.v {
                    V::Map(m) => m
                        .borrow()
                        .get(&key.string())
                        .cloned()
                        .unwrap_or_else(Val::nil),
                    V::List(l) => {
                        let i = key.as_i64();
                        l.get(usize::try_from(i).map_err(|_| format!("index out of range: {i}"))?)
                            .cloned()
                            .ok_or_else(|| format!("index out of range: {i}"))?
                    }
                    V::Nil => Val::nil(),
                    _ => return Err(format!("can't index item of type {}", v.type_name())),
                };
            }
            Ok(v)
        }),
        "slice" => want_at_least(args, 1).and_then(|()| {
            let bound = |i: usize, len: usize| {
                args.get(i).map_or(Ok(len), |v| {
                    usize::try_from(v.as_i64()).map_err(|_| "slice index out of range".to_owned())
                })
            };
            match &args[0].v {
                V::List(l) => {
                    let (a, b) = (bound(1, 0)?, bound(2, l.len())?);
                    l.get(a..b)
                        .map(|s| Val::list(s.to_vec()))
                        .ok_or_else(|| "slice index out of range".into())
                }
                V::Str(t) => {
                    let (a, b) = (bound(1, 0)?, bound(2, t.len())?);
                    if a > b || b > t.len() || !t.s.is_char_boundary(a) || !t.s.is_char_boundary(b)
                    {
                        return Err("slice index out of range".into());
                    }
                    Ok(Val::text(t.slice(a..b)))
                }
                _ => Err(format!("can't slice item of type {}", args[0].type_name())),
            }
        }),
        "default" => check(2).map(|()| {
            if empty(&args[1]) {
                args[0].clone()
            } else {
                args[1].clone()
            }
        }),
        "empty" => check(1).map(|()| Val::bool(empty(&args[0]))),
        "coalesce" => Ok(args
            .iter()
            .find(|v| !empty(v))
            .cloned()
            .unwrap_or_else(Val::nil)),
        "all" => Ok(Val::bool(args.iter().all(|v| !empty(v)))),
        "any" => Ok(Val::bool(args.iter().any(|v| !empty(v)))),
        "ternary" => check(3).map(|()| {
            if args[2].truthy() {
                args[0].clone()
            } else {
                args[1].clone()
            }
        }),
        "not" => check(1).map(|()| Val::bool(!args[0].truthy())),
        "kindOf" => check(1).map(|()| Val::str(args[0].kind(), at)),
        "typeOf" => check(1).map(|()| Val::str(args[0].type_name(), at)),
        "kindIs" => check(2).map(|()| Val::bool(args[1].kind() == args[0].string())),
        "typeIs" => check(2).map(|()| Val::bool(args[1].type_name() == args[0].string())),
        "dig" => want_at_least(args, 3).map(|()| {
            let (keys, rest) = args.split_at(args.len() - 2);
            let mut v = rest[1].clone();
            for k in keys {
                v = match v.as_map().and_then(|m| m.get(&k.string()).cloned()) {
                    Some(next) => next,
                    None => return rest[0].clone(),
                };
            }
            v
        }),
        _ => return None,
    };
    Some(r)
}

/// Sprig's `merge` (destination keys win) or `mergeOverwrite` (source keys win), recursing into
/// maps present on both sides.
pub fn merge_maps(dst: &Map, src: &Map, overwrite: bool, depth: usize) -> Map {
    let mut out = dst.clone();
    for (k, v) in src {
        let merged = match (out.get(k), &v.v) {
            (Some(d), V::Map(s)) if depth < MAX_NESTING => match &d.v {
                V::Map(dm) => {
                    let (dm, sm) = (dm.borrow().clone(), s.borrow().clone());
                    let mut val = d.clone();
                    val.v = V::Map(Rc::new(RefCell::new(merge_maps(
                        &dm,
                        &sm,
                        overwrite,
                        depth + 1,
                    ))));
                    val
                }
                _ if overwrite => v.clone(),
                _ => d.clone(),
            },
            (Some(d), _) if !overwrite || (empty(v) && !matches!(v.v, V::Bool(_))) => d.clone(),
            _ => v.clone(),
        };
        out.insert(k.clone(), merged);
    }
    out
}

pub fn deep_copy(v: &Val, depth: usize) -> Val {
    let mut out = v.clone();
    if depth > MAX_NESTING {
        return out;
    }
    out.v = match &v.v {
        V::List(l) => V::List(Rc::new(l.iter().map(|x| deep_copy(x, depth + 1)).collect())),
        V::Map(m) => V::Map(Rc::new(RefCell::new(
            m.borrow()
                .iter()
                .map(|(k, x)| (k.clone(), deep_copy(x, depth + 1)))
                .collect(),
        ))),
        other => other.clone(),
    };
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Val {
        Val::str(v, Loc::new(0, 0, 0))
    }

    fn run(name: &str, args: &[Val]) -> String {
        match call(name, args, Loc::new(0, 0, 0)) {
            Some(Ok(v)) => v.go_string("<nil>"),
            Some(Err(e)) => format!("error: {e}"),
            None => "undefined".into(),
        }
    }

    #[test]
    fn list_and_dict_functions() {
        let l = Val::list(vec![s("b"), s("a"), s("b"), s("")]);
        assert_eq!(run("uniq", std::slice::from_ref(&l)), "[b a ]");
        assert_eq!(run("compact", std::slice::from_ref(&l)), "[b a b]");
        assert_eq!(run("sortAlpha", std::slice::from_ref(&l)), "[ a b b]");
        assert_eq!(run("without", &[l.clone(), s("b")]), "[a ]");
        assert_eq!(run("has", &[s("a"), l.clone()]), "true");
        assert_eq!(run("rest", std::slice::from_ref(&l)), "[a b ]");
        assert_eq!(
            run("index", &[l.clone(), Val::int(9)]),
            "error: index out of range: 9"
        );
        let d = Val::map(Map::from([("a".into(), Val::int(1))]));
        assert!(matches!(
            call("set", &[d.clone(), s("b"), Val::int(2)], Loc::new(0, 0, 0)),
            Some(Ok(_))
        ));
        assert_eq!(run("keys", std::slice::from_ref(&d)), "[a b]");
        let over = Val::map(Map::from([
            ("a".into(), Val::int(5)),
            ("c".into(), Val::int(3)),
        ]));
        assert_eq!(run("merge", &[d.clone(), over.clone()]), "map[a:1 b:2 c:3]");
        assert_eq!(
            run("mergeOverwrite", &[d.clone(), over]),
            "map[a:5 b:2 c:3]"
        );
        assert_eq!(run("default", &[s("x"), s("")]), "x");
        assert_eq!(run("ternary", &[s("y"), s("n"), Val::bool(false)]), "n");
        assert_eq!(run("dig", &[s("a"), s("zz"), d]), "5");
    }

    #[test]
    fn self_containing_maps_do_not_hang() {
        let d = Val::map(Map::new());
        let _ = call("set", &[d.clone(), s("me"), d.clone()], Loc::new(0, 0, 0));
        assert!(d.go_string("").len() < 10_000);
        let _ = call("merge", &[d.clone(), d.clone()], Loc::new(0, 0, 0));
        let _ = deep_copy(&d, 0);
    }
}
