//! XML escaping for the XML formats (JUnit, Checkstyle): text from scanned files must stay
//! well-formed XML 1.0, which forbids most control characters even as `&#..;` references.

use super::clean;

/// Escapes text for an attribute value or element content. Control characters (ESC, BEL, CR…)
/// become visible `\u{..}` first, as in the terminal output; newlines and tabs are kept as
/// character references so attribute-value normalisation does not turn them into spaces.
pub fn escape(text: &str) -> String {
    let text = clean(text);
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\t' => out.push_str("&#9;"),
            // Not characters in XML 1.0 (`escape_controls` leaves them alone).
            '\u{fffe}' | '\u{ffff}' => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn markup_and_controls_are_escaped() {
        assert_eq!(
            escape("a<b>&\"c'\u{1b}[31m\r\n\u{7}\rx"),
            "a&lt;b&gt;&amp;&quot;c&apos;\\u{1b}[31m&#10;\\u{7}\\u{d}x"
        );
    }
}
