-- The event store: one append-only table of immutable events, per-subject encryption keys,
-- and audit checkpoints. See ARCHITECTURE.md, "The event store".

CREATE TABLE events (
    global_position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id        uuid        NOT NULL UNIQUE,
    stream_type     text        NOT NULL,
    stream_id       uuid        NOT NULL,
    stream_version  bigint      NOT NULL CHECK (stream_version > 0),
    event_type      text        NOT NULL,
    schema_version  integer     NOT NULL CHECK (schema_version > 0),
    payload         jsonb       NOT NULL,
    metadata        jsonb       NOT NULL,
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    -- Readers page on (transaction_id, global_position) below the oldest running transaction,
    -- so an event that commits late is never skipped.
    transaction_id  xid8        NOT NULL DEFAULT pg_current_xact_id(),
    -- Hash chain per stream: hash = SHA-256(prev_hash || the event's canonical stored bytes).
    prev_hash       bytea       NOT NULL CHECK (length(prev_hash) = 32),
    hash            bytea       NOT NULL CHECK (length(hash) = 32),
    CONSTRAINT events_stream_version_key UNIQUE (stream_id, stream_version)
);

CREATE INDEX events_transaction_order_idx ON events (transaction_id, global_position);

COMMENT ON TABLE events IS 'Append-only log of every domain event; UPDATE, DELETE and TRUNCATE are refused.';

-- Append-only, enforced by the database itself.
CREATE FUNCTION reachspark_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

-- Statement-level, so even a statement that matches no row is refused.
CREATE TRIGGER events_refuse_update_delete
    BEFORE UPDATE OR DELETE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION reachspark_refuse_change();
CREATE TRIGGER events_refuse_truncate
    BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION reachspark_refuse_change();

-- One data key per subject (a lead), wrapped by the master key. Erasure sets wrapped_key to
-- NULL and keeps the row as a tombstone, so the subject's personal data can never be written again.
CREATE TABLE subject_keys (
    subject_id  uuid PRIMARY KEY,
    wrapped_key bytea,
    created_at  timestamptz NOT NULL DEFAULT now(),
    erased_at   timestamptz,
    CHECK ((wrapped_key IS NULL) = (erased_at IS NOT NULL))
);

-- Checkpoints chain digests over ranges of the log, so a removed tail is detected too.
CREATE TABLE audit_checkpoints (
    checkpoint_id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    after_transaction_id xid8        NOT NULL,
    after_position       bigint      NOT NULL,
    upto_transaction_id  xid8        NOT NULL,
    upto_position        bigint      NOT NULL,
    event_count          bigint      NOT NULL,
    heads                jsonb       NOT NULL,
    prev_digest          bytea       NOT NULL,
    digest               bytea       NOT NULL,
    created_at           timestamptz NOT NULL DEFAULT now()
);

CREATE TRIGGER audit_checkpoints_refuse_update_delete
    BEFORE UPDATE OR DELETE ON audit_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION reachspark_refuse_change();
CREATE TRIGGER audit_checkpoints_refuse_truncate
    BEFORE TRUNCATE ON audit_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION reachspark_refuse_change();

-- Privileges as a second wall: nobody but the owner may change the log, and an application
-- role may only read and append.
REVOKE UPDATE, DELETE, TRUNCATE ON events, audit_checkpoints FROM PUBLIC;
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'reachspark_app') THEN
        CREATE ROLE reachspark_app NOLOGIN;
    END IF;
EXCEPTION
    -- Roles are cluster-wide: another database's migration may create it at the same moment,
    -- and a deployment without CREATEROLE still has the triggers above.
    WHEN duplicate_object OR unique_violation OR insufficient_privilege THEN NULL;
END
$$;
DO $$
BEGIN
    GRANT SELECT, INSERT ON events, audit_checkpoints TO reachspark_app;
    GRANT SELECT, INSERT, UPDATE ON subject_keys TO reachspark_app;
EXCEPTION
    WHEN undefined_object OR insufficient_privilege THEN NULL;
END
$$;
