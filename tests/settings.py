"""Settings of the test suite: the production module, plus the ``replica`` alias when
DATABASE_REPLICA_URL did not already add it.

Under test the alias mirrors ``default`` (TEST MIRROR: the same test database through a
connection of its own), so tests can tell which alias each query went to. The router sends
nothing there unless a test sets ``REPORTS_DATABASE = "replica"`` (tests/test_replica.py); the
rest of the suite reads and writes ``default`` only, as a deployment without a replica does.
"""

import os

# The suite runs in development mode (DEBUG is off unless asked for); set before the import,
# which reads it. Subprocesses started by tests inherit it, as they inherited the old default.
os.environ.setdefault("DJANGO_DEBUG", "true")

from thotnot_members.settings import *  # noqa: F403
from thotnot_members.settings import DATABASES

DATABASES.setdefault("replica", {**DATABASES["default"], "TEST": {"MIRROR": "default"}})
