"""The ``headline-tagger`` command line: click commands over the core, and their terminal output."""

from classifier.cli.commands import main

__all__ = ["main"]
