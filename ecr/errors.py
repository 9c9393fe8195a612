"""Errors every layer may raise, so no lower layer has to import the CLI.

The CLI (``ecr.cli.main``) turns a :class:`UsageError` into ``error: ...`` and exit
status 2; libraries raise it for input the user must change.
"""


class UsageError(Exception):
    """Bad usage or input: printed as ``error: ...`` with exit status 2."""
