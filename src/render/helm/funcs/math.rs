//! Numbers and comparisons: Go's `eq`/`lt`/..., Sprig's integer arithmetic and casts, and
//! `semverCompare`.

use std::cmp::Ordering;

use super::super::value::{V, Val};
use super::{R, want, want_at_least};
use crate::source::Loc;

pub fn call(name: &str, args: &[Val], _at: Loc) -> Option<R> {
    let check = |n: usize| want(args, n);
    let i = |k: usize| args.get(k).map_or(0, Val::as_i64);
    let r = match name {
        "eq" => {
            want_at_least(args, 2).map(|()| Val::bool(args[1..].iter().any(|v| args[0].equals(v))))
        }
        "ne" => check(2).map(|()| Val::bool(!args[0].equals(&args[1]))),
        "lt" | "le" | "gt" | "ge" => check(2).and_then(|()| {
            let ord = compare(&args[0], &args[1])?;
            Ok(Val::bool(match name {
                "lt" => ord == Ordering::Less,
                "le" => ord != Ordering::Greater,
                "gt" => ord == Ordering::Greater,
                _ => ord != Ordering::Less,
            }))
        }),
        "add" => Ok(Val::int(
            args.iter().fold(0i64, |a, v| a.wrapping_add(v.as_i64())),
        )),
        "mul" => Ok(Val::int(
            args.iter().fold(1i64, |a, v| a.wrapping_mul(v.as_i64())),
        )),
        "add1" => check(1).map(|()| Val::int(i(0).wrapping_add(1))),
        "sub" => check(2).map(|()| Val::int(i(0).wrapping_sub(i(1)))),
        "div" | "mod" => check(2).and_then(|()| {
            if i(1) == 0 {
                return Err("integer divide by zero".into());
            }
            Ok(Val::int(if name == "div" {
                i(0).wrapping_div(i(1))
            } else {
                i(0).wrapping_rem(i(1))
            }))
        }),
        "max" | "min" => want_at_least(args, 1).map(|()| {
            let pick = args.iter().map(Val::as_i64);
            Val::int(if name == "max" {
                pick.max().unwrap_or(0)
            } else {
                pick.min().unwrap_or(0)
            })
        }),
        "int" | "int64" => check(1).map(|()| Val::int(i(0))),
        "atoi" => check(1).map(|()| Val::int(args[0].string().trim().parse().unwrap_or(0))),
        "float64" => check(1).map(|()| Val::new(V::Float(args[0].as_f64().unwrap_or(0.0)))),
        "floor" | "ceil" | "round" => want_at_least(args, 1).map(|()| {
            let x = args[0].as_f64().unwrap_or(0.0);
            Val::new(V::Float(match name {
                "floor" => x.floor(),
                "ceil" => x.ceil(),
                _ => x.round(),
            }))
        }),
        "semverCompare" => check(2)
            .and_then(|()| semver_compare(&args[0].string(), &args[1].string()).map(Val::bool)),
        _ => return None,
    };
    Some(r)
}

/// Go's `lt` and friends: numbers with numbers, strings with strings.
fn compare(a: &Val, b: &Val) -> Result<Ordering, String> {
    match (&a.v, &b.v) {
        (V::Str(x), V::Str(y)) => Ok(x.s.cmp(&y.s)),
        (V::Int(_) | V::Float(_), V::Int(_) | V::Float(_)) => {
            let (x, y) = (a.as_f64().unwrap_or(0.0), b.as_f64().unwrap_or(0.0));
            x.partial_cmp(&y)
                .ok_or_else(|| "incomparable numbers".to_owned())
        }
        _ => Err(format!(
            "incompatible types for comparison: {} and {}",
            a.type_name(),
            b.type_name()
        )),
    }
}

type Version = (u64, u64, u64, bool);

/// `1.2.3`, `v1.2`, `1.30.0-gke.1` → numbers and whether it is a pre-release.
fn version(s: &str) -> Option<Version> {
    let s = s.trim().trim_start_matches(['v', '=']);
    let (core, pre) = match s.find(['-', '+']) {
        Some(i) => (&s[..i], s[i..].starts_with('-')),
        None => (s, false),
    };
    let mut parts = core.split('.');
    let mut next = || parts.next().map_or(Some(0), |p| p.parse().ok());
    Some((next()?, next()?, next()?, pre))
}

/// Masterminds/semver constraints as charts write them: `>=1.19-0`, `^1.2`, `~1.2.3`,
/// `>=1.2, <2`, `a || b`, with `x` wildcards.
fn semver_compare(constraint: &str, ver: &str) -> Result<bool, String> {
    let v = version(ver).ok_or_else(|| format!("invalid semantic version {ver:?}"))?;
    for alt in constraint.split("||") {
        let mut all = true;
        for c in alt.split([',', ' ']).filter(|c| !c.trim().is_empty()) {
            if !check_one(c.trim(), v)? {
                all = false;
            }
        }
        if all {
            return Ok(true);
        }
    }
    Ok(false)
}

fn check_one(c: &str, v: Version) -> Result<bool, String> {
    let op_len = c
        .find(|ch: char| ch.is_ascii_alphanumeric())
        .unwrap_or(c.len());
    let (op, rest) = c.split_at(op_len);
    let wild = rest
        .split('.')
        .position(|p| p == "x" || p == "X" || p == "*");
    let cleaned = rest.replace(['x', 'X', '*'], "0");
    let target = version(&cleaned).ok_or_else(|| format!("improper constraint: {c}"))?;
    let has_pre = target.3;
    // Without a pre-release in the constraint, pre-release versions never match.
    if v.3 && !has_pre {
        return Ok(false);
    }
    let key = |x: Version| (x.0, x.1, x.2);
    let ord = key(v).cmp(&key(target));
    let given = rest
        .split(['-', '+'])
        .next()
        .unwrap_or("")
        .split('.')
        .count();
    Ok(match op.trim() {
        "" | "=" if wild.is_some() || given < 3 => prefix_match(v, target, wild.unwrap_or(given)),
        "" | "=" => ord == Ordering::Equal,
        "!=" => ord != Ordering::Equal,
        ">" => ord == Ordering::Greater,
        "<" => ord == Ordering::Less,
        ">=" | "=>" => ord != Ordering::Less,
        "<=" | "=<" => ord != Ordering::Greater,
        "~" | "~>" => ord != Ordering::Less && v.0 == target.0 && (given < 2 || v.1 == target.1),
        "^" => ord != Ordering::Less && v.0 == target.0,
        _ => return Err(format!("improper constraint: {c}")),
    })
}

fn prefix_match(v: Version, t: Version, parts: usize) -> bool {
    let (a, b) = ([v.0, v.1, v.2], [t.0, t.1, t.2]);
    a.iter().zip(b.iter()).take(parts).all(|(x, y)| x == y)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn semver_constraints() {
        let ok = |c: &str, v: &str| semver_compare(c, v).unwrap_or(false);
        assert!(ok(">=1.19-0", "v1.30.0"));
        assert!(!ok("<1.19", "v1.30.0"));
        assert!(ok(">=1.2, <2", "1.5.0"));
        assert!(ok("^1.2", "1.9.0") && !ok("^1.2", "2.0.0"));
        assert!(ok("~1.2", "1.2.9") && !ok("~1.2", "1.3.0"));
        assert!(ok("1.30.x", "1.30.4"));
        assert!(ok("<1 || >=1.30", "1.30.0"));
        assert!(semver_compare(">=1", "nonsense").is_err());
    }

    #[test]
    fn arithmetic_and_comparison() {
        let at = Loc::new(0, 0, 0);
        let v = |name: &str, args: &[Val]| match call(name, args, at) {
            Some(Ok(v)) => v.go_string("<nil>"),
            other => format!("{other:?}"),
        };
        assert_eq!(
            v("add", &[Val::int(1), Val::new(V::Float(2.0)), Val::int(3)]),
            "6"
        );
        assert_eq!(v("div", &[Val::int(7), Val::int(2)]), "3");
        assert!(matches!(
            call("div", &[Val::int(1), Val::int(0)], at),
            Some(Err(_))
        ));
        assert_eq!(v("eq", &[Val::new(V::Float(3.0)), Val::int(3)]), "true");
        assert_eq!(v("lt", &[Val::str("a", at), Val::str("b", at)]), "true");
        assert!(matches!(
            call("lt", &[Val::str("a", at), Val::int(1)], at),
            Some(Err(_))
        ));
        assert_eq!(v("max", &[Val::int(1), Val::int(9), Val::int(3)]), "9");
    }
}
