//! Text that remembers where each of its bytes came from (template text, a values.yaml node, or
//! a template action), so rendered output can be traced back to its source.

use std::ops::Range;

use crate::source::Loc;

/// One run of bytes `start..end` of a `Text` and its source.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Seg {
    pub start: u32,
    pub end: u32,
    pub loc: Loc,
    /// True when the bytes were copied 1:1 from `loc`, so offsets inside map to offsets there.
    pub exact: bool,
}

/// A string and the origins of its bytes, sorted by `start` and non-overlapping.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Text {
    pub s: String,
    pub segs: Vec<Seg>,
}

fn u(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl Text {
    /// `s`, all of it coming from `loc` as a whole.
    pub fn new(s: impl Into<String>, loc: Loc) -> Text {
        let s = s.into();
        let segs = if s.is_empty() {
            Vec::new()
        } else {
            vec![Seg {
                start: 0,
                end: u(s.len()),
                loc,
                exact: false,
            }]
        };
        Text { s, segs }
    }

    /// `s`, copied byte for byte from `loc`.
    pub fn exact(s: impl Into<String>, loc: Loc) -> Text {
        let mut t = Text::new(s, loc);
        for seg in &mut t.segs {
            seg.exact = true;
        }
        t
    }

    pub fn as_str(&self) -> &str {
        &self.s
    }

    pub fn len(&self) -> usize {
        self.s.len()
    }

    pub fn is_empty(&self) -> bool {
        self.s.is_empty()
    }

    /// Appends `other`, shifting its segments; a run continuing the last one is merged with it.
    pub fn push(&mut self, other: &Text) {
        let base = u(self.s.len());
        self.s.push_str(&other.s);
        for seg in &other.segs {
            self.add_seg(Seg {
                start: seg.start.saturating_add(base),
                end: seg.end.saturating_add(base),
                ..*seg
            });
        }
    }

    pub fn push_str(&mut self, s: &str, loc: Loc) {
        let start = u(self.s.len());
        self.s.push_str(s);
        if !s.is_empty() {
            self.add_seg(Seg {
                start,
                end: u(self.s.len()),
                loc,
                exact: false,
            });
        }
    }

    fn add_seg(&mut self, seg: Seg) {
        if let Some(last) = self.segs.last_mut()
            && last.end == seg.start
            && last.exact == seg.exact
            && last.loc.file == seg.loc.file
        {
            let joins = if seg.exact {
                last.loc.span.end == seg.loc.span.start
                    && last.loc.span.end - last.loc.span.start == last.end - last.start
            } else {
                last.loc == seg.loc
            };
            if joins {
                last.end = seg.end;
                if seg.exact {
                    last.loc.span.end = seg.loc.span.end;
                }
                return;
            }
        }
        self.segs.push(seg);
    }

    /// The bytes `range` with their origins (clamped to char boundaries by the caller).
    pub fn slice(&self, range: Range<usize>) -> Text {
        let (a, b) = (u(range.start), u(range.end));
        let s = self.s.get(range).unwrap_or_default().to_owned();
        let mut out = Text {
            s,
            segs: Vec::new(),
        };
        for seg in &self.segs {
            if seg.end <= a || seg.start >= b {
                continue;
            }
            let (start, end) = (seg.start.max(a), seg.end.min(b));
            let mut loc = seg.loc;
            if seg.exact {
                loc.span.start = seg.loc.span.start + (start - seg.start);
                loc.span.end = loc.span.start + (end - start);
            }
            out.segs.push(Seg {
                start: start - a,
                end: end - a,
                loc,
                exact: seg.exact,
            });
        }
        out
    }

    /// Where the bytes `range` came from: the first segment they touch (narrowed if exact).
    pub fn loc_at(&self, range: Range<usize>) -> Option<Loc> {
        let (a, b) = (u(range.start), u(range.end.max(range.start + 1)));
        let seg = self.segs.iter().find(|s| s.end > a && s.start < b)?;
        if !seg.exact {
            return Some(seg.loc);
        }
        let start = seg.loc.span.start + (a.max(seg.start) - seg.start);
        let end = seg.loc.span.start + (b.min(seg.end) - seg.start);
        Some(Loc::new(seg.loc.file, start as usize, end as usize))
    }

    /// The origin of the text as a whole: for functions that build new text from it.
    pub fn main_loc(&self) -> Option<Loc> {
        let first = self.segs.first()?;
        if self.segs.iter().all(|s| !s.exact && s.loc == first.loc) {
            return Some(first.loc);
        }
        if first.exact {
            let last = self.segs.last().unwrap_or(first);
            if last.exact && last.loc.file == first.loc.file {
                return Some(Loc::new(
                    first.loc.file,
                    first.loc.span.start as usize,
                    last.loc.span.end.max(first.loc.span.start) as usize,
                ));
            }
        }
        Some(first.loc)
    }

    /// New text of the same meaning built from this one: keeps the byte origins when the length
    /// is unchanged (case mapping of ASCII), else gives the whole the text's main origin.
    pub fn derive(&self, s: String, fallback: Loc) -> Text {
        if s.len() == self.s.len() {
            return Text {
                s,
                segs: self.segs.clone(),
            };
        }
        Text::new(s, self.main_loc().unwrap_or(fallback))
    }

    /// Each byte without an origin gets `loc`: output of an action always has one.
    pub fn fill(&mut self, loc: Loc) {
        let mut segs = Vec::with_capacity(self.segs.len());
        let mut at = 0;
        let fill = |segs: &mut Vec<Seg>, a: u32, b: u32| {
            if a < b {
                segs.push(Seg {
                    start: a,
                    end: b,
                    loc,
                    exact: false,
                });
            }
        };
        for seg in &self.segs {
            fill(&mut segs, at, seg.start);
            segs.push(*seg);
            at = seg.end;
        }
        fill(&mut segs, at, u(self.s.len()));
        self.segs = segs;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slicing_shifts_exact_origins_and_keeps_whole_ones() {
        let mut t = Text::exact("hello ", Loc::new(1, 10, 16));
        t.push(&Text::new("world", Loc::new(2, 3, 8)));
        let s = t.slice(3..8);
        assert_eq!(s.s, "lo wo");
        assert_eq!(s.segs[0].loc, Loc::new(1, 13, 16));
        assert_eq!(s.segs[1].loc, Loc::new(2, 3, 8));
        assert_eq!(s.loc_at(1..2), Some(Loc::new(1, 14, 15)));
    }

    #[test]
    fn adjacent_runs_merge() {
        let mut t = Text::exact("ab", Loc::new(1, 0, 2));
        t.push(&Text::exact("cd", Loc::new(1, 2, 4)));
        assert_eq!(t.segs.len(), 1);
        let mut gap = Text::default();
        gap.push_str("x", Loc::new(1, 0, 1));
        gap.s.push('y');
        gap.fill(Loc::new(3, 0, 0));
        assert_eq!(gap.segs.len(), 2);
    }
}
