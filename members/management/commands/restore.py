from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from thotnot_members.backup import BackupError, restore


class Command(BaseCommand):
    help = (
        "Replace the database with a backup written by `manage.py backup` (same database "
        "vendor). Refuses a database that already has tables unless --force. Stop the app first."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="a backup file written by `manage.py backup`")
        parser.add_argument(
            "--force", action="store_true", help="replace a database that is not empty"
        )

    def handle(self, *args, **options):
        path = Path(options["file"])
        try:
            vendor = restore(path, force=options["force"])
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"Restored the {vendor} database from {path}.")
