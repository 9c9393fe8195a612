"""``python -m ecr <command>``: the operations tools."""

import sys

from ecr.cli import main

sys.exit(main())
