"""A YAML error names the file, line and column and what is wrong, and never quotes the
line (issue 20): PyYAML's own message prints the offending line with a caret when libyaml
is not there to read it, and that line may hold an API key.  Both loaders are tried."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ecr.cli.main import main
from ecr.values import insert, scan

REG = "123456789012.dkr.ecr.af-south-1.amazonaws.com"
SECRET = "sk-live-51HxQ9"
UNCLOSED = f'image: nginx\napiKey: "{SECRET}\nreplicas: [\n'
BAD_MAPPING = f"image: nginx\n  apiKey: {SECRET}: x\n"
LOADERS = [yaml.SafeLoader, getattr(yaml, "CSafeLoader", yaml.SafeLoader)]


@pytest.fixture(params=LOADERS, ids=lambda loader: loader.__name__)
def loader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> type:
    monkeypatch.setattr(scan, "LOADER", request.param)
    monkeypatch.setattr(insert, "LOADER", request.param)
    return request.param  # type: ignore[no-any-return]


@pytest.mark.parametrize("text, where, problem", [
    (UNCLOSED, "4:1", "found unexpected end of stream (while scanning a quoted scalar at 2:9)"),
    (BAD_MAPPING, "2:9", "mapping values are not allowed"),
])
def test_convert_names_file_line_and_column_without_the_line(
    text: str, where: str, problem: str, loader: type, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "values.yaml"
    path.write_text(text)
    assert main(["convert", "--registry", REG, "--files", str(path)]) == 2
    captured = capsys.readouterr()
    assert f"{path}:{where}: {problem}" in captured.out + captured.err
    assert SECRET not in captured.out + captured.err


def test_an_edit_that_cannot_be_made_says_where_without_the_line(loader: type) -> None:
    with pytest.raises(insert.InsertError) as caught:
        insert.set_keys(BAD_MAPPING, ["image"], {"registry": "x"})
    assert str(caught.value).startswith("not valid YAML: 2:9: mapping values are not allowed")
    assert SECRET not in str(caught.value) and "\n" not in str(caught.value)


def test_a_bad_byte_is_named_by_its_code_and_position() -> None:
    with pytest.raises(scan.UnparseableYaml) as caught:
        scan.scan("image: nginx\x01\n", "v.yaml")
    assert str(caught.value).startswith("v.yaml: unacceptable character #x0001")
    assert "\n" not in str(caught.value)
