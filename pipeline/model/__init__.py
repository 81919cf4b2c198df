"""The vocabulary every stage shares: records passed between stages, the taxonomy of the
three tables, the settings, and cell text → number. Imports nothing else of the project."""
