"""The Pulumi side of infra-ecr: one ComponentResource per concern.

Only this package (and the root ``__main__.py``) imports pulumi; the decisions
(settings, policy documents, lifecycle rules) live in pure modules under ``ecr/``.
"""
