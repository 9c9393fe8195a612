"""The stack settings the operations commands read from Pulumi.<stack>.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecr import catalogue
from ecr.config import stackfile

PATH = Path("Pulumi.prod.yaml")


def test_strings_from_pulumi_config_set_become_numbers_and_lists():
    settings = stackfile.parse({"config": {
        "aws:region": "af-south-1",
        "infra-ecr:cacheUnpulledDays": "120",  # pulumi config set stores strings
        "infra-ecr:cacheKeepImages": 5,
        "infra-ecr:caches": '["quay", "k8s"]',  # a JSON array given as one string
        "infra-ecr:nodeRoleNames": ["nodes-a", "nodes-b"],
        "infra-ecr:eksClusterName": "prod",
        "infra-ecr:dockerHubAccessToken": {"secure": "v1:abc"},
    }}, PATH)
    assert settings.region == "af-south-1"
    assert (settings.unpulled_days, settings.keep_images) == (120, 5)
    assert settings.caches == ("quay", "k8s")
    assert settings.node_role_names == ("nodes-a", "nodes-b")
    assert settings.eks_cluster_name == "prod"


def test_defaults_when_keys_are_absent():
    settings = stackfile.parse({"config": {}}, PATH)
    assert settings.caches == catalogue.DEFAULT_CACHES
    assert settings.unpulled_days is None and settings.node_role_names == ()


@pytest.mark.parametrize("config,message", [
    ({"infra-ecr:cacheUnpulledDays": "ninety"}, "infra-ecr:cacheUnpulledDays: must be a whole"),
    ({"infra-ecr:cacheKeepImages": True}, "infra-ecr:cacheKeepImages: must be a whole"),
    ({"infra-ecr:caches": {"a": 1}}, "infra-ecr:caches: must be a list of strings"),
    # What the tools used to accept as one cache named "quay,k8s"; the program refuses it.
    ({"infra-ecr:caches": "quay,k8s"}, "infra-ecr:caches: must be a list of strings, got the "
                                       "plain string 'quay,k8s'"),
    ({"infra-ecr:pruneSchedule": "daily"}, "infra-ecr:pruneSchedule: 'daily': must be rate"),
    ({"infra-ecr:cachUnpulledDays": 3}, "did you mean 'cacheUnpulledDays'"),
])
def test_bad_values_name_the_key(config, message):
    with pytest.raises(stackfile.StackFileError, match=message):
        stackfile.parse({"config": config}, PATH)


def test_load_reports_missing_and_invalid_files(tmp_path):
    with pytest.raises(stackfile.StackFileError, match="cannot read stack file"):
        stackfile.load(tmp_path / "nope.yaml")
    bad = tmp_path / "Pulumi.bad.yaml"
    bad.write_text("config: [unclosed\n")
    with pytest.raises(stackfile.StackFileError, match="not valid YAML"):
        stackfile.load(bad)
