"""PostgreSQL roles for a multi-server installation: an owner that makes the tables, and an
application role that can append to the record but never change or delete what is in it.

`sendtrail db init` (run as the owner) makes every table; `sendtrail db grant ROLE` (run as
the owner) gives ROLE the least it needs and makes the record's tables append-only for
every role: a trigger refuses UPDATE, DELETE and TRUNCATE on the events, the snapshots and
the ledger's leaves, nodes, checkpoints and installation row. The application role keeps
UPDATE on the events table only because PostgreSQL asks for it to take the table lock
that orders writes (`LOCK TABLE ... IN EXCLUSIVE MODE`); the trigger refuses every row
update it could attempt, and only the tables' owner could drop the trigger.
"""

from __future__ import annotations

import re

from psycopg.sql import SQL, Identifier

# Tables the record lives in: rows are only ever added.
APPEND_ONLY = (
    "{events}",
    "{snapshots}",
    "ledger_leaves",
    "ledger_nodes",
    "ledger_checkpoints",
    "ledger_installation",
    "ledger_cosignatures",
)
# Working tables and the rights the application needs on each.
WORKING = {
    "ledger_heads": "SELECT, INSERT, UPDATE",  # one row per child, moved on at each write
    "api_users": "SELECT, INSERT, UPDATE, DELETE",  # revoked; removed with an erased child
    "web_sessions": "SELECT, INSERT, DELETE",
    "api_invitations": "SELECT, INSERT, UPDATE, DELETE",
    "api_signin_failures": "SELECT, INSERT, DELETE",
    "cohort_children": "SELECT, INSERT, UPDATE, DELETE",
    "cohort_costs": "SELECT, INSERT, UPDATE, DELETE",
    "cohort_tracking": "SELECT, INSERT, UPDATE, DELETE",
    "documents": "SELECT, INSERT, DELETE",  # deleted with an erased child, or as orphans
    "document_chunks": "SELECT, INSERT, DELETE",
    "document_links": "SELECT, INSERT, DELETE",  # written with entries; erased with the child
}
# The key store's tables (their own schema), when the keys live in PostgreSQL: erasure
# deletes a wrapped key, a KEK rotation rewraps them all.
KEY_TABLES = {
    "data_keys": "SELECT, INSERT, UPDATE, DELETE",
    "erased": "SELECT, INSERT",
    "kek_versions": "SELECT, INSERT",
    "keystore_state": "SELECT, UPDATE",
    "installation": "SELECT, INSERT",
    "keystore_generation": "SELECT, UPDATE",
}
REFUSE_FUNCTION = "sendtrail_refuse_change"


def _identifier(name: str, what: str) -> str:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,62}", name):
        raise ValueError(f"{what} must be a plain SQL identifier (letters, digits, _)")
    return name


def grant_statements(
    schema: str, role: str, *, events: str, snapshots: str, keys: str | None = None
) -> list[str]:
    """The SQL that makes the record append-only and gives `role` what the service needs."""
    s = Identifier(_identifier(schema, "schema"))
    r = Identifier(_identifier(role, "role"))
    names = {"events": events, "snapshots": snapshots}
    append_only = [Identifier(t.format(**names)) for t in APPEND_ONLY]
    statements = [
        SQL(
            "CREATE OR REPLACE FUNCTION {}.{}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'sendtrail: % is append-only (% refused)', "
            "TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege'; END $$"
        ).format(s, Identifier(REFUSE_FUNCTION)),
        SQL("GRANT USAGE ON SCHEMA {} TO {}").format(s, r),
        SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {} TO {}").format(s, r),
    ]
    for table in append_only:
        for when, each in (("UPDATE OR DELETE", "ROW"), ("TRUNCATE", "STATEMENT")):
            trigger = Identifier(f"sendtrail_append_only_{each.lower()}")
            statements += [
                SQL("DROP TRIGGER IF EXISTS {} ON {}.{}").format(trigger, s, table),
                SQL(
                    "CREATE TRIGGER {} BEFORE " + when + " ON {}.{} FOR EACH " + each + " "
                    "EXECUTE FUNCTION {}.{}()"
                ).format(trigger, s, table, s, Identifier(REFUSE_FUNCTION)),
            ]
        statements.append(SQL("REVOKE ALL ON {}.{} FROM {}").format(s, table, r))
        statements.append(SQL("GRANT SELECT, INSERT ON {}.{} TO {}").format(s, table, r))
    # The table lock that orders event writes needs UPDATE (rows: refused by the trigger).
    statements.append(SQL("GRANT UPDATE ON {}.{} TO {}").format(s, Identifier(events), r))
    for table_name, rights in WORKING.items():
        statements.append(
            SQL("GRANT " + rights + " ON {}.{} TO {}").format(s, Identifier(table_name), r)
        )
    if keys is not None:
        k = Identifier(_identifier(keys, "key schema"))
        statements.append(SQL("GRANT USAGE ON SCHEMA {} TO {}").format(k, r))
        for table_name, rights in KEY_TABLES.items():
            statements.append(
                SQL("GRANT " + rights + " ON {}.{} TO {}").format(k, Identifier(table_name), r)
            )
    return [statement.as_string(None) for statement in statements]
