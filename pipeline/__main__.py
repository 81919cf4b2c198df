"""``python -m pipeline`` is the ``gongkai`` command."""

from pipeline.cli import main

main()
