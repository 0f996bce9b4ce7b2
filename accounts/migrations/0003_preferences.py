from django.db import migrations, models

import accounts.models


def give_every_user_a_calendar_token(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    for user in User.objects.filter(calendar_token__isnull=True).only("id"):
        user.calendar_token = accounts.models.new_calendar_token()
        user.save(update_fields=["calendar_token"])


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_security")]

    operations = [
        migrations.AddField(
            model_name="user",
            name="timezone",
            field=models.CharField(
                default="UTC",
                help_text="IANA time zone, e.g. Europe/Paris: 'today' and reminders follow it.",
                max_length=64,
                validators=[accounts.models.validate_timezone],
            ),
        ),
        migrations.AddField(
            model_name="user",
            name="daily_reminder",
            field=models.BooleanField(
                default=False, help_text="Email a morning list of tasks due today and overdue."
            ),
        ),
        migrations.AddField(
            model_name="user",
            name="calendar_token",
            field=models.CharField(max_length=64, null=True),
        ),
        migrations.RunPython(give_every_user_a_calendar_token, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="user",
            name="calendar_token",
            field=models.CharField(
                default=accounts.models.new_calendar_token, max_length=64, unique=True
            ),
        ),
    ]
