//! Parsed GraphQL documents by query text. Clients send the same few documents over and over
//! with different variables, and parsing is the largest fixed cost of a small request (about a
//! tenth of an `explain`'s CPU, docs/BENCHMARKS.md). Validation still runs on every request.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use async_graphql::parser::types::ExecutableDocument;
use async_graphql::Request;
use lru::LruCache;

/// Distinct documents kept; the least recently used one goes first.
const CAPACITY: NonZeroUsize = match NonZeroUsize::new(256) {
    Some(n) => n,
    None => unreachable!(),
};

/// Longer query texts are parsed every time, so the cache stays small (at most 256 entries of
/// at most 8 KiB of text each) whatever clients send.
const MAX_QUERY_BYTES: usize = 8 * 1024;

/// A shared LRU of parsed documents; cheap to clone.
#[derive(Clone)]
pub struct DocumentCache {
    parsed: Arc<Mutex<LruCache<String, ExecutableDocument>>>,
}

impl std::fmt::Debug for DocumentCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let len = self.parsed.lock().map_or(0, |cache| cache.len());
        f.debug_struct("DocumentCache").field("documents", &len).finish()
    }
}

impl Default for DocumentCache {
    fn default() -> Self {
        Self { parsed: Arc::new(Mutex::new(LruCache::new(CAPACITY))) }
    }
}

impl DocumentCache {
    /// Gives `request` its parsed document: from the cache, or parsed now and remembered. A
    /// query that does not parse is left alone, for the schema to report the syntax error.
    pub fn prepare(&self, request: &mut Request) {
        if request.query.len() > MAX_QUERY_BYTES {
            return;
        }
        let cached = self.parsed.lock().ok().and_then(|mut cache| cache.get(&request.query).cloned());
        if let Some(document) = cached {
            request.set_parsed_query(document);
            return;
        }
        let Ok(document) = request.parsed_query() else { return };
        let document = document.clone();
        if let Ok(mut cache) = self.parsed.lock() {
            cache.put(request.query.clone(), document);
        }
    }

    /// How many documents are cached.
    pub fn len(&self) -> usize {
        self.parsed.lock().map_or(0, |cache| cache.len())
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_is_parsed_once_and_reused_for_other_variables() {
        let cache = DocumentCache::default();
        let query = "query($id: ID!) { explain(leadId: $id) { kind } }";
        let mut first = Request::new(query);
        cache.prepare(&mut first);
        assert_eq!(cache.len(), 1);
        let mut second = Request::new(query).variables(async_graphql::Variables::from_json(
            serde_json::json!({ "id": "00000000-0000-0000-0000-000000000001" }),
        ));
        cache.prepare(&mut second);
        assert_eq!(cache.len(), 1, "the same text is one entry");
        let document = second.parsed_query().expect("the cached document");
        assert_eq!(document.operations.iter().count(), 1);
    }

    #[test]
    fn syntax_errors_and_huge_queries_are_not_cached() {
        let cache = DocumentCache::default();
        let mut broken = Request::new("query { explain(");
        cache.prepare(&mut broken);
        let mut huge = Request::new(format!("{{ __typename }} #{}", "x".repeat(MAX_QUERY_BYTES)));
        cache.prepare(&mut huge);
        assert!(cache.is_empty());
    }
}
