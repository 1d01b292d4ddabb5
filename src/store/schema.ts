/**
 * Schema migrations, applied in order; the database's user_version says how many ran. Never edit
 * a released migration: add a new one.
 */
export const migrations: readonly string[] = [
  `
  CREATE TABLE items (
    id INTEGER PRIMARY KEY,
    status TEXT NOT NULL DEFAULT 'SCHEDULED',
    source TEXT NOT NULL,
    -- matching keys: '' = no value, NULL = several values (the exact matcher decides)
    patient_id TEXT,
    accession_number TEXT,
    patient_name TEXT,
    modality TEXT,
    station_ae_title TEXT,
    sps_start_date TEXT,
    sps_start_time TEXT,
    placer_order_number TEXT,
    filler_order_number TEXT,
    study_instance_uid TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    -- the full item, DICOM JSON (PS3.18 F.2)
    dataset TEXT NOT NULL
  );
  CREATE INDEX items_patient_id ON items (patient_id);
  CREATE INDEX items_accession_number ON items (accession_number);
  CREATE INDEX items_patient_name ON items (patient_name);
  CREATE INDEX items_modality_date ON items (modality, sps_start_date);
  CREATE INDEX items_station_date ON items (station_ae_title, sps_start_date);
  CREATE INDEX items_sps_start_date ON items (sps_start_date, sps_start_time);
  CREATE INDEX items_status ON items (status);
  CREATE INDEX items_placer_order ON items (placer_order_number);
  CREATE INDEX items_filler_order ON items (filler_order_number);

  CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    received_at TEXT NOT NULL,
    remote TEXT,
    sending_application TEXT,
    sending_facility TEXT,
    control_id TEXT,
    message_type TEXT,
    outcome TEXT NOT NULL,
    ack_code TEXT NOT NULL,
    error TEXT,
    item_ids TEXT,
    raw BLOB NOT NULL,
    ack TEXT
  );
  CREATE INDEX messages_received_at ON messages (received_at);
  CREATE INDEX messages_control_id ON messages (sending_application, control_id);
  `,
  `
  ALTER TABLE items ADD COLUMN sps_id TEXT;
  ALTER TABLE items ADD COLUMN status_changed_at TEXT;
  UPDATE items SET status_changed_at = updated_at;
  CREATE INDEX items_sps_id ON items (sps_id);
  CREATE INDEX items_status_changed ON items (status, status_changed_at);

  ALTER TABLE messages ADD COLUMN patient_id TEXT;
  ALTER TABLE messages ADD COLUMN accession_number TEXT;
  ALTER TABLE messages ADD COLUMN action TEXT;
  CREATE INDEX messages_patient ON messages (patient_id);
  CREATE INDEX messages_accession ON messages (accession_number);
  CREATE INDEX messages_dedup ON messages (sending_application, sending_facility, control_id);
  `,
  `
  CREATE TABLE mpps (
    sop_instance_uid TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    item_ids TEXT NOT NULL,
    calling_ae_title TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    dataset TEXT NOT NULL
  );
  CREATE INDEX items_study_instance_uid ON items (study_instance_uid);
  `,
  `
  CREATE TABLE hl7_outbox (
    id INTEGER PRIMARY KEY,
    destination TEXT NOT NULL,
    message TEXT NOT NULL,
    control_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error TEXT,
    state TEXT NOT NULL DEFAULT 'pending',
    ack TEXT
  );
  CREATE INDEX hl7_outbox_pending ON hl7_outbox (state, next_attempt_at);
  `,
  `
  -- Every short text value of an item (top level and scheduled steps), so that any single value,
  -- prefix, date range or UID list query is answered from an index. Filled by the store.
  CREATE TABLE item_values (
    item_id INTEGER NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    value TEXT NOT NULL
  );
  CREATE INDEX item_values_lookup ON item_values (tag, value, item_id);
  CREATE INDEX item_values_item ON item_values (item_id);
  CREATE TABLE store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  `,
  `
  -- Items whose .wl mirror file must be written or deleted, filled by triggers on items (created only
  -- while a mirror is configured) in the same transaction as the change, so no change is missed.
  CREATE TABLE mirror_queue (
    id INTEGER PRIMARY KEY,
    item_id INTEGER NOT NULL
  );
  `,
  `
  -- Leaner writes (each index is one more B-tree per stored order): items_status is covered by
  -- items_status_changed (status, status_changed_at), messages_control_id by messages_dedup; and
  -- the value index no longer holds the attributes that have their own column (patient ID and
  -- name, accession number, Study Instance UID, character set; modality, station AE title and
  -- start date of the scheduled step), which queries match through those columns.
  DROP INDEX IF EXISTS items_status;
  DROP INDEX IF EXISTS messages_control_id;
  DELETE FROM item_values WHERE tag IN ('00100020', '00100010', '00080050', '0020000D', '00080005',
    '00400100.00080060', '00400100.00400001', '00400100.00400002');
  `,
  `
  -- Items whose value-index rows are not written yet. Orders stored by group commits are listed
  -- here and indexed in batches (one random B-tree insert per value and order was the largest cost
  -- of storing an order); queries treat listed items as candidates, so none is missed meanwhile.
  CREATE TABLE item_values_pending (
    item_id INTEGER PRIMARY KEY REFERENCES items (id) ON DELETE CASCADE
  );
  `,
  `
  -- Duplicates by content: a message is a resend of an applied one only when sender, control id and
  -- content (its bytes less MSH-7, see hl7/content-key.ts) agree; a RIS that reuses a control id for
  -- another order gets that order stored. Entries logged before this migration have no hash and are
  -- compared by their raw bytes.
  ALTER TABLE messages ADD COLUMN content_hash TEXT;
  DROP INDEX IF EXISTS messages_dedup;
  CREATE INDEX messages_dedup ON messages (sending_application, sending_facility, control_id, content_hash);
  `,
  `
  -- Imported items remember what identifies them in their file (SOP Instance UID, else Study Instance
  -- UID and SPS ID), so that importing the same file again updates its item instead of adding one.
  ALTER TABLE items ADD COLUMN import_key TEXT;
  CREATE INDEX items_import_key ON items (import_key);
  `,
  `
  -- The query log: every C-FIND, and every rejected association, as the SCP saw it, so that
  -- "why does my modality not see this patient?" can be answered afterwards (mwl-bridge queries,
  -- explain). Ids are given by the bridge (the one writer), so that a log line can name one at once.
  CREATE TABLE queries (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    remote TEXT,
    calling_ae TEXT,
    called_ae TEXT,
    identifier TEXT,
    keys TEXT,
    outcome TEXT NOT NULL,
    status TEXT,
    answers INTEGER,
    duration_ms INTEGER,
    error TEXT,
    replaced TEXT,
    ae_setting TEXT
  );
  CREATE INDEX queries_at ON queries (at);
  CREATE INDEX queries_calling_ae ON queries (calling_ae, at);
  `,
  `
  -- What the message log notes of a message (JSON, model/order.ts MessageNotes): the values not
  -- taken from their first source (attribute, source, why) and the order groups ignored as
  -- non-imaging orders, shown by "mwl-bridge messages show".
  ALTER TABLE messages ADD COLUMN notes TEXT;
  `,
  `
  -- Audit messages (ATNA, PS3.15 A.5) waiting for the syslog receiver: written when the event
  -- happens, removed once delivered, sent oldest first; bounded by audit.spoolMaxMessages.
  CREATE TABLE audit_spool (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    message TEXT NOT NULL,
    created_at TEXT NOT NULL
  );
  `,
];
