"""Format-preserving edits of a kustomization's ``images:`` (ecr.kustomize.edit): every
other byte stays, and the result reads back as exactly the intended data."""

from __future__ import annotations

import pytest

from ecr.kustomize.edit import EditError, apply, entries

CACHE = "123456789012.dkr.ecr.af-south-1.amazonaws.com/docker-hub/library/nginx"


def test_new_name_added_after_the_entry_keys_comments_kept() -> None:
    text = ("resources:\n- ../../base   # the base\nimages:\n- name: nginx\n"
            "  newTag: \"1.27\"   # prod\n\nnameSuffix: -prod\n")
    assert apply(text, {0: CACHE}, []) == (
        "resources:\n- ../../base   # the base\nimages:\n- name: nginx\n"
        f"  newTag: \"1.27\"   # prod\n  newName: {CACHE}\n\nnameSuffix: -prod\n")


def test_existing_new_name_replaced_in_its_own_quoting() -> None:
    text = "images:\n  - name: nginx\n    newName: 'nginxinc/nginx-unprivileged'\n"
    assert apply(text, {0: CACHE}, []) == f"images:\n  - name: nginx\n    newName: '{CACHE}'\n"


def test_entries_appended_at_the_list_indentation() -> None:
    text = "images:\n    -   name: a\n        newTag: '1'\nresources: [x.yaml]\n"
    assert apply(text, {}, [("nginx", CACHE)]) == (
        "images:\n    -   name: a\n        newTag: '1'\n"
        f"    -   name: nginx\n        newName: {CACHE}\nresources: [x.yaml]\n")


def test_images_key_created_crlf_kept() -> None:
    text = "resources:\r\n- pod.yaml\r\n"
    assert apply(text, {}, [("nginx", CACHE)]) == (
        f"resources:\r\n- pod.yaml\r\nimages:\r\n- name: nginx\r\n  newName: {CACHE}\r\n")


def test_flow_list_and_flow_entry() -> None:
    text = "images: [{name: nginx, newTag: '1.27'}]  # flow\n"
    assert apply(text, {0: CACHE}, [("busybox", "r.example.com/busybox")]) == (
        f"images: [{{name: nginx, newTag: '1.27', newName: {CACHE}}}, "
        "{name: busybox, newName: r.example.com/busybox}]  # flow\n")


def test_byte_order_mark_and_no_final_newline() -> None:
    text = "\ufeffimages:\n- name: nginx"
    assert apply(text, {0: CACHE}, []) == f"\ufeffimages:\n- name: nginx\n  newName: {CACHE}\n"


def test_empty_kustomization_gets_a_list() -> None:
    assert apply("", {}, [("nginx", CACHE)]) == f"images:\n- name: nginx\n  newName: {CACHE}\n"


def test_shapes_that_cannot_be_edited_safely_raise() -> None:
    with pytest.raises(EditError):
        apply("images: nginx\n", {}, [("nginx", CACHE)])
    with pytest.raises(EditError):
        apply("{resources: [a.yaml]}\n", {}, [("nginx", CACHE)])
    with pytest.raises(EditError):
        apply("images:\n- name: nginx\n  newName: |\n    x\n", {0: CACHE}, [])


def test_entries_as_kustomize_reads_them() -> None:
    found = entries("images:\n- name: nginx\n  newName: a/b\n- {newTag: x}\n- name: c\n"
                    "  digest: sha256:0\n")
    assert [(e.index, e.name, e.output, e.digest, e.line) for e in found] == [
        (0, "nginx", "a/b", None, 2), (2, "c", "c", "sha256:0", 5)]
