"""From a Reading to canonical cells: identify the tables and template, match rows and
columns to the taxonomy, reconcile with the report's own identities."""
