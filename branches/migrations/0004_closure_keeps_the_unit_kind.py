# UnitAncestry.unit_kind: a copy of the unit's kind (which never changes), so that "the units
# of kind K under X" is one index range (the member list's unit filter). Written by
# branches.services.rebuild_ancestry from now on; filled here once for existing closures.

from django.db import migrations, models
from django.db.models import OuterRef, Subquery

KINDS = [
    ("above_grassroots", "Đảng bộ cấp trên cơ sở"),
    ("grassroots_committee", "Đảng bộ cơ sở"),
    ("grassroots_cell", "Chi bộ cơ sở"),
    ("intermediate_committee", "Đảng bộ bộ phận"),
    ("cell", "Chi bộ"),
]


def copy_unit_kinds(apps, schema_editor):
    Unit = apps.get_model("branches", "Unit")
    UnitAncestry = apps.get_model("branches", "UnitAncestry")
    UnitAncestry.objects.update(
        unit_kind=Subquery(Unit.objects.filter(pk=OuterRef("unit_id")).values("kind")[:1])
    )


class Migration(migrations.Migration):

    dependencies = [
        ("branches", "0003_closure_index_by_unit_and_ancestor"),
    ]

    operations = [
        migrations.AddField(
            model_name="unitancestry",
            name="unit_kind",
            field=models.CharField(choices=KINDS, default="", editable=False, max_length=32),
            preserve_default=False,
        ),
        migrations.RunPython(copy_unit_kinds, migrations.RunPython.noop, elidable=True),
        migrations.AddConstraint(
            model_name="unitancestry",
            constraint=models.CheckConstraint(
                condition=models.Q(("unit_kind__in", [kind for kind, _label in KINDS])),
                name="unitancestry_unit_kind_valid",
            ),
        ),
        migrations.AddIndex(
            model_name="unitancestry",
            index=models.Index(
                fields=["ancestor", "unit_kind", "unit"], name="unitancestry_kind_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="unit",
            index=models.Index(fields=["kind", "id"], name="unit_kind_idx"),
        ),
    ]
