import contextlib

from django.core.management.base import BaseCommand, CommandError

from members import roster


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

    def handle(self, *args, file, dry_run, **options):
        preview = roster.read_roster(file)
        if preview.ok:
            # On a RosterError the errors are on the preview, and nothing was written.
            with contextlib.suppress(roster.RosterError):
                roster.commit_roster(preview, dry_run=dry_run)
        if preview.rows:
            self._summary(preview)
        if not preview.ok:
            for error in preview.errors:
                self.stderr.write(str(error))
            raise CommandError(
                f"{len(preview.errors)} lỗi; không ghi gì vào cơ sở dữ liệu.", returncode=1
            )
        if dry_run:
            self.stdout.write("Chạy thử (--dry-run): không ghi gì vào cơ sở dữ liệu.")
        else:
            self.stdout.write(self.style.SUCCESS("Đã nhập xong."))

    def _summary(self, preview: roster.Preview) -> None:
        s = preview.summary()
        self.stdout.write(
            f"Thêm mới: {s[roster.CREATE]} · Cập nhật: {s[roster.UPDATE]} · "
            f"Không đổi: {s[roster.UNCHANGED]} · Nghi trùng: {s['duplicates']}"
        )
        for row in preview.rows:
            if row.duplicate_of:
                self.stdout.write(f"{preview.sheet}!{row.number}: nghi trùng: {row.duplicate_of}")
            for note in row.notes:
                self.stdout.write(f"{preview.sheet}!{row.number}: {note}")
