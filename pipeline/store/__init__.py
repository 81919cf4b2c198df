"""Where results go: the contract's JSON per input file and the SQLite store."""
