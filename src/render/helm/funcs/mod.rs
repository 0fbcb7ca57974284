//! Template functions: Go's builtins, Helm's (`include`, `tpl`, `toYaml`, ...) and the Sprig
//! functions charts use, dispatched by name; plus the methods of `.Files` and
//! `.Capabilities.APIVersions`.

mod encode;
mod lists;
mod math;
mod strings;
mod yaml;

use super::eval::{Ctx, Res, error};
use super::origins::Text;
use super::value::{V, Val};
use crate::source::Loc;

/// What a function group returns: `None` when it has no function of that name.
pub type R = Result<Val, String>;

/// APIs `.Capabilities.APIVersions.Has` reports as served (a plain recent cluster).
const API_VERSIONS: &[&str] = &[
    "v1",
    "apps/v1",
    "batch/v1",
    "autoscaling/v1",
    "autoscaling/v2",
    "policy/v1",
    "networking.k8s.io/v1",
    "rbac.authorization.k8s.io/v1",
    "storage.k8s.io/v1",
    "apiextensions.k8s.io/v1",
    "admissionregistration.k8s.io/v1",
    "coordination.k8s.io/v1",
    "discovery.k8s.io/v1",
    "scheduling.k8s.io/v1",
    "certificates.k8s.io/v1",
    "events.k8s.io/v1",
    "node.k8s.io/v1",
];

pub fn call(ctx: &mut Ctx, name: &str, args: Vec<Val>, tmpl: &str, at: Loc) -> Res<Val> {
    let wrap = |r: R| r.map_err(|m| error(format!("error calling {name}: {m}"), at));
    match name {
        "include" => {
            let [n, data] = fixed::<2>(name, args, at)?;
            let t = ctx.call_template(&n.string(), &data, at)?;
            Ok(Val::text(t))
        }
        "tpl" => {
            let [text, data] = fixed::<2>(name, args, at)?;
            let text = text.to_text(at, "");
            let t = ctx.tpl(&text, &data, tmpl, at)?;
            Ok(Val::text(t))
        }
        "required" => {
            let [msg, v] = fixed::<2>(name, args, at)?;
            let missing = match &v.v {
                V::Nil => true,
                V::Str(t) => t.is_empty(),
                _ => false,
            };
            if missing {
                return Err(error(format!("execution error: {}", msg.string()), at));
            }
            Ok(v)
        }
        "fail" => {
            let [msg] = fixed::<1>(name, args, at)?;
            Err(error(format!("execution error: {}", msg.string()), at))
        }
        // No cluster: Helm's offline rendering also gets an empty result.
        "lookup" => Ok(Val::map(Default::default())),
        _ => {
            let found = strings::call(name, &args, at)
                .or_else(|| lists::call(name, &args, at))
                .or_else(|| math::call(name, &args, at))
                .or_else(|| yaml::call(name, &args, at))
                .or_else(|| encode::call(name, &args, at));
            match found {
                Some(r) => wrap(r),
                None => Err(error(format!("function {name:?} not defined"), at)),
            }
        }
    }
}

fn fixed<const N: usize>(name: &str, args: Vec<Val>, at: Loc) -> Res<[Val; N]> {
    let got = args.len();
    <[Val; N]>::try_from(args).map_err(|_| {
        error(
            format!("wrong number of args for {name}: want {N} got {got}"),
            at,
        )
    })
}

/// Checks the argument count of a function group's function.
pub fn want(args: &[Val], n: usize) -> Result<(), String> {
    if args.len() == n {
        Ok(())
    } else {
        Err(format!("wrong number of args: want {n} got {}", args.len()))
    }
}

pub fn want_at_least(args: &[Val], n: usize) -> Result<(), String> {
    if args.len() >= n {
        Ok(())
    } else {
        Err(format!(
            "wrong number of args: want at least {n} got {}",
            args.len()
        ))
    }
}

/// An argument as text with origins, nil as empty (a Go `string` parameter's zero value).
pub fn text(v: &Val, at: Loc) -> Text {
    let mut t = v.to_text(at, "");
    t.fill(at);
    t
}

/// `.Files.Get` and friends, `.Capabilities.APIVersions.Has`.
pub fn method(obj: &Val, name: &str, args: Vec<Val>, at: Loc) -> Res<Val> {
    let arg = |i: usize| args.get(i).map(|v| v.string()).unwrap_or_default();
    match (&obj.v, name) {
        (V::ApiVersions, "Has") => Ok(Val::bool(API_VERSIONS.contains(&arg(0).as_str()))),
        (V::Files(files), _) => encode::files_method(files, name, &arg(0), at).ok_or_else(|| {
            error(
                format!("can't evaluate field {name} in type chart.Files"),
                at,
            )
        }),
        _ => Err(error(
            format!("{name} is not a method but has arguments"),
            at,
        )),
    }
}
