-- Threads are read by thread id, oldest first.
CREATE INDEX envelopes_by_thread ON envelopes (thread_id, stored_at)
