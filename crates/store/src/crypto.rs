//! Crypto-shredding: every subject (a lead) has its own data key, wrapped by the master key and
//! kept in `subject_keys`. Personal data inside payloads (`{"$pii": ..}`, see
//! [`reachspark_domain::Pii`]) is sealed with XChaCha20-Poly1305 before it is written. Destroying
//! a subject's key makes its personal data unreadable everywhere while the events, their hashes
//! and the decision history stay intact.

use std::num::NonZeroUsize;
use std::sync::Mutex;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use lru::LruCache;
use rand::RngCore;
use reachspark_domain::pii::PII_MARKER;
use secrecy::{ExposeSecret, SecretBox};
use serde_json::Value;
use sha2::Sha256;
use uuid::Uuid;

use crate::error::StoreError;

/// The JSON key of sealed personal data in stored payloads.
pub(crate) const SEALED_MARKER: &str = "$enc";
const NONCE_LEN: usize = 24;
const KEY_CACHE_SIZE: usize = 65_536;

/// The 32-byte master key that wraps every subject key. Never logged, never printed.
pub struct MasterKey(SecretBox<[u8; 32]>);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(<redacted>)")
    }
}

impl MasterKey {
    /// A fresh random key.
    pub fn generate() -> Self {
        let mut key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        Self(SecretBox::new(Box::new(key)))
    }

    /// Parses base64 (standard alphabet) of exactly 32 bytes.
    pub fn from_base64(encoded: &str) -> Result<Self, StoreError> {
        let bytes =
            B64.decode(encoded.trim()).map_err(|_| StoreError::Config("master key is not valid base64".to_owned()))?;
        let key: [u8; 32] = bytes
            .try_into()
            .map_err(|_| StoreError::Config("master key must be 32 bytes (44 base64 characters)".to_owned()))?;
        Ok(Self(SecretBox::new(Box::new(key))))
    }

    /// Base64 form, for writing the generated key to the data directory.
    pub fn to_base64(&self) -> String {
        B64.encode(self.0.expose_secret())
    }

    /// A secret derived for one purpose, so the master key itself is used only for wrapping.
    pub fn derive(&self, purpose: &str) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.0.expose_secret()).expect("HMAC accepts 32-byte keys");
        mac.update(b"reachspark:");
        mac.update(purpose.as_bytes());
        mac.finalize().into_bytes().into()
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(self.0.expose_secret().into())
    }
}

/// A subject's unwrapped data key.
#[derive(Clone)]
pub(crate) struct SubjectKey(XChaCha20Poly1305);

/// Wraps, unwraps and caches subject keys; seals and opens payloads.
pub(crate) struct Keyring {
    master: MasterKey,
    cache: Mutex<LruCache<Uuid, SubjectKey>>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring").finish_non_exhaustive()
    }
}

fn seal_bytes(cipher: &XChaCha20Poly1305, aad: &[u8], plain: &[u8]) -> Vec<u8> {
    // 192-bit random nonces never repeat in practice; the thread-local CSPRNG (ChaCha, seeded
    // and periodically reseeded from the OS) spares a system call per sealed field.
    let mut nonce = [0u8; NONCE_LEN];
    rand::thread_rng().fill_bytes(&mut nonce);
    let sealed = cipher
        .encrypt(XNonce::from_slice(&nonce), Payload { msg: plain, aad })
        .expect("XChaCha20-Poly1305 encryption does not fail for in-memory buffers");
    let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&sealed);
    out
}

fn open_bytes(cipher: &XChaCha20Poly1305, aad: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
    if sealed.len() < NONCE_LEN {
        return None;
    }
    let (nonce, body) = sealed.split_at(NONCE_LEN);
    cipher.decrypt(XNonce::from_slice(nonce), Payload { msg: body, aad }).ok()
}

impl Keyring {
    pub(crate) fn new(master: MasterKey) -> Self {
        let size = NonZeroUsize::new(KEY_CACHE_SIZE).expect("cache size is not zero");
        Self { master, cache: Mutex::new(LruCache::new(size)) }
    }

    pub(crate) fn master(&self) -> &MasterKey {
        &self.master
    }

    /// A new random data key and its wrapped form.
    pub(crate) fn new_subject_key(&self, subject: Uuid) -> (SubjectKey, Vec<u8>) {
        let mut raw = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut raw);
        let wrapped = seal_bytes(&self.master.cipher(), subject.as_bytes(), &raw);
        (SubjectKey(XChaCha20Poly1305::new(&raw.into())), wrapped)
    }

    pub(crate) fn unwrap_key(&self, subject: Uuid, wrapped: &[u8]) -> Result<SubjectKey, StoreError> {
        let raw = open_bytes(&self.master.cipher(), subject.as_bytes(), wrapped)
            .ok_or(StoreError::WrongMasterKey { subject })?;
        let raw: [u8; 32] = raw.try_into().map_err(|_| StoreError::WrongMasterKey { subject })?;
        Ok(SubjectKey(XChaCha20Poly1305::new(&raw.into())))
    }

    pub(crate) fn cached(&self, subject: Uuid) -> Option<SubjectKey> {
        self.lock().get(&subject).cloned()
    }

    pub(crate) fn remember(&self, subject: Uuid, key: SubjectKey) {
        self.lock().put(subject, key);
    }

    pub(crate) fn forget(&self, subject: Uuid) {
        self.lock().pop(&subject);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LruCache<Uuid, SubjectKey>> {
        // A poisoned cache only means a panic elsewhere; its contents are still valid keys.
        self.cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Whether a payload holds personal data.
pub(crate) fn has_personal_data(value: &Value) -> bool {
    match value {
        Value::Object(map) => map.contains_key(PII_MARKER) || map.values().any(has_personal_data),
        Value::Array(items) => items.iter().any(has_personal_data),
        _ => false,
    }
}

/// Replaces every `{"$pii": v}` by `{"$enc": base64(nonce || ciphertext)}`.
pub(crate) fn seal(value: &mut Value, key: &SubjectKey, subject: Uuid) {
    match value {
        Value::Object(map) => {
            if map.len() == 1 {
                if let Some(inner) = map.get(PII_MARKER) {
                    let plain = serde_json::to_vec(inner).expect("a JSON value serialises");
                    let sealed = seal_bytes(&key.0, subject.as_bytes(), &plain);
                    *value = serde_json::json!({ SEALED_MARKER: B64.encode(sealed) });
                    return;
                }
            }
            map.values_mut().for_each(|v| seal(v, key, subject));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| seal(v, key, subject)),
        _ => {}
    }
}

/// Replaces every `{"$enc": ..}` by `{"$pii": v}`, or by `{"$pii": null}` when the key is gone.
/// Opens the sealed personal data in a stored payload's JSON text: each `{"$enc": "<sealed>"}`
/// becomes `{"$pii": <plaintext>}`, or `{"$pii": null}` when the subject's key is gone (erased)
/// or the seal does not open. `None` when nothing in it is sealed (the text is used as it is).
///
/// Working on the text, not on a parsed `serde_json::Value`, lets readers decode events straight
/// from the bytes. It is exact for valid JSON: outside a string a `"` is never escaped, so
/// `{`, optional whitespace, then `"$enc"` can only start an object whose first key is `$enc`;
/// it is opened only when that is its one key and its value a string, as it is written by [`seal`].
pub(crate) fn open_text(json: &str, key: Option<&SubjectKey>, subject: Uuid) -> Option<String> {
    let mut seals = sealed_spans(json).peekable();
    seals.peek()?;
    let mut out = String::with_capacity(json.len());
    let mut copied = 0;
    for seal in seals {
        out.push_str(&json[copied..seal.object.start]);
        out.push_str("{\"");
        out.push_str(PII_MARKER);
        out.push_str("\":");
        let plain = key
            .zip(B64.decode(&json[seal.value.clone()]).ok())
            .and_then(|(k, bytes)| open_bytes(&k.0, subject.as_bytes(), &bytes))
            .and_then(|plain| String::from_utf8(plain).ok())
            .filter(|plain| serde_json::from_str::<serde::de::IgnoredAny>(plain).is_ok());
        out.push_str(plain.as_deref().unwrap_or("null"));
        out.push('}');
        copied = seal.object.end;
    }
    out.push_str(&json[copied..]);
    Some(out)
}

/// Whether a stored payload's JSON text holds sealed personal data.
pub(crate) fn has_sealed_text(json: &str) -> bool {
    sealed_spans(json).next().is_some()
}

/// A sealed object in JSON text: the whole `{..}` and its string value's contents.
struct SealedSpan {
    object: std::ops::Range<usize>,
    value: std::ops::Range<usize>,
}

/// The sealed objects of valid JSON text, in order.
fn sealed_spans(json: &str) -> impl Iterator<Item = SealedSpan> + '_ {
    static KEY: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"\"$enc\""));
    let bytes = json.as_bytes();
    let is_ws = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r');
    let skip_ws = move |i: usize| {
        bytes.get(i..).and_then(|rest| rest.iter().position(|b| !is_ws(b))).map_or(bytes.len(), |n| i + n)
    };
    let mut from = 0;
    std::iter::from_fn(move || loop {
        let at = from + KEY.find(bytes.get(from..)?)?;
        let key_end = at + KEY.needle().len();
        from = key_end;
        let start = bytes[..at].iter().rposition(|b| !is_ws(b));
        let Some(start) = start.filter(|&i| bytes[i] == b'{') else { continue };
        let colon = skip_ws(key_end);
        if bytes.get(colon) != Some(&b':') {
            continue;
        }
        let open_quote = skip_ws(colon + 1);
        if bytes.get(open_quote) != Some(&b'"') {
            continue;
        }
        // The string's end: the first quote not escaped (base64 has no escapes; anything else
        // is read whole, then fails to decode and opens as null).
        let mut i = open_quote + 1;
        loop {
            match bytes.get(i..).and_then(|rest| memchr::memchr2(b'"', b'\\', rest)) {
                Some(n) if bytes[i + n] == b'"' => {
                    i += n;
                    break;
                }
                Some(n) => i += n + 2,
                None => {
                    i = bytes.len();
                    break;
                }
            }
        }
        let close = skip_ws(i + 1);
        if bytes.get(close) != Some(&b'}') {
            continue;
        }
        from = close + 1;
        return Some(SealedSpan { object: start..close + 1, value: open_quote + 1..i });
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn seals_only_personal_fields_and_opens_them_again() {
        let keyring = Keyring::new(MasterKey::generate());
        let subject = Uuid::new_v4();
        let (key, wrapped) = keyring.new_subject_key(subject);
        let original = json!({"name": {"$pii": "Ada"}, "company": "Analytical", "tags": [{"$pii": "x"}]});
        let mut stored = original.clone();
        seal(&mut stored, &key, subject);
        let text = stored.to_string();
        assert!(!text.contains("Ada") && text.contains("Analytical") && text.contains(SEALED_MARKER));

        let unwrapped = keyring.unwrap_key(subject, &wrapped).unwrap();
        let opened = open_text(&text, Some(&unwrapped), subject).expect("sealed fields found");
        assert_eq!(serde_json::from_str::<Value>(&opened).unwrap(), original);

        let shredded = open_text(&text, None, subject).expect("sealed fields found");
        assert_eq!(
            serde_json::from_str::<Value>(&shredded).unwrap(),
            json!({"name": {"$pii": null}, "company": "Analytical", "tags": [{"$pii": null}]})
        );
        assert_eq!(open_text(r#"{"company":"Analytical"}"#, Some(&unwrapped), subject), None);
    }

    /// Text as PostgreSQL's `jsonb` renders it (spaces after `:` and `,`) opens the same, and
    /// nothing that merely looks like a seal is touched.
    #[test]
    fn opens_text_in_any_spelling_and_only_real_seals() {
        let keyring = Keyring::new(MasterKey::generate());
        let subject = Uuid::new_v4();
        let (key, _) = keyring.new_subject_key(subject);
        let mut stored = json!({"name": {"$pii": "Ada"}, "nested": [{"deep": {"$pii": {"a": [1, "two"]}}}]});
        seal(&mut stored, &key, subject);
        let compact = stored.to_string();
        let spaced = serde_json::to_string_pretty(&stored).unwrap();
        let expected = json!({"name": {"$pii": "Ada"}, "nested": [{"deep": {"$pii": {"a": [1, "two"]}}}]});
        for text in [&compact, &spaced] {
            let opened = open_text(text, Some(&key), subject).unwrap();
            assert_eq!(serde_json::from_str::<Value>(&opened).unwrap(), expected, "{text}");
        }
        let lookalikes = [
            r#"{"note": "{\"$enc\": \"abc\"}"}"#,
            r#"{"$enc": "abc", "other": 1}"#,
            r#"{"$enc": 5}"#,
            r#"["$enc", "x"]"#,
            r#"{"k": "$enc"}"#,
        ];
        for text in lookalikes {
            assert_eq!(open_text(text, Some(&key), subject), None, "{text}");
            assert!(!has_sealed_text(text), "{text}");
        }
        // A seal whose value is not base64 opens as erased, as does one sealed for another subject.
        let bad = open_text(r#"{"x": {"$enc": "no\"t base64"}}"#, Some(&key), subject).unwrap();
        assert_eq!(serde_json::from_str::<Value>(&bad).unwrap(), json!({"x": {"$pii": null}}));
        let other = open_text(&compact, Some(&key), Uuid::new_v4()).unwrap();
        assert_eq!(serde_json::from_str::<Value>(&other).unwrap()["name"], json!({"$pii": null}));
    }

    #[test]
    fn another_master_key_cannot_unwrap() {
        let subject = Uuid::new_v4();
        let (_, wrapped) = Keyring::new(MasterKey::generate()).new_subject_key(subject);
        let other = Keyring::new(MasterKey::generate());
        assert!(matches!(other.unwrap_key(subject, &wrapped), Err(StoreError::WrongMasterKey { .. })));
    }

    #[test]
    fn master_key_parses_only_32_bytes() {
        let key = MasterKey::generate();
        assert!(MasterKey::from_base64(&key.to_base64()).is_ok());
        assert!(MasterKey::from_base64("c2hvcnQ=").is_err());
        assert!(MasterKey::from_base64("not base64!").is_err());
    }
}
