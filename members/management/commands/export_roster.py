from django.core.management.base import BaseCommand, CommandError

from branches.models import Unit
from members import roster
from members.models import Member


class Command(BaseCommand):
    help = (
        "Export member records and their events to an Excel (.xlsx) file in the shape "
        "import_roster reads (every record, current members or not, unless --current)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--unit", help="Only the records kept in this unit's subtree (code).")
        parser.add_argument("--current", action="store_true", help="Only current members.")
        parser.add_argument(
            "--template",
            action="store_true",
            help="Write the empty template (headers, instructions, drop-down lists) instead.",
        )

    def handle(self, *args, file, unit, current, template, **options):
        if template:
            roster.template_workbook().save(file)
            self.stdout.write(self.style.SUCCESS(f"Đã ghi mẫu nhập liệu vào {file}."))
            return
        members = Member.objects.all()
        if current:
            members = members.active()
        if unit:
            try:
                top = Unit.objects.get(code=unit)
            except Unit.DoesNotExist:
                raise CommandError(f"Không có đơn vị mã “{unit}”.") from None
            members = members.filter(record_unit__in=Unit.objects.under(top))
        count = roster.write_export(members, file)  # in name order, as of one moment
        self.stdout.write(self.style.SUCCESS(f"Đã xuất {count} đảng viên vào {file}."))
