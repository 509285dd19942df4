//! Reading an answer: JSON into a typed struct with unknown fields refused, then the checks a
//! type cannot express. Error messages are ours and name only fields and bounds: a serde
//! message would quote the offending value, which may be personal data, and these messages
//! reach the logs.

use serde::de::DeserializeOwned;
use serde_json::{json, Value};

/// Parses `content` as `T`; the error says where, not what.
pub(crate) fn parse<T: DeserializeOwned>(content: &str) -> Result<T, String> {
    serde_json::from_str(content.trim()).map_err(|e| {
        let kind = match e.classify() {
            serde_json::error::Category::Io => "unreadable",
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => "not JSON",
            serde_json::error::Category::Data => "JSON of the wrong shape",
        };
        format!("{kind} (line {}, column {})", e.line(), e.column())
    })
}

/// `value` is a number in `[lo, hi]`.
pub(crate) fn within(field: &str, value: f64, lo: f64, hi: f64) -> Result<(), String> {
    if value.is_finite() && (lo..=hi).contains(&value) {
        Ok(())
    } else {
        Err(format!("{field} is outside {lo}..={hi}"))
    }
}

/// At most `max` items.
pub(crate) fn at_most<T>(field: &str, items: &[T], max: usize) -> Result<(), String> {
    if items.len() <= max {
        Ok(())
    } else {
        Err(format!("{field} has more than {max} items"))
    }
}

/// A strict-mode object schema: every property required, nothing else allowed.
pub(crate) fn object(properties: &[(&str, Value)]) -> Value {
    let required: Vec<&str> = properties.iter().map(|(name, _)| *name).collect();
    let properties: serde_json::Map<String, Value> =
        properties.iter().map(|(name, schema)| ((*name).to_owned(), schema.clone())).collect();
    json!({"type": "object", "additionalProperties": false, "required": required, "properties": properties})
}

/// A string from a fixed list.
pub(crate) fn one_of(values: &[&str]) -> Value {
    json!({"type": "string", "enum": values})
}

/// A number in `[lo, hi]`.
pub(crate) fn number(lo: f64, hi: f64) -> Value {
    json!({"type": "number", "minimum": lo, "maximum": hi})
}

/// An integer in `[lo, hi]`.
pub(crate) fn integer(lo: i64, hi: i64) -> Value {
    json!({"type": "integer", "minimum": lo, "maximum": hi})
}

/// An array of at most `max` `items`.
pub(crate) fn array(items: Value, max: usize) -> Value {
    json!({"type": "array", "items": items, "maxItems": max})
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[expect(dead_code, reason = "only the parse outcome matters")]
    struct Answer {
        name: String,
    }

    #[test]
    fn errors_never_quote_the_answer() {
        let e = parse::<Answer>(r#"{"name": "Ada", "email": "ada@example.com"}"#).unwrap_err();
        assert!(!e.contains("email") && !e.contains("ada"), "{e}");
        assert!(e.starts_with("JSON of the wrong shape"), "{e}");
        assert!(parse::<Answer>("Sure! Here is your JSON").unwrap_err().starts_with("not JSON"));
    }

    #[test]
    fn objects_require_every_property() {
        let s = object(&[("a", number(0.0, 1.0)), ("b", one_of(&["x"]))]);
        assert_eq!(s["required"], json!(["a", "b"]));
        assert_eq!(s["additionalProperties"], json!(false));
    }

    #[test]
    fn bounds() {
        assert!(within("c", 0.5, 0.0, 1.0).is_ok());
        assert!(within("c", f64::NAN, 0.0, 1.0).is_err());
        assert_eq!(within("c", 1.5, 0.0, 1.0).unwrap_err(), "c is outside 0..=1");
        assert!(at_most("xs", &[1, 2, 3], 2).is_err());
    }
}
