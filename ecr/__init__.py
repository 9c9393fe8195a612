"""infra-ecr: an AWS ECR pull-through cache for a Kubernetes platform.

``ecr.stack`` holds the Pulumi components (the only modules that import pulumi).
Everything else is pure logic or operations tooling reachable as ``python -m ecr``.
"""
