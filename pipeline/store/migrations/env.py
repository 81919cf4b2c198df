"""Alembic's environment: gongkai runs the migrations itself, on the connection it passes
in ``config.attributes["connection"]``, inside the store's write lock (see ../migrate.py)."""

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=None, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
