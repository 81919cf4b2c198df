"""Where results go: the contract's JSON per input file, and the store (SQLite or PostgreSQL)."""
