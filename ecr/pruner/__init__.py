"""Last-pull pruning of the pull-through cache: delete cached images nobody pulled for N days.

ECR's lifecycle policies cannot expire an image by its last pull (``sinceImagePulled``
pairs only with a transition to the archive class: docs/facts.md "Lifecycle policies"),
so this package does it: ``rules`` decides (pure), ``ecr_api`` makes the ECR calls,
``prune`` puts them together, ``handler`` is the scheduled Lambda function and the
``scripts/ecr lifecycle prune`` command runs the same code by hand.

Contract with the stack (it deploys this package as the Lambda archive, see
``package``): nothing here imports from ``ecr`` outside ``ecr.pruner``, and only the
standard library and boto3 (which the Lambda Python runtime provides) are used.
"""
