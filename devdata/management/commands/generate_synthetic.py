import datetime

from django.core.management.base import BaseCommand, CommandError

from branches.models import Unit
from devdata import synthetic
from members.models import Member


class Command(BaseCommand):
    help = (
        "Build a synthetic party tree and twenty years of membership history at any scale "
        "(150000 members: a city; 5600000: the whole Party), deterministic for a seed. Bulk "
        "inserts (COPY on PostgreSQL) that write exactly what the event services would; no "
        "audit-history rows. Refuses a database that already has members unless --force."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--members", type=int, required=True, help="members on a roll at the end"
        )
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        parser.add_argument(
            "--until",
            type=lambda text: datetime.datetime.strptime(text, "%d/%m/%Y").date(),
            default=synthetic.UNTIL,
            help="last day of the history, DD/MM/YYYY (default 31/12/2025)",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="add the synthetic tree beside the members already in the database",
        )

    def handle(self, *args, members, seed, until, force, **options):
        if members < 1:
            raise CommandError("--members must be at least 1.")
        if not 0 <= seed < 10**12:
            raise CommandError("--seed must be between 0 and 999999999999.")
        if not force and Member.objects.exists():
            raise CommandError(
                "This database already has members; generate_synthetic is for an empty one "
                "(use --force to add a synthetic tree beside them)."
            )
        if Unit.objects.filter(code=f"syn{seed}").exists():
            raise CommandError(f"A synthetic tree with seed {seed} is already here.")
        self.stdout.write(
            f"Generating {members:,} members (seed {seed}, history until {until:%d/%m/%Y})…"
        )
        counts = synthetic.generate(members=members, seed=seed, until=until, say=self.stdout.write)
        self.stdout.write(
            self.style.SUCCESS(
                f"Done: {counts.units:,} units, {counts.members:,} members, "
                f"{counts.events:,} events, {counts.memberships:,} roll periods."
            )
        )
