"""The database refuses to update consent and objection records.

Deleting stays possible: erasure and the retention sweep remove rows; nobody
rewrites what a person chose.
"""

from django.db import migrations

TABLES = ["consent_consentrecord", "consent_objectionrecord"]
SQLITE_UP = [
    f"""CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
       BEGIN SELECT RAISE(ABORT, 'consent records are append-only'); END"""
    for table in TABLES
]
SQLITE_DOWN = [f"DROP TRIGGER IF EXISTS {table}_no_update" for table in TABLES]
POSTGRES_UP = [
    """CREATE OR REPLACE FUNCTION consent_no_update() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'consent records are append-only'; END; $$ LANGUAGE plpgsql""",
    *[
        f"""CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
           FOR EACH ROW EXECUTE FUNCTION consent_no_update()"""
        for table in TABLES
    ],
]
POSTGRES_DOWN = [
    *[f"DROP TRIGGER IF EXISTS {table}_no_update ON {table}" for table in TABLES],
    "DROP FUNCTION IF EXISTS consent_no_update()",
]


def _run(statements):
    def run(apps, schema_editor):
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("consent", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP}),
            _run({"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN}),
        )
    ]
