//! Escaping, once per format: [`html`] for element content and quoted attributes, [`md_cell`]
//! for Markdown table cells (and the Markdown prose around them). Both map one character at a
//! time, so escaping the parts of a text and escaping the whole give the same result.
//! [`shell_word`] quotes one word of a command an admin is told to paste.

/// Escapes text for HTML element content and quoted attribute values.
pub fn html(s: &str) -> String {
    escape(s, |c| match c {
        '&' => Some("&amp;"),
        '<' => Some("&lt;"),
        '>' => Some("&gt;"),
        '"' => Some("&quot;"),
        '\'' => Some("&#39;"),
        _ => None,
    })
}

/// Escapes a Markdown table cell: backslashes and pipes (which would end the cell), line breaks
/// (which would end the row) and `<` (GitHub renders inline HTML).
pub fn md_cell(s: &str) -> String {
    escape(s, |c| match c {
        '\\' => Some("\\\\"),
        '|' => Some("\\|"),
        '\r' | '\n' => Some(" "),
        '<' => Some("&lt;"),
        _ => None,
    })
}

/// `word` as a POSIX shell reads it: bare when it holds nothing a shell would read, else
/// single-quoted (a `'` inside closes the quotes, is escaped, and opens them again).
pub fn shell_word(word: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "_-./:@%+=,".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// `s` with each character that `replace` names replaced.
fn escape(s: &str, replace: impl Fn(char) -> Option<&'static str>) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match replace(c) {
            Some(r) => out.push_str(r),
            None => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_neutralises_markup_and_both_quotes() {
        assert_eq!(
            html(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
        assert_eq!(html("plain"), "plain");
    }

    #[test]
    fn shell_words_with_spaces_quotes_or_expansions_are_single_quoted() {
        assert_eq!(shell_word("seeds/2026-11.csv"), "seeds/2026-11.csv");
        assert_eq!(shell_word("my seeds.csv"), "'my seeds.csv'");
        assert_eq!(shell_word("it's.csv"), r"'it'\''s.csv'");
        assert_eq!(shell_word("it's"), r"'it'\''s'");
        assert_eq!(shell_word("$(rm -rf /)"), "'$(rm -rf /)'");
        assert_eq!(shell_word(""), "''");
    }

    #[test]
    fn cells_cannot_break_the_table_or_inject_html() {
        assert_eq!(md_cell("a|b\nc<script>"), "a\\|b c&lt;script>");
        assert_eq!(md_cell("a\\|b\r\n"), "a\\\\\\|b  ");
    }
}
