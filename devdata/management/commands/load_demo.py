from django.core.management.base import BaseCommand

from devdata import demo


class Command(BaseCommand):
    help = (
        "Load the Thốt Nốt district demo (units, invented members, their events and the demo "
        "accounts). Idempotent: does nothing when the demo is already there."
    )

    def handle(self, *args, **options):
        if demo.is_loaded():
            self.stdout.write("The demo data is already loaded; nothing to do.")
            return
        self.stdout.write("Loading the Thốt Nốt demo data…")
        demo.load(stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS(f"Done. Demo accounts' password: {demo.PASSWORD}"))
