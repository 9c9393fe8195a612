"""infra-ecr: an ECR pull-through cache (and custom repositories) for EKS clusters.

Thin on purpose: read and validate the config, check the node roles, build one
component per concern (``ecr/stack/``, each taking its ``*Args``), export what the
tools need.  Every check that can fail runs before the first resource is registered.
"""

from pathlib import Path

import pulumi
import pulumi_aws as aws

from ecr import catalogue
from ecr.config.settings import ConfigError, replication_region_problem
from ecr.policies import iam, lifecycle
from ecr.stack import config_source, node_access
from ecr.stack.cache_rules import CacheRules, CacheRulesArgs
from ecr.stack.common import default_tags
from ecr.stack.cost import CostControls, CostControlsArgs
from ecr.stack.credentials import UpstreamCredentialsSecret, UpstreamCredentialsSecretArgs
from ecr.stack.pruner import CachePruner, CachePrunerArgs, function_name
from ecr.stack.registry_policy import SharedRegistryPolicy, SharedRegistryPolicyArgs
from ecr.stack.replication import Replication, ReplicationArgs
from ecr.stack.repositories import CustomRepositories, CustomRepositoriesArgs
from ecr.stack.scanning import RegistryScanning, RegistryScanningArgs
from ecr.stack.templates import CreationTemplates, CreationTemplatesArgs

# --- preflight: config, account, region, node roles (nothing registered yet) ---------------
settings = config_source.load()
identity = aws.get_caller_identity()
region = aws.get_region().region
problem = replication_region_problem(settings, region)
if problem is not None:
    raise pulumi.RunError(str(ConfigError([problem])))
registry = iam.registry_in(region, identity.account_id)
node_roles = node_access.resolve_node_roles(
    settings.node_role_names, settings.eks_cluster_name, region
)

# --- policy documents (pure) ---------------------------------------------------------------
prefixes = list(settings.caches)
repository_policy = iam.repository_pull_policy(
    registry.partition, settings.pull_account_ids, settings.organization_id
)
repository_policy_json = iam.to_json(repository_policy) if repository_policy else None
cache_policy = lifecycle.cache_lifecycle_policy_or_none(
    settings.cache_max_age_days, settings.cache_keep_images
)
tags = default_tags()

# --- resources ---------------------------------------------------------------------------
# Declared first: its own checks (ecr.policies.budget, .dashboard) run before any resource.
cost = CostControls("cost-controls", CostControlsArgs(
    monthly_budget_usd=settings.monthly_budget_usd,
    alert_emails=settings.budget_alert_emails,
    dashboard=settings.dashboard,
    cache_prefixes=prefixes,
    custom_repositories=settings.custom_repositories,
    region=region,
    account_id=registry.account_id,
    tags=tags,
))
credentials = {
    creds.prefix: UpstreamCredentialsSecret(
        f"{creds.prefix}-credentials", UpstreamCredentialsSecretArgs(creds, tags))
    for creds in settings.credentials
}
CacheRules("cache-rules", CacheRulesArgs(settings.upstreams, credentials))
CreationTemplates("creation-templates", CreationTemplatesArgs(
    prefixes,
    lifecycle.to_json(cache_policy) if cache_policy else None,
    repository_policy_json,
))
repositories = CustomRepositories("custom-repositories", CustomRepositoriesArgs(
    settings.custom_repositories,
    lifecycle.to_json(lifecycle.custom_lifecycle_policy(settings.custom_keep_images)),
    repository_policy_json,
    settings.scan_on_push,
    tags,
))
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
RegistryScanning("registry-scanning", RegistryScanningArgs(settings.scan_on_push))
shared_policy = iam.registry_policy(
    registry, prefixes, settings.pull_account_ids, settings.organization_id
)
if shared_policy is not None:
    SharedRegistryPolicy("registry-policy", SharedRegistryPolicyArgs(iam.to_json(shared_policy)))
if settings.replication_regions:
    Replication("replication", ReplicationArgs(
        registry.account_id, settings.replication_regions, settings.custom_repositories
    ))
pruner = None
if settings.prunes:
    pruner = CachePruner("cache-pruner", CachePrunerArgs(
        registry=registry,
        cache_prefixes=prefixes,
        unpulled_days=settings.cache_unpulled_days,
        schedule=settings.prune_schedule,
        dry_run=settings.prune_dry_run,
        function_name=function_name(pulumi.get_project(), pulumi.get_stack()),
        source_root=Path(__file__).resolve().parent,
        alert_emails=settings.budget_alert_emails,
        tags=tags,
    ))

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
if pruner is not None:
    pulumi.export("pruner_function_name", pruner.function.name)
