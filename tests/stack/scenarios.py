"""Named scenarios for the program tests: every option, and every way config goes wrong."""

from __future__ import annotations

from typing import Any

from tests.stack.harness import ACCOUNT, scenario

NODE_ROLE = "eks-nodes"
KARPENTER_ROLE = "karpenter-node"
CLUSTERS = {
    "platform": {
        "general": f"arn:aws:iam::{ACCOUNT}:role/ng-general",
        "gpu": f"arn:aws:iam::{ACCOUNT}:role/eks/ng-gpu",
    },
    "empty-cluster": {},
}
ROLES = [NODE_ROLE, KARPENTER_ROLE, "ng-general", "ng-gpu"]
ACCOUNTS = ["111111111111", "222222222222"]
ORG = "o-a1b2c3d4e5"


def _ok(config: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    return scenario(config, roles=ROLES, clusters=CLUSTERS, **extra)


# Scenarios the program must deploy.
GOOD: dict[str, dict[str, Any]] = {
    # Only what is required: the two tokens for the two caches that need them.
    "defaults": _ok(),
    "defaults-preview": _ok(preview=True),
    "node-roles": _ok({"nodeRoleNames": [NODE_ROLE, f"arn:aws:iam::{ACCOUNT}:role/k8s/"
                                                    f"{KARPENTER_ROLE}"]}),
    "eks-discovery": _ok({"eksClusterName": "platform", "nodeRoleNames": ["ng-general"]}),
    "minimal": scenario(
        {"caches": ["quay", "k8s"], "customRepositories": [], "scanOnPush": False,
         "cacheUnpulledDays": 30, "cacheKeepImages": 500, "nodeRoleNames": [NODE_ROLE]},
        credentials=False, roles=ROLES, clusters=CLUSTERS),
    "no-caches": scenario({"caches": [], "nodeRoleNames": [NODE_ROLE]}, credentials=False,
                          roles=ROLES),
    "custom-repositories": _ok({"customRepositories": ["team-a/api", "web"],
                                "customKeepImages": 10, "nodeRoleNames": [NODE_ROLE]}),
    "shared-accounts": _ok({"pullAccountIds": ACCOUNTS, "nodeRoleNames": [NODE_ROLE]}),
    "shared-organization": _ok({"organizationId": ORG}),
    "shared-both": _ok({"pullAccountIds": ACCOUNTS[:1], "organizationId": ORG,
                        "caches": ["docker-hub", "ecr-public"]}),
    # ``config set --path ... 012345678901`` stores a number and drops the leading zero.
    "shared-account-as-number": _ok({"pullAccountIds": [12345678901]}),
    "replication": _ok({"replicationRegions": ["eu-west-1", "us-east-1"],
                        "customRepositories": ["custom-apps", "team-b/worker"]}),
    "second-region": scenario({"eksClusterName": "platform"}, roles=ROLES, clusters=CLUSTERS,
                              region="eu-west-1", stack="prod-eu-west-1"),
    "china-partition": _ok({"nodeRoleNames": [NODE_ROLE]}, region="cn-north-1",
                           partition="aws-cn"),
    "budget": _ok({"monthlyBudgetUsd": "12.50", "budgetAlertEmails": ["ops@example.com"],
                   "dashboard": False}),
    "config-from-environment": _ok({"nodeRoleNames": [NODE_ROLE], "cacheUnpulledDays": 45},
                                   config_via_env=True),
    # cacheUnpulledDays 0: no pruner, only the lifecycle policy's limits.
    "pruning-off": _ok({"cacheUnpulledDays": 0, "cacheMaxAgeDays": 180,
                        "pruneSchedule": "cron(0 3 * * ? *)"}),
    # A first deployment that only logs what the pruner would delete.
    "prune-dry-run": _ok({"pruneDryRun": True, "cacheUnpulledDays": 30}),
    # Alarm e-mails without a budget: the pruner's alarm still reaches them.
    "alerts-without-budget": _ok({"budgetAlertEmails": ["ops@example.com", "dev@example.com"],
                                  "pruneSchedule": "rate(12 hours)", "cacheMaxAgeDays": 0}),
    "credentials-for-unused-cache": scenario(
        {"caches": ["quay"], **{k: v for k, v in scenario()["config"].items()
                                if k.startswith("dockerHub")}}, credentials=False,
        secret_keys=("dockerHubAccessToken",)),
}

# Scenarios the program must refuse: (scenario, key named, text the message must hold).
BAD: dict[str, tuple[dict[str, Any], str, str]] = {
    "unknown-cache": (_ok({"caches": ["docker-hub", "gcr"]}), "caches",
                      "pulumi config set --path 'infra-ecr:caches[0]' docker-hub"),
    "cache-typo": (_ok({"caches": ["dockerhub"]}), "caches",
                   "pulumi config set --path 'infra-ecr:caches[0]' docker-hub"),
    "caches-plain-string": (_ok({"caches": "quay,k8s"}), "caches",
                            "pulumi config set --path 'infra-ecr:caches[1]' k8s"),
    "missing-dockerhub-credentials": (scenario({"caches": ["docker-hub"]}, credentials=False),
                                      "dockerHubUsername",
                                      "pulumi config set infra-ecr:dockerHubUsername"),
    "missing-github-token": (
        scenario({"caches": ["github"], "githubUsername": "gh-user"}, credentials=False),
        "githubToken", "pulumi config set --secret infra-ecr:githubToken"),
    "token-not-secret": (_ok(secret_keys=("githubToken",)), "dockerHubAccessToken",
                         "pulumi config set --secret infra-ecr:dockerHubAccessToken"),
    "invalid-repository-name": (_ok({"customRepositories": ["My_App"]}), "customRepositories",
                                "pulumi config rm infra-ecr:customRepositories"),
    "repository-inside-cache-prefix": (_ok({"customRepositories": ["quay/mine"]}),
                                       "customRepositories", "cache prefix 'quay'"),
    "negative-days": (_ok({"cacheUnpulledDays": -5}), "cacheUnpulledDays",
                      "pulumi config set infra-ecr:cacheUnpulledDays 90"),
    "negative-max-age": (_ok({"cacheMaxAgeDays": -1}), "cacheMaxAgeDays", "0 (off) or more"),
    "bad-schedule": (_ok({"pruneSchedule": "every day"}), "pruneSchedule",
                     "pulumi config set infra-ecr:pruneSchedule 'rate(1 day)'"),
    "one-time-schedule": (_ok({"pruneSchedule": "at(2030-01-01T00:00:00)"}), "pruneSchedule",
                          "at() runs once"),
    "days-not-a-number": (_ok({"cacheUnpulledDays": "ninety"}), "cacheUnpulledDays",
                          "whole number"),
    "negative-cache-keep": (_ok({"cacheKeepImages": -1}), "cacheKeepImages", "0 (off) or more"),
    "zero-custom-keep": (_ok({"customKeepImages": 0}), "customKeepImages", "at least 1"),
    "scan-on-push-not-bool": (_ok({"scanOnPush": "yes"}), "scanOnPush",
                              "pulumi config set infra-ecr:scanOnPush true"),
    "bad-role-name": (_ok({"nodeRoleNames": ["not a role!"]}), "nodeRoleNames",
                      "not IAM role names"),
    "bad-cluster-name": (_ok({"eksClusterName": "-bad"}), "eksClusterName", "EKS cluster name"),
    "bad-account-id": (_ok({"pullAccountIds": ["1234"]}), "pullAccountIds",
                       "not 12-digit AWS account IDs"),
    "bad-organization-id": (_ok({"organizationId": "org-1"}), "organizationId",
                            "pulumi config set infra-ecr:organizationId 'o-<id>'"),
    "bad-replication-region": (_ok({"replicationRegions": ["europe"]}), "replicationRegions",
                               "not AWS region names"),
    "replicated-name-overlaps-a-cache": (
        _ok({"replicationRegions": ["eu-west-1"], "customRepositories": ["ecr", "web"]}),
        "customRepositories", "'ecr' would also replicate the cache's 'ecr-public/...'"),
    "replication-without-repositories": (
        _ok({"replicationRegions": ["eu-west-1"], "customRepositories": []}),
        "replicationRegions", "customRepositories is empty"),
    "budget-without-email": (_ok({"monthlyBudgetUsd": "25"}), "budgetAlertEmails",
                             "pulumi config set --path 'infra-ecr:budgetAlertEmails[0]'"),
    "negative-budget": (_ok({"monthlyBudgetUsd": "-3", "budgetAlertEmails": ["a@b.co"]}),
                        "monthlyBudgetUsd", "positive number"),
    "bad-email": (_ok({"monthlyBudgetUsd": "25", "budgetAlertEmails": ["nobody"]}),
                  "budgetAlertEmails", "not email addresses"),
    "too-many-emails": (_ok({"monthlyBudgetUsd": "25",
                             "budgetAlertEmails": [f"u{i}@example.com" for i in range(11)]}),
                        "budgetAlertEmails", "AWS Budgets allows 10"),
    "unknown-key": (_ok({"cache": ["quay"]}), "cache", "did you mean 'caches'"),
    "unknown-key-from-environment": (_ok({"scanOnPsuh": "false"}, config_via_env=True),
                                     "scanOnPsuh", "did you mean 'scanOnPush'"),
}

# Refused after the config is valid, by what AWS answers (the preflight invokes).
BAD_AWS: dict[str, tuple[dict[str, Any], str]] = {
    "missing-role": (_ok({"nodeRoleNames": [NODE_ROLE, "ghost-role"]}),
                     "node role 'ghost-role' (from infra-ecr:nodeRoleNames) does not exist"),
    "missing-cluster": (_ok({"eksClusterName": "nope"}),
                        "EKS cluster 'nope' not found in region af-south-1"),
    "cluster-without-node-groups": (_ok({"eksClusterName": "empty-cluster"}),
                                    "has no managed node groups"),
    "discovered-role-missing": (
        scenario({"eksClusterName": "platform"}, roles=["ng-general"], clusters=CLUSTERS),
        "node role 'ng-gpu' (from node group 'gpu' of EKS cluster 'platform') does not exist"),
    "replication-to-own-region": (_ok({"replicationRegions": ["af-south-1"]}),
                                  "af-south-1 is this stack's own region"),
}
