"""infra-ecr: an ECR pull-through cache (and private repositories) for EKS clusters.

Thin on purpose: read and validate the config, check the node roles, build one
component per concern (``ecr/stack/``), export what the tools need.  Every
check that can fail runs before the first resource is registered.
"""

import pulumi
import pulumi_aws as aws

from ecr import catalogue
from ecr.config import settings as settings_module
from ecr.policies import iam, lifecycle
from ecr.stack import config_source, node_access
from ecr.stack.cache_rules import CacheRules
from ecr.stack.common import default_tags
from ecr.stack.cost import CostControls
from ecr.stack.credentials import UpstreamCredentialsSecret
from ecr.stack.registry_policy import SharedRegistryPolicy
from ecr.stack.replication import Replication
from ecr.stack.repositories import PrivateRepositories
from ecr.stack.scanning import RegistryScanning
from ecr.stack.templates import CreationTemplates

# --- preflight: config, account, region, node roles (nothing registered yet) ---------------
settings = config_source.load()
identity = aws.get_caller_identity()
region = aws.get_region().region
problem = settings_module.replication_region_problem(settings, region)
if problem is not None:
    raise pulumi.RunError(str(settings_module.ConfigError([problem])))
registry = iam.Registry(
    iam.partition_of(identity.arn), region, identity.account_id
)
node_roles = node_access.resolve_node_roles(
    settings.node_role_names, settings.eks_cluster_name, region
)

# --- policy documents (pure) ---------------------------------------------------------------
prefixes = list(settings.caches)
repository_policy = iam.repository_pull_policy(
    registry.partition, settings.pull_account_ids, settings.organization_id
)
repository_policy_json = iam.to_json(repository_policy) if repository_policy else None
tags = default_tags()

# --- resources ---------------------------------------------------------------------------
# Declared first: its own checks (ecr.policies.budget, .dashboard) run before any resource.
cost = CostControls(
    "cost-controls",
    monthly_budget_usd=settings.monthly_budget_usd,
    alert_emails=settings.budget_alert_emails,
    dashboard=settings.dashboard,
    cache_prefixes=prefixes,
    private_repositories=settings.custom_repositories,
    region=region,
    account_id=registry.account_id,
    tags=tags,
)
credentials = {
    creds.prefix: UpstreamCredentialsSecret(f"{creds.prefix}-credentials", creds, tags)
    for creds in settings.credentials
}
CacheRules("cache-rules", settings.upstreams, credentials)
CreationTemplates(
    "creation-templates",
    prefixes,
    lifecycle.to_json(
        lifecycle.cache_lifecycle_policy(
            settings.cache_unpulled_days, settings.cache_keep_images
        )
    ),
    repository_policy_json,
)
repositories = PrivateRepositories(
    "private-repositories",
    settings.custom_repositories,
    lifecycle.to_json(lifecycle.private_lifecycle_policy(settings.custom_keep_images)),
    repository_policy_json,
    settings.scan_on_push,
    tags,
)
if node_roles:
    node_access.NodeAccess(
        "node-access",
        node_access.NodeAccessArgs(
            roles=node_roles,
            policy_json=iam.to_json(
                iam.node_role_policy(registry, prefixes, settings.custom_repositories)
            ),
            policy_name=node_access.policy_name(pulumi.get_project(), pulumi.get_stack()),
        ),
    )
RegistryScanning("registry-scanning", settings.scan_on_push)
shared_policy = iam.registry_policy(
    registry, prefixes, settings.pull_account_ids, settings.organization_id
)
if shared_policy is not None:
    SharedRegistryPolicy("registry-policy", iam.to_json(shared_policy))
if settings.replication_regions:
    Replication(
        "replication",
        registry.account_id,
        settings.replication_regions,
        settings.custom_repositories,
    )

# --- outputs (read by the tools through `pulumi stack output`) ------------------------------
pulumi.export("ecr_registry_url", catalogue.registry_host(registry.account_id, region))
pulumi.export("ecr_registry_id", registry.account_id)
pulumi.export("aws_region", region)
pulumi.export("cache_prefixes", catalogue.host_to_prefix(settings.caches))
pulumi.export("repository_urls", repositories.urls)
pulumi.export("node_role_names", [role.name for role in node_roles])
if settings.shares_cache:
    pulumi.export(
        "cross_account_node_policy",
        iam.consumer_node_policy(registry, prefixes, settings.custom_repositories),
    )
if cost.budget_name is not None:
    pulumi.export("budget_name", cost.budget_name)
if cost.dashboard_url is not None:
    pulumi.export("dashboard_url", cost.dashboard_url)
