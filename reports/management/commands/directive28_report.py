"""Figures of a unit for a period, from the command line (for scripts and scheduled exports).

JSON (the default) prints ``Figures.as_dict()``; ``--format xlsx`` and ``--format pdf`` write the
same report as the page's downloads (``reports.unit_report`` and ``reports.renderers``) to
``--output``. The command sees every unit, as a superuser does, and reads from the read replica
when there is one.
"""

import datetime
import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone, translation

from branches.models import Unit
from members.models import Directive
from reports.figures import unit_figures
from reports.unit_report import build_unit_report
from thotnot_members.replica import report_reads

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

    def create_parser(self, prog_name, subcommand, **kwargs):
        """argparse's own refusals (a missing or unknown option) are one line and status 2 too,
        like the command's."""
        parser = super().create_parser(prog_name, subcommand, **kwargs)

        def one_line_error(message):
            if parser.called_from_command_line:
                sys.stderr.write(f"CommandError: {message}\n")
                sys.exit(USAGE_ERROR)
            raise CommandError(message, returncode=USAGE_ERROR)

        parser.error = one_line_error
        return parser

    def add_arguments(self, parser):
        parser.add_argument("--unit", required=True, help="the unit's code or exact name")
        parser.add_argument("--from", dest="start", required=True, help="first day, DD/MM/YYYY")
        parser.add_argument("--to", dest="end", required=True, help="last day, DD/MM/YYYY")
        parser.add_argument(
            "--directive", help="count only events carried out under this directive, e.g. 28-CT/TW"
        )
        parser.add_argument("--format", default="json", choices=["json", "xlsx", "pdf"])
        parser.add_argument(
            "--output",
            help="write to this file (required for xlsx and pdf; json goes to stdout without it)",
        )

    @report_reads()  # from the read replica, when there is one, as the report pages
    def handle(self, *args, **options):
        output = options["output"]
        if options["format"] != "json" and not output:
            raise CommandError(
                f"--format {options['format']} needs --output FILE", returncode=USAGE_ERROR
            )
        if output and not Path(output).resolve().parent.is_dir():
            raise CommandError(f"no directory for --output {output!r}", returncode=USAGE_ERROR)
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
        if options["format"] == "json":
            text = json.dumps(
                unit_figures(units[0], start, end, directive).as_dict(), ensure_ascii=False
            )
            if output:
                Path(output).write_text(text + "\n", encoding="utf-8")
            else:
                self.stdout.write(text)
            return
        # The documents are Vietnamese whatever the shell's locale.
        with translation.override("vi"):
            report = build_unit_report(units[0], start, end, directive)
            if options["format"] == "pdf":
                from reports.renderers.pdf import unit_report_pdf

                content = unit_report_pdf(report, today=timezone.localdate())
            else:
                from reports.renderers.xlsx import unit_report_xlsx

                content = unit_report_xlsx(report)
        Path(output).write_bytes(content)
