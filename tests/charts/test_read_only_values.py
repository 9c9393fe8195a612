"""``convert --chart/--apps --write`` and a values file the user made read-only (issue 20):
refused with a clear message and exit 2, never replaced through its directory."""

from __future__ import annotations

import stat

from tests.charts.conftest import REGISTRY
from tests.charts.test_convert_chart import WORDPRESS_BEFORE


def test_a_read_only_values_file_is_refused_not_replaced(run_cli, webapp, tmp_path) -> None:
    values = tmp_path / "values.yaml"
    values.write_text(WORDPRESS_BEFORE)
    values.chmod(0o444)
    result = run_cli("convert", "--registry", REGISTRY, "--chart", str(webapp),
                     "--values", str(values), "--write")
    assert result.code == 2, result.out + result.err
    assert f"{values}: read-only (mode 0444): not written" in result.out + result.err
    assert values.read_text() == WORDPRESS_BEFORE
    assert stat.S_IMODE(values.stat().st_mode) == 0o444
