"""Figures of a unit for a period, from the command line (for scripts and scheduled exports)."""

import datetime
import json

from django.core.management.base import BaseCommand, CommandError

from branches.models import Unit
from members.models import Directive
from reports.figures import unit_figures

USAGE_ERROR = 2


def parse_day(text: str) -> datetime.date:
    try:
        return datetime.datetime.strptime(text.strip(), "%d/%m/%Y").date()
    except ValueError:
        raise CommandError(
            f"invalid date {text!r}: expected DD/MM/YYYY", returncode=USAGE_ERROR
        ) from None


class Command(BaseCommand):
    help = (
        "Print a unit's membership figures for a period (inclusive) as JSON: members at the "
        "start and end, admissions, removals by kind, transfers, deaths; optionally only the "
        "events carried out under one directive."
    )

    def add_arguments(self, parser):
        parser.add_argument("--unit", required=True, help="the unit's code or exact name")
        parser.add_argument("--from", dest="start", required=True, help="first day, DD/MM/YYYY")
        parser.add_argument("--to", dest="end", required=True, help="last day, DD/MM/YYYY")
        parser.add_argument(
            "--directive", help="count only events carried out under this directive, e.g. 28-CT/TW"
        )
        parser.add_argument("--format", default="json", choices=["json"])

    def handle(self, *args, **options):
        start, end = parse_day(options["start"]), parse_day(options["end"])
        if end < start:
            raise CommandError("--to is before --from", returncode=USAGE_ERROR)
        units = Unit.objects.named(options["unit"], start, end)
        if not units:
            raise CommandError(
                f"no unit with code or name {options['unit']!r}", returncode=USAGE_ERROR
            )
        if len(units) > 1:
            codes = ", ".join(u.code for u in units)
            raise CommandError(
                f"several units are named {options['unit']!r}; give a code: {codes}",
                returncode=USAGE_ERROR,
            )
        directive = None
        if options["directive"]:
            directive = Directive.objects.filter(code=options["directive"].strip()).first()
            if directive is None:
                known = ", ".join(Directive.objects.values_list("code", flat=True)) or "none"
                raise CommandError(
                    f"no directive {options['directive']!r} (known: {known})",
                    returncode=USAGE_ERROR,
                )
        figures = unit_figures(units[0], start, end, directive)
        self.stdout.write(json.dumps(figures.as_dict(), ensure_ascii=False))
