"""The database cache's table (rate limits shared by every process when Redis is not used)."""
from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    # createcachetable is idempotent and does nothing for a non-database cache (Redis).
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


def drop_cache_table(apps, schema_editor):
    schema_editor.execute("DROP TABLE IF EXISTS strata_cache")


class Migration(migrations.Migration):
    dependencies = []
    operations = [migrations.RunPython(create_cache_table, drop_cache_table)]
