-- Read models live in schema `read`; their tables are created by the projections themselves
-- (the same DDL builds shadow tables during a rebuild). Here: the schema and the checkpoints.
CREATE SCHEMA IF NOT EXISTS read;

CREATE TABLE read.projection_checkpoints (
    name            text PRIMARY KEY,
    transaction_id  bigint      NOT NULL DEFAULT 0,
    global_position bigint      NOT NULL DEFAULT 0,
    events_applied  bigint      NOT NULL DEFAULT 0,
    state           text        NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'failed', 'rebuilding')),
    failed_event_id uuid,
    failed_position bigint,
    error           text,
    updated_at      timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE read.projection_checkpoints IS
    'One row per projection: the last event applied (moved in the same transaction as its table writes) and its state.';
