from django.db import migrations

# As in directory.models.AWAY_REASONS when this was written (a migration keeps its own copy).
REASONS = ["Break", "Lunch", "Training", "Meeting"]


def seed(apps, schema_editor):
    AwayReason = apps.get_model("directory", "AwayReason")
    for order, label in enumerate(REASONS):
        AwayReason.objects.get_or_create(label=label, defaults={"order": order})


def unseed(apps, schema_editor):
    apps.get_model("directory", "AwayReason").objects.filter(label__in=REASONS).delete()


class Migration(migrations.Migration):
    dependencies = [("directory", "0007_wrap_up_away_reasons")]

    operations = [migrations.RunPython(seed, unseed)]
