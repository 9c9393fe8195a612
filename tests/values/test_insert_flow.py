"""set_keys on values files in flow style (issue 12 point 4): ``{}``, ``image: {}``, nested."""

from __future__ import annotations

import pytest
import yaml

from ecr.values.insert import InsertError, set_keys

OVERRIDE = {"registry": "1.dkr.ecr.eu-west-1.amazonaws.com", "repository": "docker-hub/bitnami/x"}


def test_whole_document_empty_flow_map_becomes_block():
    out = set_keys("{}\n", ["image"], OVERRIDE)
    assert out == (
        "image:\n  registry: 1.dkr.ecr.eu-west-1.amazonaws.com\n"
        "  repository: docker-hub/bitnami/x\n"
    )


def test_empty_flow_root_keeps_comments_and_document_marker():
    text = "# chart values\n---\n{}\n# end\n"
    out = set_keys(text, ["image"], OVERRIDE)
    assert out.startswith("# chart values\n---\nimage:\n  registry: ")
    assert out.endswith("  repository: docker-hub/bitnami/x\n# end\n")
    assert yaml.safe_load(out) == {"image": OVERRIDE}


def test_empty_flow_root_after_marker_on_same_line_stays_flow():
    out = set_keys("--- {}\n", ["image"], OVERRIDE)
    assert out == (
        "--- {image: {registry: 1.dkr.ecr.eu-west-1.amazonaws.com, "
        "repository: docker-hub/bitnami/x}}\n"
    )
    assert yaml.safe_load(out) == {"image": OVERRIDE}


def test_image_empty_flow_map_gets_entries_in_place():
    text = "replicas: 1\nimage: {}   # set by ops\nservice:\n  port: 80\n"
    out = set_keys(text, ["image"], OVERRIDE)
    assert out == text.replace(
        "{}", "{registry: 1.dkr.ecr.eu-west-1.amazonaws.com, repository: docker-hub/bitnami/x}"
    )


def test_nested_flow_maps_get_nested_entries():
    text = "mariadb: {auth: {database: wp}}\n"
    out = set_keys(text, ["mariadb", "image"], {"repository": "a/b", "tag": "1.10"})
    assert yaml.safe_load(out) == {
        "mariadb": {"auth": {"database": "wp"}, "image": {"repository": "a/b", "tag": "1.10"}}
    }
    assert out == 'mariadb: {auth: {database: wp}, image: {repository: a/b, tag: "1.10"}}\n'


def test_existing_scalar_in_flow_map_replaced_in_place():
    text = "image: {registry: docker.io, repository: 'bitnami/x'}  # keep\n"
    out = set_keys(text, ["image"], {"registry": "r.example", "repository": "p/bitnami/x"})
    assert out == "image: {registry: r.example, repository: 'p/bitnami/x'}  # keep\n"


def test_multiline_flow_map_and_crlf():
    text = "image: {\r\n  registry: docker.io,\r\n  repository: x\r\n}\r\nother: 1\r\n"
    out = set_keys(text, ["image"], {"tag": "v1"})
    assert out == text.replace("repository: x", "repository: x, tag: v1")


def test_flow_values_are_quoted_for_flow_context():
    out = set_keys("image: {}\n", ["image"], {"repository": "a[1]", "tag": "x,y"})
    assert yaml.safe_load(out) == {"image": {"repository": "a[1]", "tag": "x,y"}}


def test_block_file_with_flow_child():
    text = "global:\n  security: {}\nimage:\n  tag: 1\n"
    out = set_keys(text, ["global", "security"], {"allowInsecureImages": True})
    assert out == text.replace("{}", "{allowInsecureImages: true}")


def test_alias_as_last_flow_entry_is_refused():
    text = "base: &b docker.io\nimage: {repository: x, registry: *b}\n"
    with pytest.raises(InsertError):
        set_keys(text, ["image"], {"tag": "1"})


def test_every_result_is_read_back():
    # A value with a line break and control characters is written double-quoted.
    value = "a\nb\x1b\u2028"
    out = set_keys("image: {}\n", ["image"], {"tag": value})
    assert yaml.safe_load(out) == {"image": {"tag": value}}
    out = set_keys("{}\n", ["image"], {"tag": value})
    assert yaml.safe_load(out) == {"image": {"tag": value}}
