from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from thotnot_members.backup import (
    BackupError,
    backup,
    backup_encrypted,
    make_key,
    rotate,
    rotated_path,
)


class Command(BaseCommand):
    help = (
        "Write a backup of the whole database (a SQLite copy taken with the online backup API, "
        "or a pg_dump archive), compressed and encrypted with the key file "
        "(DJANGO_BACKUP_KEY_FILE or --key-file), readable by its owner alone. Into FILE, or "
        "with --dir as a new dated file in that folder, keeping the --keep newest. Safe while "
        "the app runs."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", help="the backup file to write (replaced)")
        parser.add_argument("--dir", help="write thotnot-YYYYmmdd-HHMMSS.backup in this folder")
        parser.add_argument(
            "--keep",
            type=int,
            default=None,
            help="with --dir: the number of backups kept there (default DJANGO_BACKUP_KEEP, 14)",
        )
        parser.add_argument("--key-file", default=None, help="the key (default: the setting)")
        parser.add_argument(
            "--plain", action="store_true", help="unencrypted and uncompressed (not for a server)"
        )
        parser.add_argument("--make-key", metavar="KEY_FILE", help="write a new key file, exit")

    def handle(self, *args, **options):
        try:
            self._handle(options)
        except BackupError as error:
            raise CommandError(str(error)) from None

    def _handle(self, options):
        if options["make_key"]:
            make_key(Path(options["make_key"]))
            self.stdout.write(
                f"Wrote a new backup key to {options['make_key']}: keep a copy apart from the "
                "backups (without it they cannot be restored)."
            )
            return
        if bool(options["file"]) == bool(options["dir"]):
            raise CommandError("give FILE or --dir (one of them)")
        folder = Path(options["dir"]) if options["dir"] else None
        path = rotated_path(folder, timezone.now()) if folder else Path(options["file"])
        key_file = options["key_file"] or settings.BACKUP_KEY_FILE
        if options["plain"]:
            vendor = backup(path)
        elif not key_file:
            raise CommandError(
                "no backup key: set DJANGO_BACKUP_KEY_FILE or --key-file (make one with "
                "--make-key FILE), or write an unencrypted one with --plain"
            )
        else:
            vendor = backup_encrypted(path, key_file=key_file, app_version=settings.APP_VERSION)
        how = "unencrypted" if options["plain"] else "encrypted"
        self.stdout.write(
            f"Backed up the {vendor} database to {path} ({how}, {path.stat().st_size} bytes)."
        )
        if folder:
            keep = settings.BACKUP_KEEP if options["keep"] is None else options["keep"]
            for old in rotate(folder, keep=max(keep, 1)):
                self.stdout.write(f"Deleted the old backup {old}.")
