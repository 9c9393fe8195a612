"""``python -m ecr <command>``: the operations tools."""

import sys

from ecr.cli.main import main

sys.exit(main())
