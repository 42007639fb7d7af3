from django.core.management.base import BaseCommand, CommandError

from members import roster
from members.models import RosterImportRow
from members.roster.columns import located


class Command(BaseCommand):
    help = (
        "Import a member roster from an Excel (.xlsx) file, all or nothing: with any error "
        "nothing is written. --dry-run checks everything and writes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check the file; never write anything."
        )
        parser.add_argument(
            "--duplicates",
            choices=[RosterImportRow.Decision.CREATE, RosterImportRow.Decision.SKIP],
            default="",
            help="What to do with rows that look like a person already known (same name "
            "without accents and date of birth): create a new record, or skip the row. "
            "Without it, an import that finds such rows writes nothing and lists them.",
        )

    def handle(self, *args, file, dry_run, duplicates, **options):
        try:
            ri = roster.import_file(file, dry_run=dry_run, duplicates=duplicates)
        except FileNotFoundError:
            raise CommandError(f"Không có tệp {file}.") from None
        except roster.RosterError as refused:
            for message in refused.messages:
                self.stderr.write(message)
            self._summary(refused.roster_import)
            raise CommandError(
                f"{len(refused.messages)} lỗi; không ghi gì vào cơ sở dữ liệu.", returncode=1
            ) from None
        self._summary(ri)
        if dry_run:
            self.stdout.write("Chạy thử (--dry-run): không ghi gì vào cơ sở dữ liệu.")
        else:
            self.stdout.write(self.style.SUCCESS("Đã nhập xong."))

    def _summary(self, ri) -> None:
        if ri is None or not ri.summary:
            return
        s = ri.summary
        self.stdout.write(
            f"Thêm mới: {s['create']} · Cập nhật: {s['update']} · Không đổi: {s['unchanged']} · "
            f"Bỏ qua: {s['skip']} · Sự kiện mới: {s['new_events']} · "
            f"Sự kiện đã có: {s['known_events']} · Nghi trùng: {s['duplicates']}"
        )
        rows = ri.rows.filter(sheet=RosterImportRow.Sheet.MEMBERS).exclude(duplicate_of="")
        actions = [RosterImportRow.Action.CREATE, RosterImportRow.Action.SKIP]
        for row in rows.filter(action__in=actions).order_by("number"):
            self.stdout.write(
                located(roster.MEMBERS_SHEET, row.number, "", f"nghi trùng: {row.duplicate_of}")
            )
        for row in ri.rows.exclude(notes=[]).order_by("sheet", "number"):
            for note in row.notes:
                self.stdout.write(located(roster.MEMBERS_SHEET, row.number, "", note))
