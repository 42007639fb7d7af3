from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from thotnot_members.backup import BackupError, is_encrypted, restore, restore_encrypted


class Command(BaseCommand):
    help = (
        "Replace the database with a backup written by `manage.py backup` (same database "
        "vendor). An encrypted backup needs its key file (DJANGO_BACKUP_KEY_FILE or "
        "--key-file) and a backup of a newer app version is refused. Refuses a database that "
        "already has tables unless --force. Stop the app first."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="a backup file written by `manage.py backup`")
        parser.add_argument(
            "--force", action="store_true", help="replace a database that is not empty"
        )
        parser.add_argument("--key-file", default=None, help="the key (default: the setting)")

    def handle(self, *args, **options):
        path = Path(options["file"])
        key_file = options["key_file"] or settings.BACKUP_KEY_FILE
        try:
            if path.is_file() and is_encrypted(path):
                if not key_file:
                    raise CommandError(
                        f"{path} is encrypted: give its key (DJANGO_BACKUP_KEY_FILE or --key-file)"
                    )
                header = restore_encrypted(
                    path,
                    key_file=key_file,
                    app_version=settings.APP_VERSION,
                    force=options["force"],
                )
                vendor = header["vendor"]
                if header["app_version"] != settings.APP_VERSION:
                    self.stdout.write(
                        f"The backup is from version {header['app_version']}: run "
                        "`manage.py migrate` before starting the app."
                    )
            else:
                vendor = restore(path, force=options["force"])
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"Restored the {vendor} database from {path}.")
