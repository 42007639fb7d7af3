"""A system check: on PostgreSQL the database must sort text in Vietnamese order (ICU ``vi``).

The member list sorts by the stored ``Member.name_sort_key`` (common/vntext.py), the same on
every database; every other ``ORDER BY`` on text (unit names in the filters, the home page and
the admin, ``full_name`` in the admin) uses the database's default collation. So the database
is created with ICU ``vi-VN`` (README "Deployment"), rather than a ``COLLATE`` on each column or
query: one setting, no migration, nothing SQLite would have to ignore. The check is tagged
``database``: ``migrate`` and ``check --database default`` run it.
"""

from __future__ import annotations

from django.core.checks import Tags, Warning, register
from django.db import connections

# pg_database.datlocprovider
PROVIDERS = {"i": "ICU", "c": "libc", "b": "builtin"}


def collation_problem(connection) -> str | None:
    """What is wrong with a PostgreSQL database's default collation, or None when it is a
    Vietnamese ICU one."""
    if connection.pg_version < 150000:
        major = connection.pg_version // 10000
        return f"PostgreSQL {major} has no ICU database collations (15 and later have)"
    # PostgreSQL 17 renamed daticulocale to datlocale.
    column = "datlocale" if connection.pg_version >= 170000 else "daticulocale"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT datlocprovider, {column}, datcollate FROM pg_database "
            "WHERE datname = current_database()"
        )
        provider, icu_locale, libc_locale = cursor.fetchone()
    if provider == "i" and (icu_locale or "").replace("_", "-").lower().split("-")[0] == "vi":
        return None
    locale = icu_locale if provider in {"i", "b"} else libc_locale
    return f"its default collation is {PROVIDERS.get(provider, provider)} {locale!r}"


@register(Tags.database)
def check_vietnamese_collation(app_configs=None, databases=None, **kwargs):
    warnings = []
    for alias in databases or ():
        connection = connections[alias]
        if connection.vendor != "postgresql":
            continue  # SQLite: the stored sort key is the only order that matters
        problem = collation_problem(connection)
        if problem is None:
            continue
        warnings.append(
            Warning(
                f"The PostgreSQL database {connection.settings_dict['NAME']!r} ({alias}) does "
                f"not sort Vietnamese text: {problem}. Unit and member names sorted in SQL "
                "come out of order (Đ after Z, Â after B).",
                hint="Create the database with LOCALE_PROVIDER icu ICU_LOCALE 'vi-VN' TEMPLATE "
                "template0 and restore a backup into it (README, Deployment).",
                id="members.W001",
            )
        )
    return warnings
