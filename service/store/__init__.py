"""The store: engine and sessions, schema migrations, the evidence chain, backups."""
