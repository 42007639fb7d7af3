"""The health endpoint (/health/) for the office's monitoring and the container's health check.

django-health-check runs the checks; this module adds the three it lacks (every migration
applied, room on the disks the app writes, the background worker's heartbeat) and answers in
JSON only. No sign-in is needed, so
the answer names the checks and their state and nothing else: no host name, path or figure.
"""

import dataclasses
import shutil
import tempfile
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor
from django.urls import path
from django.utils.module_loading import import_string
from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView


@dataclasses.dataclass
class Migrations(HealthCheck):
    """Every migration of the code is applied to the database (one left: the code is ahead)."""

    alias: str = "default"

    def run(self):
        connection = connections[self.alias]
        try:
            executor = MigrationExecutor(connection)
            plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        except DatabaseError as error:
            raise ServiceUnavailable("cannot read the applied migrations") from error
        finally:
            # The check runs in a worker thread, whose connection nothing else would close.
            connection.close()
        if plan:
            raise ServiceUnavailable(f"{len(plan)} migration(s) not applied")


def written_folders() -> list[Path]:
    """Where the app writes: the SQLite database's folder, if any, and the temporary folder
    (uploads above 2.5 MB, Excel sheets being written)."""
    folders = [Path(tempfile.gettempdir())]
    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3" and str(database["NAME"]) != ":memory:":
        folders.append(Path(database["NAME"]).parent)
    return folders


@dataclasses.dataclass
class Disk(HealthCheck):
    """Each folder the app writes to is on a disk at most ``max_used_percent`` full."""

    max_used_percent: float = dataclasses.field(default=90.0, repr=False)
    folders: list[Path] = dataclasses.field(default_factory=written_folders, repr=False)

    def run(self):
        for folder in self.folders:
            usage = shutil.disk_usage(folder)
            if usage.used * 100 >= self.max_used_percent * usage.total:
                raise ServiceUnavailable(
                    f"a disk the app writes to is over {self.max_used_percent:g}% full"
                )


@dataclasses.dataclass
class Worker(HealthCheck):
    """The background worker is alive: a heartbeat within ``WORKER_HEARTBEAT_STALE_SECONDS``,
    or an import or export being worked on (``WORKER_IS_UP``, members/worker.py's ``is_up``,
    named by string as urls.py names the apps: the project imports no app). Skipped when tasks
    run inside the request (DJANGO_TASKS=immediate): there is no worker then."""

    def run(self):
        if "Immediate" in settings.TASKS["default"]["BACKEND"]:
            return
        try:
            up = import_string(settings.WORKER_IS_UP)()
        except DatabaseError as error:
            raise ServiceUnavailable("cannot read the worker's heartbeat") from error
        finally:
            connections["default"].close()
        if not up:
            raise ServiceUnavailable("no heartbeat from the background worker")


class HealthView(HealthCheckView):
    """The checks, answered as JSON whatever the client accepts (200 healthy, 500 not)."""

    # Django's default cache is local memory, per process: nothing to check there.
    checks = ("health_check.checks.Database", Migrations, Disk, Worker)

    def render_to_response(self, context, **response_kwargs):
        return self.render_to_response_json(response_kwargs.get("status", 200))


urlpatterns = [path("", HealthView.as_view(), name="health")]
