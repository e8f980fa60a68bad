"""The database itself refuses to update or delete audit events.

Whoever wants to tamper has to drop the trigger first (DDL rights), and even
then the keyed hash chain shows it. A retention purge lifts the guard inside
its own transaction (PostgreSQL: ``SET LOCAL roamwise.audit_purge = 'on'``).
"""

from django.db import migrations

# SQLite guards updates only: Django empties SQLite tables with DELETE (tests,
# flush), and SQLite has no session setting to let a purge through. Deletions
# there are caught by the hash chain and the chain head.
SQLITE_UP = [
    """CREATE TRIGGER audit_accessevent_no_update BEFORE UPDATE ON audit_accessevent
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END""",
]
SQLITE_DOWN = ["DROP TRIGGER IF EXISTS audit_accessevent_no_update"]
POSTGRES_UP = [
    """CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger AS $$
       BEGIN
         IF TG_OP = 'DELETE' AND current_setting('roamwise.audit_purge', true) = 'on' THEN
           RETURN OLD;
         END IF;
         RAISE EXCEPTION 'audit events are append-only';
       END; $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER audit_accessevent_append_only BEFORE UPDATE OR DELETE
       ON audit_accessevent FOR EACH ROW EXECUTE FUNCTION audit_append_only()""",
]
POSTGRES_DOWN = [
    "DROP TRIGGER IF EXISTS audit_accessevent_append_only ON audit_accessevent",
    "DROP FUNCTION IF EXISTS audit_append_only()",
]


def _run(statements: dict[str, list[str]]):
    def run(apps, schema_editor):
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP}),
            _run({"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN}),
        )
    ]
