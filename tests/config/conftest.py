"""The stack-file tests run in a project directory of their own, as the AWS tools' do."""

from tests.aws.conftest import clients, lifecycle_env, project_dir  # noqa: F401
