"""The one YAML loader of every read of values, charts, manifests and kustomizations.

PyYAML's safe loader, in libyaml's C build wherever PyYAML has it (PyPI's wheels do): the
same documents as ``yaml.safe_load``, about eight times faster on the manifests a chart
renders, which a conversion reads for every render of its proof.
"""

from __future__ import annotations

from typing import Any

import yaml

LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load(text: str) -> Any:
    """``yaml.safe_load(text)``, through :data:`LOADER`."""
    return yaml.load(text, Loader=LOADER)  # noqa: S506 -- LOADER is a SafeLoader


def load_all(text: str) -> list[Any]:
    """``list(yaml.safe_load_all(text))``, through :data:`LOADER`."""
    return list(yaml.load_all(text, Loader=LOADER))
