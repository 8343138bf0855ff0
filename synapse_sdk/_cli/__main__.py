"""``python -m synapse_sdk._cli``: the ``synapse`` command."""

import sys

from synapse_sdk._cli import main

sys.exit(main())
