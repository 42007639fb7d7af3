import time

from django.core.management.base import BaseCommand
from django.db.models.signals import post_save

from devdata import demo
from members.models import Event, Member

# A line of progress every this many records written (about every few seconds).
PROGRESS_EVERY = 500


class Command(BaseCommand):
    help = (
        "Load the Thốt Nốt district demo (units, invented members, their events and the demo "
        "accounts). Idempotent: does nothing when the demo is already there."
    )

    def handle(self, *args, **options):
        if demo.is_loaded():
            self.stdout.write("The demo data is already loaded; nothing to do.")
            return
        self.stdout.write("Loading the Thốt Nốt demo data (about 3,300 members, 6,800 events)…")
        started = time.monotonic()
        counts = {Member: 0, Event: 0}

        def written(sender, created, **kwargs):
            # Progress only: the counts of what the demo has written so far, as it goes.
            if not created:
                return
            counts[sender] += 1
            if sum(counts.values()) % PROGRESS_EVERY == 0:
                self.stdout.write(
                    f"  … {counts[Member]:,} members, {counts[Event]:,} events "
                    f"({time.monotonic() - started:.0f} s)"
                )
                self.stdout.flush()

        for model in counts:
            post_save.connect(written, sender=model, weak=False, dispatch_uid=f"demo-{model}")
        try:
            demo.load(stdout=self.stdout)
        finally:
            for model in counts:
                post_save.disconnect(sender=model, dispatch_uid=f"demo-{model}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Done in {time.monotonic() - started:.0f} s. "
                f"Demo accounts' password: {demo.PASSWORD}"
            )
        )
