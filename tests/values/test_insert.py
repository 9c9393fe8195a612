"""Adding keys to values files surgically: every other byte stays."""

from __future__ import annotations

import pytest
import yaml

from ecr.values.insert import InsertError, set_keys

ORIGINAL = """\
# Production values -- reviewed by ops
image:
  registry: docker.io   # upstream
  repository: bitnami/wordpress

mariadb:
  auth:
    database: wp
# trailing comment
"""


def test_adds_missing_keys_under_the_deepest_existing_mapping():
    out = set_keys(ORIGINAL, ["mariadb", "image"], {"registry": "r.example", "repository": "x/y"})
    assert out == ORIGINAL.replace(
        "    database: wp\n",
        "    database: wp\n  image:\n    registry: r.example\n    repository: x/y\n",
    )
    assert yaml.safe_load(out)["mariadb"]["image"] == {"registry": "r.example", "repository": "x/y"}


def test_new_top_level_keys_go_after_the_last_entry():
    out = set_keys(ORIGINAL, ["global", "security"], {"allowInsecureImages": True})
    assert out.startswith(ORIGINAL.split("# trailing")[0])
    assert "global:\n  security:\n    allowInsecureImages: true\n" in out
    assert yaml.safe_load(out)["global"] == {"security": {"allowInsecureImages": True}}


def test_existing_scalar_replaced_in_place_keeping_quotes():
    text = "global:\n  security:\n    allowInsecureImages: false  # no\nimage:\n  tag: '1'\n"
    out = set_keys(text, ["global", "security"], {"allowInsecureImages": True})
    assert out == text.replace("false", "true")
    assert set_keys(text, ["image"], {"tag": "2"}) == text.replace("'1'", "'2'")


def test_file_indentation_crlf_and_missing_final_newline_are_kept():
    text = "a:\r\n    b: 1\r\n    c: 2"
    out = set_keys(text, ["a", "d"], {"e": "x"})
    assert out == "a:\r\n    b: 1\r\n    c: 2\r\n    d:\r\n        e: x\r\n"


def test_empty_file_and_values_that_need_quotes():
    assert set_keys("", ["image"], {"tag": "1.10"}) == 'image:\n  tag: "1.10"\n'
    commented = "# only a comment\n"
    assert set_keys(commented, ["a"], {"b": "yes"}) == commented + 'a:\n  b: "yes"\n'


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("image: [docker.io]\n", "not a mapping"),
        ("mariadb:\n", "null in the file"),
        ("- a\n", "not a mapping"),
        ("image: |\n  x\n", "not a plain value"),
    ],
)
def test_shapes_that_cannot_be_edited_surgically(text, why):
    path, values = (["image"], {"registry": "r"}) if "image" in text else (["mariadb", "image"],
                                                                            {"registry": "r"})
    if "|" in text:
        path, values = [], {"image": "r"}
    with pytest.raises(InsertError, match=why):
        set_keys(text, path, values)
