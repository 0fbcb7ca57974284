//! String literals a source file assigns to credential-like names: `password = "…"`,
//! `apiKey: '…'`, `"token" => "…"`, `SECRET_KEY = "…"`, `connect(password="…")`, in any of the
//! languages golive reads. These are the candidates secret rules judge (`literals[*]`).
//!
//! Only names with a credential word in them (`pass`, `pwd`, `secret`, `token`, `key`, `auth`,
//! `credential`) are kept, so a file costs nothing for the thousands of other strings it
//! assigns; which of them really are secrets (the exact name, placeholders, randomness) is the
//! rules' decision. A literal counts only when it is the whole value (`= "…";`, `"…",`, `"…")`),
//! not part of an expression (`"Bearer " + token`), and not on a comment line.

use std::sync::LazyLock;

use regex::Regex;

/// One literal: the name as written (`self.api_key`, `"password"` without quotes) and the
/// value between the quotes, each as a byte range of the text.
#[derive(Debug, PartialEq, Eq)]
pub struct Literal<'t> {
    pub name: &'t str,
    pub name_at: (usize, usize),
    pub value: &'t str,
    pub value_at: (usize, usize),
}

static CREDENTIAL_WORD: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new("(?i)pass|pwd|secret|token|key|auth|credential").ok());

static ASSIGNMENT: LazyLock<Option<Regex>> = LazyLock::new(|| {
    // name: an identifier path (`$password`, `@token`, `:api_key`, `this.secret`) or a quoted
    // key, also as a subscript (`app.config['SECRET_KEY'] =`); an optional type (`apiKey: string =`, `val token: String =`); then `=`, `:=`, `:`
    // or `=>` and the literal, which must end the value.
    Regex::new(concat!(
        r#"(?m)(?:^|[^A-Za-z0-9_$@.:])"#,
        r#"(?:(?P<bare>:?[$@]?[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)|"(?P<dq>[A-Za-z_][A-Za-z0-9_.\-]*)"|'(?P<sq>[A-Za-z_][A-Za-z0-9_.\-]*)')\]?"#,
        r#"(?:[ \t]*:[ \t]*[A-Za-z][A-Za-z0-9_<>\[\]]*)?"#,
        r#"[ \t]*(?::=|=>|=|:)[ \t]*"#,
        r#"(?:"(?P<dv>(?:[^"\\\n]|\\.)*)"|'(?P<sv>(?:[^'\\\n]|\\.)*)'|`(?P<bv>[^`\n$]*)`)"#,
        r#"[ \t]*(?:[,;)}\]]|//|#|$)"#,
    ))
    .ok()
});

/// Every literal of `text` assigned to a name with a credential word, in text order.
pub fn literals(text: &str) -> Vec<Literal<'_>> {
    let (Some(pattern), Some(word)) = (ASSIGNMENT.as_ref(), CREDENTIAL_WORD.as_ref()) else {
        return Vec::new();
    };
    // Most files have no credential word at all: one literal search spares the full regex.
    if !word.is_match(text) {
        return Vec::new();
    }
    pattern
        .captures_iter(text)
        .filter_map(|caps| {
            let name = caps
                .name("bare")
                .or_else(|| caps.name("dq"))
                .or_else(|| caps.name("sq"))?;
            let value = caps
                .name("dv")
                .or_else(|| caps.name("sv"))
                .or_else(|| caps.name("bv"))?;
            let key = name.as_str().rsplit('.').next().unwrap_or("");
            (word.is_match(key) && !commented(text, name.start())).then(|| Literal {
                name: name.as_str().trim_start_matches([':', '$', '@']),
                name_at: (name.start(), name.end()),
                value: value.as_str(),
                value_at: (value.start(), value.end()),
            })
        })
        .collect()
}

/// Whether the line holding byte `at` is a comment up to there (`#`, `//`, `/*`, `*`, `--`).
fn commented(text: &str, at: usize) -> bool {
    let start = text[..at].rfind('\n').map_or(0, |n| n + 1);
    let before = &text[start..at];
    let code = before.trim_start();
    before.contains("//")
        || ["#", "*", "/*", "--", "<!--"]
            .iter()
            .any(|mark| code.starts_with(mark))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<(&str, &str)> {
        literals(text)
            .into_iter()
            .map(|l| (l.name, l.value))
            .collect()
    }

    #[test]
    fn assignments_in_each_language() {
        let cases = [
            ("SECRET_KEY = \"k-123\"\n", "SECRET_KEY"),
            ("\tapiKey := \"k-123\"\n", "apiKey"),
            ("const apiKey = 'k-123';\n", "apiKey"),
            (
                "private static final String PASSWORD = \"k-123\";\n",
                "PASSWORD",
            ),
            ("  password: 'k-123',\n", "password"),
            ("  :api_key => 'k-123',\n", "api_key"),
            ("$db_password = 'k-123';\n", "db_password"),
            ("    'password' => 'k-123',\n", "password"),
            ("{\"authToken\": \"k-123\"}\n", "authToken"),
            ("conn = connect(password=\"k-123\")\n", "password"),
            ("apiKey: string = \"k-123\";\n", "apiKey"),
            ("val token: String = \"k-123\"\n", "token"),
            ("self.client_secret = `k-123`\n", "self.client_secret"),
            ("app.config['SECRET_KEY'] = 'k-123'\n", "SECRET_KEY"),
        ];
        for (text, name) in cases {
            assert_eq!(found(text), vec![(name, "k-123")], "{text:?}");
        }
    }

    #[test]
    fn what_is_not_a_committed_literal() {
        for text in [
            "if password == \"admin\" {\n",
            "password != 'x'\n",
            "token = \"Bearer \" + raw\n",
            "api_key = os.environ[\"API_KEY\"]\n",
            "title = \"hello\"\n",
            "# password = \"k-123\"\n",
            "// apiKey: 'k-123',\n",
            " * @param token = 'k-123'\n",
            "url := fmt.Sprintf(\"%s\", token)\n",
            "token = `x${y}`\n",
            "password = f\"{base}-1\"\n",
        ] {
            assert_eq!(found(text), vec![], "{text:?}");
        }
    }

    #[test]
    fn ranges_are_the_value_between_its_quotes() {
        let text = "x = 1\napi_key = \"k-123\"\n";
        let literal = &literals(text)[0];
        assert_eq!(&text[literal.value_at.0..literal.value_at.1], "k-123");
        assert_eq!(&text[literal.name_at.0..literal.name_at.1], "api_key");
    }
}
