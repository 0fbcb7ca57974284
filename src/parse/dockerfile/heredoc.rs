//! Blanks the heredoc bodies parse-dockerfile does not recognise, so their lines are not read as
//! instructions.
//!
//! parse-dockerfile 0.1.9 only sees a heredoc on RUN when `<<` starts the arguments, and only
//! the first one; BuildKit accepts `RUN python3 <<EOF > /out` and several heredocs per RUN.
//! Blanking keeps every byte offset, so spans into the original text stay valid.

use std::collections::VecDeque;

/// Text for the grammar, plus where blanked heredocs end so instructions can claim them.
pub struct Masked {
    pub text: String,
    /// (instruction start, end of its last heredoc delimiter line).
    pub extends: Vec<(usize, usize)>,
}

struct Pending {
    delim: String,
    strip_tabs: bool,
    hide: bool,
}

#[derive(Default)]
struct Scan {
    pending: VecDeque<Pending>,
    continuing: bool,
    logical: String,
    start: usize,
    hid_any: bool,
}

/// `None` when nothing needs blanking (the common case: no copy of the text).
pub fn mask(body: &str) -> Option<Masked> {
    let escape = escape_directive(body);
    let mut bytes = body.as_bytes().to_vec();
    let mut extends = Vec::new();
    let mut scan = Scan::default();
    let mut offset = 0;
    for raw in body.split_inclusive('\n') {
        let line = raw.trim_end_matches(['\n', '\r']);
        scan.line(line, offset, escape, &mut bytes, &mut extends);
        offset += raw.len();
    }
    if extends.is_empty() {
        return None;
    }
    // Only ASCII bytes were overwritten with spaces over whole lines, so this cannot fail.
    let text = String::from_utf8(bytes).ok()?;
    Some(Masked { text, extends })
}

impl Scan {
    fn line(
        &mut self,
        line: &str,
        offset: usize,
        escape: char,
        bytes: &mut [u8],
        extends: &mut Vec<(usize, usize)>,
    ) {
        if let Some(front) = self.pending.front() {
            let check = if front.strip_tabs {
                line.trim_start_matches('\t')
            } else {
                line
            };
            let done = check == front.delim;
            if front.hide {
                blank(bytes, offset, line.len());
            }
            if done {
                self.pending.pop_front();
                if self.pending.is_empty() && self.hid_any {
                    extends.push((self.start, offset + line.len()));
                }
            }
            return;
        }
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            return;
        }
        if !self.continuing {
            self.logical.clear();
            self.start = offset + line.len() - trimmed.len();
        }
        self.logical.push_str(line);
        self.logical.push(' ');
        self.continuing = line.trim_end().ends_with(escape);
        if !self.continuing {
            self.queue_heredocs();
        }
    }

    fn queue_heredocs(&mut self) {
        let mut words = self.logical.split_whitespace();
        let mut keyword = words.next().unwrap_or("");
        if keyword.eq_ignore_ascii_case("ONBUILD") {
            keyword = words.next().unwrap_or("");
        }
        let run = keyword.eq_ignore_ascii_case("RUN");
        if !run && !keyword.eq_ignore_ascii_case("COPY") && !keyword.eq_ignore_ascii_case("ADD") {
            return;
        }
        let first_is_heredoc = words
            .find(|w| !w.starts_with("--"))
            .is_some_and(|w| w.starts_with("<<"));
        self.hid_any = false;
        for (i, (delim, strip_tabs)) in markers(&self.logical).into_iter().enumerate() {
            // COPY/ADD heredocs and the leading one on RUN are the grammar's own.
            let hide = run && !(i == 0 && first_is_heredoc);
            self.hid_any |= hide;
            self.pending.push_back(Pending {
                delim,
                strip_tabs,
                hide,
            });
        }
    }
}

fn blank(bytes: &mut [u8], start: usize, len: usize) {
    if let Some(line) = bytes.get_mut(start..start + len) {
        line.fill(b' ');
    }
}

/// `<<EOF`, `<<-EOF`, `<<'EOF'`, `<<"EOF"` — BuildKit's heredoc word forms.
fn markers(line: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(pos) = line.get(from..).and_then(|s| s.find("<<")) {
        let at = from + pos;
        from = at + 2;
        if line[..at].ends_with('<') || line[at + 2..].starts_with('<') {
            from = at + 3;
            continue;
        }
        if let Some(marker) = marker_at(&line[at + 2..]) {
            out.push(marker);
        }
    }
    out
}

fn marker_at(rest: &str) -> Option<(String, bool)> {
    let (rest, strip_tabs) = match rest.strip_prefix('-') {
        Some(r) => (r, true),
        None => (rest, false),
    };
    let quote = rest.chars().next().filter(|c| matches!(c, '"' | '\''));
    let rest = quote.map_or(rest, |q| &rest[q.len_utf8()..]);
    let len = rest
        .char_indices()
        .take_while(|&(i, c)| c == '_' || c.is_ascii_alphabetic() || (i > 0 && c.is_ascii_digit()))
        .count();
    if len == 0 || quote.is_some_and(|q| !rest[len..].starts_with(q)) {
        return None;
    }
    Some((rest[..len].to_string(), strip_tabs))
}

/// The `# escape=` parser directive, which must come before anything else.
fn escape_directive(body: &str) -> char {
    for line in body.lines() {
        let Some(comment) = line.trim_start().strip_prefix('#') else {
            break;
        };
        let Some((key, value)) = comment.split_once('=') else {
            break;
        };
        if key.trim().eq_ignore_ascii_case("escape") {
            return value.trim().chars().next().unwrap_or('\\');
        }
    }
    '\\'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blanks_heredocs_after_command_words() {
        let text = "FROM a\nRUN cat <<EOF > /f\nUSER root\nEOF\nUSER app\n";
        let masked = mask(text).expect("masked");
        assert_eq!(
            masked.text,
            "FROM a\nRUN cat <<EOF > /f\n         \n   \nUSER app\n"
        );
        assert_eq!(
            masked.extends,
            vec![(7, text.find("EOF\nUSER app").unwrap_or(0) + 3)]
        );
    }

    #[test]
    fn leaves_what_the_grammar_handles() {
        assert!(mask("FROM a\nRUN <<EOF\nUSER root\nEOF\n").is_none());
        assert!(mask("FROM a\nCOPY <<A <<B /x/\na\nA\nb\nB\n").is_none());
        assert!(mask("FROM a\nRUN echo $((1<<2))\n").is_none());
    }

    #[test]
    fn blanks_second_heredoc_on_run() {
        let masked = mask("FROM a\nRUN <<A cat - <<B\na\nA\nFROM b\nB\n").expect("masked");
        assert_eq!(masked.text, "FROM a\nRUN <<A cat - <<B\na\nA\n      \n \n");
    }
}
