-- Attachments (issue 9): streamed to the blob store, encrypted with the thread's data key,
-- stored once per thread and content (`blob_key` is a keyed hash of the content under the
-- thread's key, so identical files in one thread share one blob and nothing about the
-- content shows outside it). An attachment is uploaded first (`message_id` NULL), then sent
-- with a message; one never sent is removed after a day.
CREATE TABLE attachments (
    id            uuid        NOT NULL CONSTRAINT attachments_pkey PRIMARY KEY,
    thread_id     uuid        NOT NULL CONSTRAINT attachments_thread_fkey REFERENCES threads (id),
    message_id    uuid        CONSTRAINT attachments_message_fkey REFERENCES messages (id),
    uploader_sub  text        NOT NULL,
    file_name     text        NOT NULL,
    content_type  text        NOT NULL,
    size_bytes    bigint      NOT NULL,
    sha256        bytea       NOT NULL,
    blob_key      text        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX attachments_thread_idx ON attachments (thread_id, created_at);
CREATE INDEX attachments_message_idx ON attachments (message_id);
CREATE INDEX attachments_blob_idx ON attachments (blob_key);
