"""Small helpers shared by the components."""

from __future__ import annotations

import pulumi

# Prefix of every component's type token: ``infra-ecr:stack:<Component>``.
TYPE_PREFIX = "infra-ecr:stack"


def child(parent: pulumi.Resource, **kwargs: object) -> pulumi.ResourceOptions:
    """Options for a resource owned by ``parent`` (so URNs and deletes follow the tree)."""
    return pulumi.ResourceOptions(parent=parent, **kwargs)  # type: ignore[arg-type]


def default_tags() -> dict[str, str]:
    """Tags on every taggable resource: who owns it, so nobody deletes it by hand."""
    return {
        "managed-by": "pulumi",
        "pulumi-project": pulumi.get_project(),
        "pulumi-stack": pulumi.get_stack(),
    }
