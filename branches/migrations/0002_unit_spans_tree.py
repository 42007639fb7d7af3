# Unit.spans_tree: the unit above every other for the whole of their lives (the root of the
# only tree), so that its reports need no tree filter. Derived; kept by
# branches.services.rebuild_ancestry from now on, computed here once for existing trees.

from django.db import migrations, models


def mark_spanning_root(apps, schema_editor):
    """As branches.services.spanning_root: the only unit created as a root (every other unit
    has a parent link from its founding day), if there is exactly one."""
    Unit = apps.get_model("branches", "Unit")
    UnitParent = apps.get_model("branches", "UnitParent")
    founded_linked = set(
        UnitParent.objects.filter(valid_from=models.F("unit__founded_on")).values_list(
            "unit_id", flat=True
        )
    )
    roots = [pk for pk in Unit.objects.values_list("pk", flat=True) if pk not in founded_linked]
    if len(roots) == 1:
        Unit.objects.filter(pk=roots[0]).update(spans_tree=True)


class Migration(migrations.Migration):

    dependencies = [
        ("branches", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="unit",
            name="spans_tree",
            field=models.BooleanField(
                default=False, editable=False, verbose_name="gốc của toàn bộ cây"
            ),
        ),
        migrations.AddConstraint(
            model_name="unit",
            constraint=models.UniqueConstraint(
                condition=models.Q(("spans_tree", True)),
                fields=("spans_tree",),
                name="unit_one_spans_tree",
            ),
        ),
        migrations.RunPython(mark_spanning_root, migrations.RunPython.noop),
    ]
