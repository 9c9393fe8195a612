"""One module per ``python -m ecr`` command (see ecr.cli)."""
