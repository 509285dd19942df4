-- Payloads and metadata are kept as `json`: the text exactly as the store wrote it. The store
-- hardly looks inside them (only `metadata->>'command_id'` over one transaction's rows, which
-- `json` answers too; the hash chain hashes a canonical form computed in Rust; the read models
-- hold what analysts filter on), while `jsonb` made every read render each document back into
-- text and every append parse it into the binary form. Readers now take the
-- stored bytes as they are and decode events straight from them. `->` and `->>` still work.
--
-- Rewrites the table once. The append-only triggers guard UPDATE, DELETE and TRUNCATE; a type
-- change by the owner is neither, and keeps every event's content (hashes are unaffected:
-- the chain is over canonical JSON, which does not depend on spelling).
ALTER TABLE events
    ALTER COLUMN payload TYPE json USING payload::json,
    ALTER COLUMN metadata TYPE json USING metadata::json;
