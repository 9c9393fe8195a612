"""What the pruner's Lambda archive holds: ``ecr/__init__.py`` and ``ecr/pruner/*.py``.

Minimal stand-in in this branch for the stack to package (h2's ``ecr/pruner`` replaces it).
"""

from __future__ import annotations

from pathlib import Path


def archive_files(root: Path) -> dict[str, Path]:
    """Archive path -> file on disk, for the repository at ``root``."""
    files = {"ecr/__init__.py": root / "ecr" / "__init__.py"}
    for path in sorted((root / "ecr" / "pruner").glob("*.py")):
        files[f"ecr/pruner/{path.name}"] = path
    return files
