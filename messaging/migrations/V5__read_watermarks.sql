-- Unread counts that stay cheap at any size (issue 9): a reader's unread messages in a
-- thread are the other side's messages sent after the newest one that reader has been shown
-- (`read_until`), counted on an index range that is usually empty. `message_reads` keeps
-- who read each message and when, for display.
CREATE TABLE thread_reads (
    thread_id   uuid        NOT NULL CONSTRAINT thread_reads_thread_fkey REFERENCES threads (id),
    reader_sub  text        NOT NULL,
    read_until  timestamptz NOT NULL,
    CONSTRAINT thread_reads_pkey PRIMARY KEY (thread_id, reader_sub)
);

CREATE INDEX messages_thread_side_idx ON messages (thread_id, author_side, sent_at);
