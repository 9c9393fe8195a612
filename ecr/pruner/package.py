"""What the Lambda archive holds: ``ecr/__init__.py`` and the pruner's modules, nothing else.

The stack wraps :func:`archive_files` in ``pulumi.AssetArchive``.  The pruner imports
nothing from ``ecr`` outside ``ecr.pruner`` and needs only boto3 (the runtime's), so
these files are the whole function.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path("ecr") / "pruner"


def archive_files(root: Path) -> dict[str, Path]:
    """Archive path -> file on disk, for the repository checked out at ``root``.

    ``ecr/__init__.py`` plus every ``.py`` file directly in ``ecr/pruner/`` (no
    ``__pycache__``, no tests, nothing else), sorted, with ``/`` separators.
    """
    files = {"ecr/__init__.py": root / "ecr" / "__init__.py"}
    for path in sorted((root / PACKAGE).glob("*.py")):
        if path.is_file():
            files[(PACKAGE / path.name).as_posix()] = path
    missing = [name for name, path in files.items() if not path.is_file()]
    if missing or (PACKAGE / "handler.py").as_posix() not in files:
        raise FileNotFoundError(f"{root}: not an infra-ecr checkout (missing "
                                f"{', '.join(missing) or PACKAGE / 'handler.py'})")
    return files
