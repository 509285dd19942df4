//! Phrase matching on whole words, so that `cto` does not fire inside "director" and
//! `interested` does not fire inside "interesting".

/// Text prepared for phrase matching: lowercase, apostrophes dropped ("don't" → "dont"), every
/// other non-alphanumeric character a space, padded with spaces at both ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Words(String);

impl Words {
    pub(crate) fn new(text: &str) -> Self {
        let mut out = String::with_capacity(text.len() + 2);
        out.push(' ');
        let mut last_space = true;
        for c in text.chars() {
            if c == '\'' || c == '\u{2019}' {
                continue;
            }
            if c.is_alphanumeric() {
                out.extend(c.to_lowercase());
                last_space = false;
            } else if !last_space {
                out.push(' ');
                last_space = true;
            }
        }
        if !last_space {
            out.push(' ');
        }
        Self(out)
    }

    /// Whether `phrase` (lowercase words separated by single spaces) occurs as whole words.
    pub(crate) fn has(&self, phrase: &str) -> bool {
        let padded = format!(" {phrase} ");
        self.0.contains(&padded)
    }

    /// The words joined by single spaces, for matching one normalised text inside another.
    pub(crate) fn as_phrase(&self) -> String {
        self.0.trim().to_owned()
    }
}

/// A phrase rule: when `phrase` occurs, `weight` goes to `target`.
pub(crate) type Rule<T> = (&'static str, T, f64);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_whole_words_only() {
        let w = Words::new("Marketing Director, ex-CTO");
        assert!(w.has("cto") && w.has("marketing director"));
        assert!(!Words::new("Director").has("cto"));
        assert!(!Words::new("Interesting idea").has("interested"));
    }

    #[test]
    fn drops_apostrophes_and_punctuation() {
        let w = Words::new("Don't   contact me!! We’ll pass.");
        assert!(w.has("dont contact me") && w.has("well pass"));
        assert_eq!(Words::new(" ?! ").as_phrase(), "");
    }
}
