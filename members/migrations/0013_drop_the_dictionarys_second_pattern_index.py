from django.db import migrations

# On PostgreSQL Django gives every varchar primary key a second index in the pattern operator
# class (``<table>_<column>_<digest>_like``, created with migration 0011). The dictionary's
# ``membername_prefix_floor_idx`` (migration 0012) is that same index with the names' sort
# floors included, so the first is a copy that every new name writes twice; and as the two
# cost the planner nearly the same, it took one or the other by the tables' bloat, reading the
# rows for each floor when it took the copy. Only the one with the floors is kept.
TABLE = "members_membername"


def drop_the_copy(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        indexes = schema_editor.connection.introspection.get_constraints(cursor, TABLE)
    for name, index in indexes.items():
        if name.endswith("_like") and index["columns"] == ["name"]:
            schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")


def restore_the_copy(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS members_membername_name_ac8cfadc_like "
        f"ON {TABLE} (name varchar_pattern_ops)"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0012_dictionary_sort_floor"),
    ]

    operations = [
        migrations.RunPython(drop_the_copy, restore_the_copy, elidable=False),
    ]
