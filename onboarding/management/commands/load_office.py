"""python manage.py load_office FILE [--dry-run] | --template FILE"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from onboarding import loading
from onboarding.workbook import template_workbook


class Command(BaseCommand):
    help = (
        "Load an office's unit tree and accounts with their roles from a workbook, all or "
        "nothing; prints each new account's one-time password once. --template writes the "
        "empty workbook."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="check only; write nothing")
        parser.add_argument("--template", action="store_true", help="write the empty template")

    def handle(self, *args, file, dry_run, template, **options):
        translation.activate("vi")
        path = Path(file)
        if template:
            template_workbook().save(path)
            self.stdout.write(f"{path}")
            return
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        data = path.read_bytes()
        outcome = loading.check(data) if dry_run else loading.load(data)
        for problem in outcome.problems:
            self.stderr.write(str(problem))
        if outcome.problems:
            raise CommandError(f"{len(outcome.problems)} problem(s); nothing written")
        self.stdout.write(
            f"units: {outcome.new_units} new, {len(outcome.units) - outcome.new_units} already "
            f"there; accounts: {outcome.new_accounts} new; roles: {outcome.new_roles} new"
            + (" (dry run: nothing written)" if dry_run else "")
        )
        for account in outcome.accounts:
            if account.password:
                self.stdout.write(f"{account.username}\t{account.password}")
