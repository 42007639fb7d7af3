from django.db import migrations, models

from common.vntext import name_sort_floor

# Each name of the dictionary gets its sort floor (``text.name_sort_floor``): the lowest sort
# key a member of that name can have. A prefix's least floor is where a walk of the name
# order for its matches starts (``MemberQuerySet.from_floor_of_prefix``). The floors are
# computed in Python, as the keys are, and written in chunks; "" (the default) is a bound
# too, so a name left without one is still found.
CHUNK = 10_000


def fill(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        # Each chunk's names are looked up by the primary key's index. Left to itself,
        # PostgreSQL looked each up in the trigram index instead (pg_trgm answers equality
        # too; its cost is misjudged for a lookup repeated in a join): 13 ms a name, 130 s a
        # chunk on the national data.
        schema_editor.execute("SET LOCAL enable_bitmapscan = off")
    with connection.cursor() as reader:
        reader.execute("SELECT name FROM members_membername ORDER BY name")
        with connection.cursor() as writer:
            while names := [name for (name,) in reader.fetchmany(CHUNK)]:
                floors = [name_sort_floor(name) for name in names]
                if connection.vendor == "postgresql":
                    # One statement a chunk (10,000 single-row updates each cost a round trip).
                    writer.execute(
                        "UPDATE members_membername AS n SET sort_floor = f.floor "
                        "FROM unnest(%s::text[], %s::text[]) AS f(name, floor) "
                        "WHERE n.name = f.name",
                        [names, floors],
                    )
                else:
                    writer.executemany(
                        "UPDATE members_membername SET sort_floor = %s WHERE name = %s",
                        list(zip(floors, names, strict=True)),
                    )
    if connection.vendor == "postgresql":
        schema_editor.execute("RESET enable_bitmapscan")


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0011_member_name_dictionary"),
    ]

    operations = [
        migrations.AddField(
            model_name="membername",
            name="sort_floor",
            field=models.CharField(
                blank=True, default="", max_length=600, verbose_name="khóa sắp xếp thấp nhất"
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=False),
        migrations.AddIndex(
            model_name="membername",
            index=models.Index(
                fields=["name"],
                include=("sort_floor",),
                name="membername_prefix_floor_idx",
                opclasses=["varchar_pattern_ops"],
            ),
        ),
    ]
