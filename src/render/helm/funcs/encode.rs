//! Encodings and the functions that would not be deterministic in Helm (`now`, `rand*`,
//! `uuidv4`, here fixed so a scan is reproducible), and the `.Files` methods.

use std::rc::Rc;

use super::super::origins::Text;
use super::super::value::{ChartFileRef, Map, V, Val};
use super::{R, text, want};
use crate::source::Loc;

/// `now` is this instant (Unix seconds): renders must not depend on when golive runs.
const EPOCH: i64 = 0;

pub fn call(name: &str, args: &[Val], at: Loc) -> Option<R> {
    let t = |i: usize| args.get(i).map_or_else(Text::default, |v| text(v, at));
    let r = match name {
        "b64enc" => want(args, 1).map(|()| {
            let input = t(0);
            Val::text(Text::new(
                b64enc(input.as_str().as_bytes()),
                input.main_loc().unwrap_or(at),
            ))
        }),
        "b64dec" => want(args, 1).map(|()| {
            let input = t(0);
            let out = b64dec(input.as_str()).map_or_else(
                || "illegal base64 data".to_owned(),
                |b| String::from_utf8_lossy(&b).into_owned(),
            );
            Val::text(Text::new(out, input.main_loc().unwrap_or(at)))
        }),
        "sha256sum" => want(args, 1).map(|()| {
            let input = t(0);
            let hex: String = sha256(input.as_str().as_bytes())
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            Val::text(Text::new(hex, input.main_loc().unwrap_or(at)))
        }),
        "now" => want(args, 0).map(|()| Val::int(EPOCH)),
        "date" | "dateInZone" => want(args, if name == "date" { 2 } else { 3 }).map(|()| {
            let secs = match &args[1].v {
                V::Int(i) => *i,
                V::Float(f) => *f as i64,
                _ => EPOCH,
            };
            Val::str(go_date(&args[0].string(), secs), at)
        }),
        "randAlphaNum" | "randAlpha" | "randNumeric" | "randAscii" => want(args, 1).map(|()| {
            let set: &[u8] = match name {
                "randAlpha" => b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
                "randNumeric" => b"0123456789",
                _ => b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
            };
            let n = args[0].as_i64().clamp(0, 1 << 16) as usize;
            // A fixed sequence: reproducible, and still varied enough to look random.
            let s: String = (0..n)
                .map(|i| set[(i * 7 + 3) % set.len()] as char)
                .collect();
            Val::str(s, at)
        }),
        "uuidv4" => want(args, 0).map(|()| Val::str("00000000-0000-4000-8000-000000000000", at)),
        _ => return None,
    };
    Some(r)
}

/// `.Files.Get`, `.Glob`, `.Lines`, `.AsConfig`, `.AsSecrets`; `None` for an unknown method.
pub fn files_method(files: &Rc<Vec<ChartFileRef>>, name: &str, arg: &str, at: Loc) -> Option<Val> {
    let whole =
        |f: &ChartFileRef| Text::exact(f.text.to_string(), Loc::new(f.file, 0, f.text.len()));
    let find = |p: &str| files.iter().find(|f| f.path == p);
    Some(match name {
        "Get" | "GetBytes" => Val::text(find(arg).map(whole).unwrap_or_default()),
        "Lines" => {
            let Some(f) = find(arg) else {
                return Some(Val::list(Vec::new()));
            };
            let t = whole(f);
            let mut start = 0;
            let mut lines = Vec::new();
            // Helm drops the final newline before splitting.
            let text = f.text.strip_suffix('\n').unwrap_or(&f.text);
            for line in text.split('\n') {
                lines.push(Val::text(t.slice(start..start + line.len())));
                start += line.len() + 1;
            }
            Val::list(lines)
        }
        "Glob" => {
            let matcher = globset::GlobBuilder::new(arg)
                .literal_separator(true)
                .build()
                .ok()?
                .compile_matcher();
            V::Files(Rc::new(
                files
                    .iter()
                    .filter(|f| matcher.is_match(&f.path))
                    .cloned()
                    .collect(),
            ))
            .into()
        }
        "AsConfig" | "AsSecrets" => {
            let mut m = Map::new();
            for f in files.iter() {
                let base = f.path.rsplit('/').next().unwrap_or(&f.path).to_owned();
                let content = whole(f);
                let v = if name == "AsSecrets" {
                    Val::text(Text::new(
                        b64enc(f.text.as_bytes()),
                        Loc::new(f.file, 0, f.text.len()),
                    ))
                } else {
                    Val::text(content)
                };
                m.insert(base, v);
            }
            let mut out = Text::default();
            super::yaml::emit(&Val::map(m), 0, true, &mut out, at, 0);
            if out.as_str().ends_with('\n') {
                out = out.slice(0..out.len() - 1);
            }
            Val::text(out)
        }
        _ => return None,
    })
}

impl From<V> for Val {
    fn from(v: V) -> Val {
        Val::new(v)
    }
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub fn b64enc(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(B64[((n >> shift) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn b64dec(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut acc = 0u32;
    let mut bits = 0;
    for c in s.trim_end_matches('=').bytes() {
        let v = B64.iter().position(|&b| b == c)? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// SHA-256 (FIPS 180-4).
fn sha256(data: &[u8]) -> [u8; 32] {
    const K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];
    let mut h: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];
    let mut msg = data.to_vec();
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&((data.len() as u64).wrapping_mul(8)).to_be_bytes());
    for block in msg.chunks_exact(64) {
        let mut w = [0u32; 64];
        for (i, word) in block.chunks_exact(4).enumerate() {
            w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        for i in 16..64 {
            let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
            let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16]
                .wrapping_add(s0)
                .wrapping_add(w[i - 7])
                .wrapping_add(s1);
        }
        let mut v = h;
        for i in 0..64 {
            let s1 = v[4].rotate_right(6) ^ v[4].rotate_right(11) ^ v[4].rotate_right(25);
            let ch = (v[4] & v[5]) ^ (!v[4] & v[6]);
            let t1 = v[7]
                .wrapping_add(s1)
                .wrapping_add(ch)
                .wrapping_add(K[i])
                .wrapping_add(w[i]);
            let s0 = v[0].rotate_right(2) ^ v[0].rotate_right(13) ^ v[0].rotate_right(22);
            let maj = (v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]);
            let t2 = s0.wrapping_add(maj);
            v = [
                t1.wrapping_add(t2),
                v[0],
                v[1],
                v[2],
                v[3].wrapping_add(t1),
                v[4],
                v[5],
                v[6],
            ];
        }
        for (a, b) in h.iter_mut().zip(v) {
            *a = a.wrapping_add(b);
        }
    }
    let mut out = [0u8; 32];
    for (i, word) in h.iter().enumerate() {
        out[i * 4..i * 4 + 4].copy_from_slice(&word.to_be_bytes());
    }
    out
}

/// Go's reference-time layout (`2006-01-02T15:04:05Z07:00`) applied to a UTC Unix time.
fn go_date(layout: &str, secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let (h, m, s) = (rem / 3600, rem / 60 % 60, rem % 60);
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month_name = MONTHS.get((month - 1) as usize).copied().unwrap_or("Jan");
    let tokens: [(&str, String); 12] = [
        ("2006", format!("{year:04}")),
        ("January", month_name.to_owned()),
        ("Jan", month_name.to_owned()),
        ("01", format!("{month:02}")),
        ("02", format!("{day:02}")),
        ("15", format!("{h:02}")),
        (
            "03",
            format!("{:02}", if h % 12 == 0 { 12 } else { h % 12 }),
        ),
        ("04", format!("{m:02}")),
        ("05", format!("{s:02}")),
        ("Z07:00", "Z".to_owned()),
        ("-0700", "+0000".to_owned()),
        ("MST", "UTC".to_owned()),
    ];
    let mut out = String::new();
    let mut rest = layout;
    'outer: while !rest.is_empty() {
        for (tok, val) in &tokens {
            if let Some(r) = rest.strip_prefix(tok) {
                out.push_str(val);
                rest = r;
                continue 'outer;
            }
        }
        let c = rest.chars().next().unwrap_or(' ');
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings() {
        assert_eq!(b64enc(b"hello"), "aGVsbG8=");
        assert_eq!(b64dec("aGVsbG8=").as_deref(), Some(&b"hello"[..]));
        let hex: String = sha256(b"abc").iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            go_date("2006-01-02 15:04:05", 86_400 + 3_661),
            "1970-01-02 01:01:01"
        );
    }
}
