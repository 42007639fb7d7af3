from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from thotnot_members.backup import BackupError, backup


class Command(BaseCommand):
    help = (
        "Write a backup of the whole database to FILE: a SQLite copy taken with the online "
        "backup API, or a pg_dump custom-format archive for PostgreSQL. Safe while the app runs."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the backup file to write (replaced if it exists)")

    def handle(self, *args, **options):
        path = Path(options["file"])
        try:
            vendor = backup(path)
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"Backed up the {vendor} database to {path} ({path.stat().st_size} bytes)."
        )
