"""``manage.py run_worker``: django-tasks' ``db_worker`` (same options), as ``members.worker``
makes it: it waits out a busy database instead of crashing, and writes a heartbeat."""

from django_tasks_db.management.commands import db_worker

from members.worker import SurvivingWorker


class Command(db_worker.Command):
    help = "Run the background worker (db_worker that survives a busy database, with a heartbeat)"

    def handle(self, *args, **options):
        # The library's handle() builds its module's Worker: ours, in this process only.
        db_worker.Worker = SurvivingWorker
        return super().handle(*args, **options)
