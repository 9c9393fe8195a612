"""ecr.images.reference.parse against distribution/reference's own test tables.

Cases come from distribution/reference normalize_test.go (TestValidateReferenceName,
TestValidateRemoteName, TestParseRepositoryInfo, TestNormalizedSplitHostname,
TestParseAnyReference) and reference_test.go (TestReferenceParse), with the expected
results of ``ParseNormalizedNamed`` (the function ``docker pull`` uses).
"""

from __future__ import annotations

import pytest

from ecr.images.reference import InvalidReference, Reference, embedded_suffix, parse

F64 = "f" * 64
SHA = "sha256:" + F64
REDIS_SHA = "sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c"
HEX64 = "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a"

# input -> (domain, path, tag, digest)
VALID: dict[str, tuple[str, str, str | None, str | None]] = {
    # TestValidateReferenceName (valid)
    "docker/docker": ("docker.io", "docker/docker", None, None),
    "library/debian": ("docker.io", "library/debian", None, None),
    "debian": ("docker.io", "library/debian", None, None),
    "docker.io/docker/docker": ("docker.io", "docker/docker", None, None),
    "docker.io/library/debian": ("docker.io", "library/debian", None, None),
    "docker.io/debian": ("docker.io", "library/debian", None, None),
    "index.docker.io/docker/docker": ("docker.io", "docker/docker", None, None),
    "index.docker.io/library/debian": ("docker.io", "library/debian", None, None),
    "index.docker.io/debian": ("docker.io", "library/debian", None, None),
    "127.0.0.1:5000/docker/docker": ("127.0.0.1:5000", "docker/docker", None, None),
    "127.0.0.1:5000/library/debian": ("127.0.0.1:5000", "library/debian", None, None),
    "127.0.0.1:5000/debian": ("127.0.0.1:5000", "debian", None, None),
    "192.168.0.1": ("docker.io", "library/192.168.0.1", None, None),
    "192.168.0.1:80": ("docker.io", "library/192.168.0.1", "80", None),
    "192.168.0.1:8/debian": ("192.168.0.1:8", "debian", None, None),
    "192.168.0.2:25000/debian": ("192.168.0.2:25000", "debian", None, None),
    "thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev": (
        "docker.io",
        "library/thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev",
        None,
        None,
    ),
    "[fc00::1]:5000/docker": ("[fc00::1]:5000", "docker", None, None),
    "[fc00::1]:5000/docker/docker": ("[fc00::1]:5000", "docker/docker", None, None),
    "[fc00:1:2:3:4:5:6:7]:5000/library/debian": (
        "[fc00:1:2:3:4:5:6:7]:5000", "library/debian", None, None,
    ),
    f"docker.io/{HEX64}": ("docker.io", f"library/{HEX64}", None, None),
    "Docker/docker": ("Docker", "docker", None, None),
    "DOCKER/docker": ("DOCKER", "docker", None, None),
    # TestValidateRemoteName (valid)
    "docker-rules/docker": ("docker.io", "docker-rules/docker", None, None),
    "docker---rules/docker": ("docker.io", "docker---rules/docker", None, None),
    "doc/docker": ("docker.io", "doc/docker", None, None),
    "d/docker": ("docker.io", "d/docker", None, None),
    "jess/t": ("docker.io", "jess/t", None, None),
    "dock__er/docker": ("docker.io", "dock__er/docker", None, None),
    # TestParseRepositoryInfo
    "fooo/bar": ("docker.io", "fooo/bar", None, None),
    "index.docker.io/fooo/bar": ("docker.io", "fooo/bar", None, None),
    "ubuntu": ("docker.io", "library/ubuntu", None, None),
    "nonlibrary/ubuntu": ("docker.io", "nonlibrary/ubuntu", None, None),
    "other/library": ("docker.io", "other/library", None, None),
    "127.0.0.1:8000/private/moonbase": ("127.0.0.1:8000", "private/moonbase", None, None),
    "127.0.0.1:8000/privatebase": ("127.0.0.1:8000", "privatebase", None, None),
    "example.com/private/moonbase": ("example.com", "private/moonbase", None, None),
    "example.com:8000/privatebasee": ("example.com:8000", "privatebasee", None, None),
    "ubuntu-12.04-base": ("docker.io", "library/ubuntu-12.04-base", None, None),
    "index.docker.io/library/ubuntu-12.04-base": (
        "docker.io", "library/ubuntu-12.04-base", None, None,
    ),
    "library/foo/bar": ("docker.io", "library/foo/bar", None, None),
    "store/foo/bar": ("docker.io", "store/foo/bar", None, None),
    "Foo/bar": ("Foo", "bar", None, None),
    # TestParseReferenceWithTagAndDigest
    "busybox:latest@sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa": (
        "docker.io",
        "library/busybox",
        "latest",
        "sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa",
    ),
    # TestNormalizedSplitHostname
    "test.com/foo": ("test.com", "foo", None, None),
    "test_com/foo": ("docker.io", "test_com/foo", None, None),
    "docker/migrator": ("docker.io", "docker/migrator", None, None),
    "test.com:8080/foo": ("test.com:8080", "foo", None, None),
    "test-com:8080/foo": ("test-com:8080", "foo", None, None),
    "foo": ("docker.io", "library/foo", None, None),
    "xn--n3h.com/foo": ("xn--n3h.com", "foo", None, None),
    "xn--n3h.com:18080/foo": ("xn--n3h.com:18080", "foo", None, None),
    "docker.io/foo": ("docker.io", "library/foo", None, None),
    "docker.io/library/foo/bar": ("docker.io", "library/foo/bar", None, None),
    # TestParseAnyReference (named references)
    "redis:latest": ("docker.io", "library/redis", "latest", None),
    f"redis@{REDIS_SHA}": ("docker.io", "library/redis", None, REDIS_SHA),
    f"dmcgowan/myapp@{REDIS_SHA}": ("docker.io", "dmcgowan/myapp", None, REDIS_SHA),
    "dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9": (
        "docker.io", "library/dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9",
        None, None,
    ),
    "dbcc1": ("docker.io", "library/dbcc1", None, None),
    # TestReferenceParse, normalised
    "test_com": ("docker.io", "library/test_com", None, None),
    "test.com:tag": ("docker.io", "library/test.com", "tag", None),
    "test.com:5000": ("docker.io", "library/test.com", "5000", None),
    "test.com/repo:tag": ("test.com", "repo", "tag", None),
    "test:5000/repo": ("test:5000", "repo", None, None),
    "test:5000/repo:tag": ("test:5000", "repo", "tag", None),
    f"test:5000/repo@{SHA}": ("test:5000", "repo", None, SHA),
    f"test:5000/repo:tag@{SHA}": ("test:5000", "repo", "tag", SHA),
    "lowercase:Uppercase": ("docker.io", "library/lowercase", "Uppercase", None),
    "a/" * 127 + "a:tag-puts-this-over-max": (
        "docker.io", "a/" * 127 + "a", "tag-puts-this-over-max", None,
    ),
    "sub-dom1.foo.com/bar/baz/quux": ("sub-dom1.foo.com", "bar/baz/quux", None, None),
    "sub-dom1.foo.com/bar/baz/quux:some-long-tag": (
        "sub-dom1.foo.com", "bar/baz/quux", "some-long-tag", None,
    ),
    "b.gcr.io/test.example.com/my-app:test.example.com": (
        "b.gcr.io", "test.example.com/my-app", "test.example.com", None,
    ),
    "xn--n3h.com/myimage:xn--n3h.com": ("xn--n3h.com", "myimage", "xn--n3h.com", None),
    "xn--7o8h.com/myimage:xn--7o8h.com@sha512:" + "f" * 128: (
        "xn--7o8h.com", "myimage", "xn--7o8h.com", "sha512:" + "f" * 128,
    ),
    "foo_bar.com:8080": ("docker.io", "library/foo_bar.com", "8080", None),
    "foo/foo_bar.com:8080": ("docker.io", "foo/foo_bar.com", "8080", None),
    "192.168.1.1": ("docker.io", "library/192.168.1.1", None, None),
    "192.168.1.1:tag": ("docker.io", "library/192.168.1.1", "tag", None),
    "192.168.1.1:5000": ("docker.io", "library/192.168.1.1", "5000", None),
    "192.168.1.1/repo": ("192.168.1.1", "repo", None, None),
    "192.168.1.1:5000/repo": ("192.168.1.1:5000", "repo", None, None),
    "192.168.1.1:5000/repo:5050": ("192.168.1.1:5000", "repo", "5050", None),
    "[2001:db8::1]/repo": ("[2001:db8::1]", "repo", None, None),
    "[2001:db8:1:2:3:4:5:6]/repo:tag": ("[2001:db8:1:2:3:4:5:6]", "repo", "tag", None),
    "[2001:db8::1]:5000/repo": ("[2001:db8::1]:5000", "repo", None, None),
    "[2001:db8::1]:5000/repo:tag": ("[2001:db8::1]:5000", "repo", "tag", None),
    f"[2001:db8::1]:5000/repo@{SHA}": ("[2001:db8::1]:5000", "repo", None, SHA),
    f"[2001:db8::1]:5000/repo:tag@{SHA}": ("[2001:db8::1]:5000", "repo", "tag", SHA),
    "[2001:db8::]:5000/repo": ("[2001:db8::]:5000", "repo", None, None),
    "[::1]:5000/repo": ("[::1]:5000", "repo", None, None),
    # Our everyday cases
    "localhost/foo": ("localhost", "foo", None, None),
    "localhost:5000/foo:1": ("localhost:5000", "foo", "1", None),
    "registry-1.docker.io/nginx": ("registry-1.docker.io", "nginx", None, None),
    "nginx:1.27": ("docker.io", "library/nginx", "1.27", None),
    "quay.io/jetstack/cert-manager-controller:v1.15.0": (
        "quay.io", "jetstack/cert-manager-controller", "v1.15.0", None,
    ),
    "a:" + "t" * 128: ("docker.io", "library/a", "t" * 128, None),
    "a@sha384:" + "0" * 96: ("docker.io", "library/a", None, "sha384:" + "0" * 96),
}

# input -> a fragment of the reason
INVALID: dict[str, str] = {
    # TestValidateReferenceName (invalid)
    "https://github.com/docker/docker": "no URL scheme",
    "docker/Docker": "must be lowercase",
    "-docker": "path component '-docker'",
    "-docker/docker": "path component '-docker'",
    "-docker.io/docker/docker": "not a valid registry host",
    "docker///docker": "empty path component",
    "docker.io/docker/Docker": "must be lowercase",
    "docker.io/docker///docker": "empty path component",
    "[fc00::1]": "registry host with no repository path",
    "[fc00::1]:5000": "registry host with no repository path",
    "fc00::1:5000/debian": "not a valid registry host",
    "[fe80::1%eth0]:5000/debian": "not a valid registry host",
    "[2001:db8:3:4::192.0.2.33]:5000/debian": "not a valid registry host",
    HEX64: "64-character hexadecimal image ID",
    # TestValidateRemoteName (invalid)
    "docker-/docker": "path component 'docker-'",
    "-docker-/docker": "path component '-docker-'",
    "____/____": "path component '____'",
    "_docker/_docker": "path component '_docker'",
    "dock..er/docker": "'dock..er' is not a valid registry host",
    "dock_.er/docker": "'dock_.er' is not a valid registry host",
    "dock-.er/docker": "'dock-.er' is not a valid registry host",
    "docker/": "empty path component",
    "_".join(["this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255"] * 4)
    + "/docker": "at most 255",
    # TestReferenceParse (errors)
    "": "empty reference",
    ":justtag": "a tag alone names no image",
    f"@{SHA}": "a digest alone names no image",
    "repo@sha256:" + "f" * 34: "must have 64 hex characters, not 34",
    f"validname@invaliddigest:{F64}": "unsupported digest algorithm 'invaliddigest'",
    "Uppercase:tag": "must be lowercase",
    "test:5000/Uppercase/lowercase:tag": "must be lowercase",
    "a/" * 128 + "a:tag": "257 characters long; at most 255",
    "aa/asdf$$^/aa": "path component 'asdf$$^'",
    "[2001:db8::1]": "no repository path",
    "[2001:db8::1]:5000": "no repository path",
    "[2001:db8::1]:tag": "no repository path",
    "[fe80::1%eth0]:5000/repo": "not a valid registry host",
    "[fe80::1%@invalidzone]:5000/repo": "not a valid registry host",
    # Everyday mistakes, with precise reasons
    "nginx:": "empty tag",
    "nginx:-1": "tag '-1'",
    "nginx:" + "t" * 129: "tag is 129 characters long",
    "nginx@": "empty digest",
    "nginx@sha256:xyz": "not algorithm:hex",
    "nginx@sha256:" + "A" * 64: "lowercase hex",
    "nginx@sha256:" + "a" * 64 + "@sha256:" + "a" * 64: "more than one '@'",
    "nginx 1.27": "whitespace",
    " nginx": "whitespace",
    "nginx\n": "whitespace",
    "{{ .Values.image }}": "whitespace",
    "{{.Values.image}}": "template",
    "quay.io:x/a": "not a valid registry host",
    "foo_bar.com/x": "'foo_bar.com' is not a valid registry host name",
    "ngínx": "path component",
}


@pytest.mark.parametrize("text", list(VALID), ids=lambda t: t[:60])
def test_valid(text: str) -> None:
    domain, path, tag, digest = VALID[text]
    ref = parse(text)
    assert ref == Reference(domain, path, tag, digest)
    expected = f"{domain}/{path}" + (f":{tag}" if tag else "") + (f"@{digest}" if digest else "")
    assert str(ref) == expected
    assert ref.name == f"{domain}/{path}"
    assert parse(str(ref)) == ref  # the normal form parses to itself


@pytest.mark.parametrize("text", list(INVALID), ids=lambda t: repr(t[:60]))
def test_invalid(text: str) -> None:
    with pytest.raises(InvalidReference) as info:
        parse(text)
    assert INVALID[text] in str(info.value)
    assert str(info.value)  # always a reason


def test_invalid_reference_is_a_value_error() -> None:
    assert issubclass(InvalidReference, ValueError)


def test_non_text_input() -> None:
    with pytest.raises(InvalidReference, match="expected text"):
        parse(None)  # type: ignore[arg-type]


def test_tag_and_digest_both_kept() -> None:
    ref = parse(f"quay.io/a/b:1.0@{SHA}")
    assert (ref.tag, ref.digest) == ("1.0", SHA)
    assert str(ref) == f"quay.io/a/b:1.0@{SHA}"


@pytest.mark.parametrize("text,suffix", [
    ("nginx", ""), ("nginx:1.27", ":1.27"), (f"nginx@{SHA}", f"@{SHA}"),
    (f"localhost:5000/a/b:v1@{SHA}", f":v1@{SHA}"),
])
def test_suffix_is_what_follows_the_repository(text: str, suffix: str) -> None:
    ref = parse(text)
    assert ref.suffix == suffix
    assert str(ref) == ref.name + ref.suffix


@pytest.mark.parametrize("value,suffix", [
    ("bitnami/nginx", ""),
    ("bitnami/nginx:1.27", ":1.27"),
    (f"bitnami/nginx@{SHA}", f"@{SHA}"),
    (f"bitnami/nginx:1.27@{SHA}", f":1.27@{SHA}"),
    ("localhost:5000/nginx", ""),  # a port is not a tag
    ("localhost:5000/nginx:1", ":1"),
])
def test_embedded_suffix_keeps_tag_and_digest_written_in_a_repository_value(
    value: str, suffix: str
) -> None:
    assert embedded_suffix(value) == suffix
