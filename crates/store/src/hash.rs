//! The hash chain: each event's hash is SHA-256 over its stream's previous hash and the
//! event's canonical stored bytes. JSON is canonicalised (object keys sorted, no whitespace)
//! because PostgreSQL's `jsonb` does not keep the bytes we sent.

use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The `prev_hash` of a stream's first event.
pub(crate) const GENESIS: [u8; 32] = [0; 32];

/// The hashed fields of a stored event.
#[derive(Debug)]
pub(crate) struct HashInput<'a> {
    pub(crate) event_id: Uuid,
    pub(crate) stream_type: &'a str,
    pub(crate) stream_id: Uuid,
    pub(crate) stream_version: i64,
    pub(crate) event_type: &'a str,
    pub(crate) schema_version: i32,
    pub(crate) payload: &'a Value,
    /// The metadata in canonical form ([`canonical_json`]), computed once per command.
    pub(crate) metadata: &'a [u8],
}

fn put(hasher: &mut Sha256, bytes: &[u8]) {
    hasher.update((bytes.len() as u64).to_be_bytes());
    hasher.update(bytes);
}

/// SHA-256(prev || length-prefixed canonical fields).
pub(crate) fn event_hash(prev: &[u8; 32], input: &HashInput<'_>) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(prev);
    put(&mut hasher, input.event_id.as_bytes());
    put(&mut hasher, input.stream_type.as_bytes());
    put(&mut hasher, input.stream_id.as_bytes());
    put(&mut hasher, &input.stream_version.to_be_bytes());
    put(&mut hasher, input.event_type.as_bytes());
    put(&mut hasher, &input.schema_version.to_be_bytes());
    let mut buf = Vec::with_capacity(512);
    canonical_json(input.payload, &mut buf);
    put(&mut hasher, &buf);
    put(&mut hasher, input.metadata);
    hasher.finalize().into()
}

/// The canonical bytes of a value.
pub(crate) fn canonical(value: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    canonical_json(value, &mut out);
    out
}

/// Writes JSON with object keys sorted bytewise and no insignificant whitespace.
pub(crate) fn canonical_json(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push(b'{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                serde_json::to_writer(&mut *out, key).expect("writing to a Vec does not fail");
                out.push(b':');
                canonical_json(item, out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                canonical_json(item, out);
            }
            out.push(b']');
        }
        // jsonb keeps a number's value, not its spelling, and has no negative zero: `-0.0`
        // is stored as `0.0`. Hash it as it will read back, so the chain verifies.
        Value::Number(n) if n.as_f64().is_some_and(|f| f == 0.0 && f.is_sign_negative()) => {
            out.extend_from_slice(b"0.0")
        }
        scalar => serde_json::to_writer(&mut *out, scalar).expect("writing to a Vec does not fail"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_form_ignores_key_order_and_whitespace() {
        let a: Value = serde_json::from_str(r#"{"b": 1, "a": {"y": [1, 2.5], "x": "é"}}"#).unwrap();
        let b = json!({"a": {"x": "é", "y": [1, 2.5]}, "b": 1});
        let (mut left, mut right) = (Vec::new(), Vec::new());
        canonical_json(&a, &mut left);
        canonical_json(&b, &mut right);
        assert_eq!(left, right);
        assert_eq!(String::from_utf8(left).unwrap(), r#"{"a":{"x":"é","y":[1,2.5]},"b":1}"#);
    }
}
