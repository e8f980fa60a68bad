from django.db import migrations


class Migration(migrations.Migration):
    """The eSIM's events name their columns as every other event does
    (roamwise.core.models.TransitionEvent); the rows are kept."""

    dependencies = [("esims", "0005_alter_es2attempt_options_alter_esim_options_and_more")]

    operations = [
        migrations.RenameField("esimevent", "from_state", "from_status"),
        migrations.RenameField("esimevent", "to_state", "to_status"),
    ]
