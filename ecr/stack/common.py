"""Small helpers shared by the components."""

from __future__ import annotations

import pulumi

# Prefix of every component's type token: ``infra-ecr:stack:<ClassName>``.
TYPE_PREFIX = "infra-ecr:stack"


def type_token(component: type) -> str:
    """``infra-ecr:stack:<ClassName>``: the token always says which class registered it."""
    return f"{TYPE_PREFIX}:{component.__name__}"


def renamed(opts: pulumi.ResourceOptions | None, *, old_type: str | None = None,
            old_name: str | None = None) -> pulumi.ResourceOptions:
    """``opts`` plus an alias to what an existing stack registered under the old type token
    or name, so ``pulumi preview`` shows no replacement (children follow their parent's
    aliases)."""
    changed: dict[str, str] = {}
    if old_type is not None:
        changed["type_"] = old_type
    if old_name is not None:
        changed["name"] = old_name
    alias = pulumi.Alias(**changed)
    return pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(aliases=[alias]))


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
