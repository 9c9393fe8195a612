"""The project directory: the checkout holding ``Pulumi.yaml`` and the stack files.

The tools run ``pulumi`` there and read ``Pulumi.<stack>.yaml`` from there, wherever
they are started from.
"""

from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[2]
