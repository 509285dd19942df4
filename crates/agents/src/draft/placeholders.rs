//! `{name}` placeholders in template text. `{{` and `}}` stand for literal braces. An unknown
//! or unclosed placeholder is an error, never passed through: a message that greets someone
//! with "{frist_name}" must not go out.

use super::DraftError;

/// Replaces each placeholder with `lookup(name)`; `None` from the lookup is an unknown name.
pub(super) fn fill<'a>(text: &str, mut lookup: impl FnMut(&str) -> Option<&'a str>) -> Result<String, DraftError> {
    let mut out = String::with_capacity(text.len() + 32);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                out.push('}');
            }
            '{' => {
                let mut name = String::new();
                loop {
                    match chars.next() {
                        Some('}') => break,
                        Some(ch) if ch.is_ascii_alphanumeric() || ch == '_' => name.push(ch),
                        _ => return Err(DraftError::MalformedPlaceholder),
                    }
                }
                let value = lookup(&name).ok_or(DraftError::UnknownPlaceholder(name))?;
                out.push_str(value);
            }
            '}' => return Err(DraftError::MalformedPlaceholder),
            _ => out.push(c),
        }
    }
    Ok(out)
}

/// The placeholder names used in `text`, each once, in order of appearance.
pub(super) fn names(text: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    // Errors are reported by `fill` itself; here only the names matter.
    let _ = fill(text, |name| {
        if !found.iter().any(|f| f == name) {
            found.push(name.to_owned());
        }
        Some("")
    });
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(name: &str) -> Option<&'static str> {
        match name {
            "first_name" => Some("Ada"),
            "company" => Some("Acme"),
            _ => None,
        }
    }

    #[test]
    fn fills_known_placeholders_and_escapes_braces() {
        assert_eq!(fill("Hi {first_name} at {company} {{x}}", lookup).unwrap(), "Hi Ada at Acme {x}");
    }

    #[test]
    fn rejects_unknown_and_malformed_placeholders() {
        assert_eq!(fill("Hi {frist_name}", lookup), Err(DraftError::UnknownPlaceholder("frist_name".into())));
        assert_eq!(fill("Hi {first_name", lookup), Err(DraftError::MalformedPlaceholder));
        assert_eq!(fill("Hi first_name}", lookup), Err(DraftError::MalformedPlaceholder));
        assert_eq!(fill("Hi {first name}", lookup), Err(DraftError::MalformedPlaceholder));
    }

    #[test]
    fn lists_each_name_once() {
        assert_eq!(names("{a} {b} {a} {{c}}"), vec!["a".to_owned(), "b".to_owned()]);
    }
}
