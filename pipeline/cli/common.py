"""What the commands share."""

from __future__ import annotations

import click


class BadArgument(click.ClickException):
    """An argument that stops the run before any file is read: one line, exit 2."""

    exit_code = 2
