"""Notices to citizens: an outbox written in the caller's transaction
(docs/design.md rule 7), a relay that sends it at least once, and the channels
(SMTP email, an HTTP SMS gateway, files for development)."""
