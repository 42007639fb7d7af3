"""Settings of the test suite: the production module, plus the ``replica`` alias when
DATABASE_REPLICA_URL did not already add it.

Under test the alias mirrors ``default`` (TEST MIRROR: the same test database through a
connection of its own), so tests can tell which alias each query went to. The router sends
nothing there unless a test sets ``REPORTS_DATABASE = "replica"`` (tests/test_replica.py); the
rest of the suite reads and writes ``default`` only, as a deployment without a replica does.
"""

from thotnot_members.settings import *  # noqa: F403
from thotnot_members.settings import DATABASES

DATABASES.setdefault("replica", {**DATABASES["default"], "TEST": {"MIRROR": "default"}})
