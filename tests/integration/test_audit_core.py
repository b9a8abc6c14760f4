"""The audit's verification core on both stores: every stored Merkle node is checked level
by level, and hashing the leaves in worker processes names the same first problem as
hashing them in the auditing process."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from api.bootstrap import open_ledger, open_records
from api.settings import Settings
from domain.application import ChildRecords
from ledger import audit as ledger_audit
from ledger import audit_tree
from ledger.audit import AuditError, AuditReport, audit
from ledger.keys import LOG_KEY, create_key_pair, key_paths, load_private, load_public
from ledger.log import Ledger
from ledger.merkle import root
from tests.factories import fixed_clock
from tests.integration.ledger_tamper import RawStore
from tests.support.audit import three_children


@pytest.fixture
def store(settings: Settings) -> Iterator[tuple[Settings, ChildRecords, Ledger, RawStore]]:
    create_key_pair(settings.keys_dir, LOG_KEY)
    records = open_records(settings, clock=fixed_clock)
    three_children(records)
    three_children(records)  # 30 leaves: nodes up to level 4
    ledger = open_ledger(records, settings)
    ledger.create_checkpoint(
        load_private(key_paths(settings.keys_dir, LOG_KEY).private), settings.log_origin
    )
    yield settings, records, ledger, RawStore(settings)
    records.close()


def run(settings: Settings, ledger: Ledger, workers: int) -> AuditReport:
    return audit(
        ledger,
        log_key=load_public(key_paths(settings.keys_dir, LOG_KEY).public),
        key_name=settings.log_origin,
        workers=workers,
    )


def failure(settings: Settings, ledger: Ledger, workers: int) -> str:
    with pytest.raises(AuditError) as caught:
        run(settings, ledger, workers)
    return str(caught.value)


Store = tuple[Settings, ChildRecords, Ledger, RawStore]


class TestTheTreeLevelByLevel:
    def test_a_clean_store_gives_the_root_of_its_leaves_in_and_out_of_process(
        self, store: Store
    ) -> None:
        settings, _, ledger, _ = store
        expected = root([leaf.hash() for leaf in ledger.iter_leaves()])
        for workers in (0, 2):
            report = run(settings, ledger, workers)
            assert (report.leaves, report.children, report.root) == (30, 6, expected)

    def test_an_inner_node_off_every_proof_of_the_last_leaf_is_named(self, store: Store) -> None:
        settings, _, ledger, raw = store
        # Node (level 2, index 1) covers leaves 4-7: not on the frontier of a 30-leaf tree,
        # so only a check of every stored node finds it changed.
        raw.run(
            "UPDATE {p}ledger_nodes SET hash = ? WHERE level = 2 AND idx = 1",
            [hashlib.sha256(b"forged").digest()],
        )
        message = failure(settings, ledger, 0)
        assert "tree node at level 2, index 1" in message
        assert "does not match the nodes below it" in message

    def test_levels_read_in_several_pages_give_the_same_root_and_name_the_same_node(
        self, store: Store, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        settings, _, ledger, raw = store
        monkeypatch.setattr(audit_tree, "_PAGE", 4)  # level 1's 15 nodes in four pages
        expected = root([leaf.hash() for leaf in ledger.iter_leaves()])
        assert run(settings, ledger, 0).root == expected
        raw.run(
            "UPDATE {p}ledger_nodes SET hash = ? WHERE level = 1 AND idx = 10",
            [hashlib.sha256(b"forged").digest()],
        )
        message = failure(settings, ledger, 0)
        assert "tree node at level 1, index 10: stored Merkle node does not match" in message
        raw.run("DELETE FROM {p}ledger_nodes WHERE level = 1 AND idx IN (9, 10)")
        message = failure(settings, ledger, 0)
        assert "tree node at level 1, index 9: stored Merkle node missing" in message

    def test_a_missing_inner_node_is_named(self, store: Store) -> None:
        settings, _, ledger, raw = store
        raw.run("DELETE FROM {p}ledger_nodes WHERE level = 3 AND idx = 0")
        assert "tree node at level 3, index 0: stored Merkle node missing" in failure(
            settings, ledger, 0
        )

    def test_a_node_beyond_the_log_at_a_level_it_has_is_named(self, store: Store) -> None:
        settings, _, ledger, raw = store
        # 30 leaves: level 1 holds nodes 0-14; a 16th is left over from a longer log.
        raw.run(
            "INSERT INTO {p}ledger_nodes (level, idx, hash) VALUES (1, 15, ?)",
            [hashlib.sha256(b"stale").digest()],
        )
        assert "tree node at level 1, index 15: stored Merkle node beyond the log" in failure(
            settings, ledger, 0
        )

    def test_a_node_beyond_the_log_is_named(self, store: Store) -> None:
        settings, _, ledger, raw = store
        raw.run(
            "INSERT INTO {p}ledger_nodes (level, idx, hash) VALUES (5, 0, ?)",
            [hashlib.sha256(b"stale").digest()],
        )
        assert "tree node at level 5, index 0: stored Merkle node beyond the log" in failure(
            settings, ledger, 0
        )


class TestWorkersNameTheSameProblem:
    def test_a_changed_event_byte(self, store: Store) -> None:
        settings, _, ledger, raw = store
        leaf = list(ledger.iter_leaves())[17]
        key = raw.child_key(leaf.child_id)
        state = bytearray(
            raw.run(
                "SELECT state FROM {events} WHERE originator_id = ? AND originator_version = ?",
                [key, leaf.version],
            )[0]["state"]
        )
        state[-3] ^= 0x10
        raw.run(
            "UPDATE {events} SET state = ? WHERE originator_id = ? AND originator_version = ?",
            [bytes(state), key, leaf.version],
        )
        inline, pooled = failure(settings, ledger, 0), failure(settings, ledger, 2)
        assert inline == pooled
        assert inline == (
            f"leaf 17 (child {leaf.child_id[:8]} v{leaf.version}): stored event bytes changed"
        )

    def test_a_broken_chain_before_a_changed_byte(self, store: Store) -> None:
        settings, _, ledger, raw = store
        leaves = list(ledger.iter_leaves())
        raw.run(
            "UPDATE {p}ledger_leaves SET prev = ? WHERE leaf_index = 9", [leaves[3].hash().hex()]
        )
        raw.run("UPDATE {p}ledger_leaves SET state_sha256 = ? WHERE leaf_index = 20", ["0" * 64])
        for workers in (0, 2):
            assert "leaf 9 " in failure(settings, ledger, workers)
            assert "per-child hash chain broken" in failure(settings, ledger, workers)


class TestALongAuditOnPostgreSQL:
    def test_no_transaction_is_left_idle_through_the_tree_pass(
        self, store: Store, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """On a large log the tree pass takes minutes after the walk; PostgreSQL ends a
        transaction left idle that long (eventsourcing sets 5 s), logging each as FATAL.
        The walk's transactions end with it: none is idle while the tree is checked."""
        settings, _, ledger, _ = store
        if settings.database_url is None:
            pytest.skip("SQLite ends no idle transaction: PostgreSQL only")
        url, _, schema = settings.database_url.partition("?schema=")
        real = audit_tree.verify_levels
        idle: list[int] = []

        def watched(*args: Any) -> dict[int, bytes]:
            with psycopg.connect(url) as conn:
                row = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE state = 'idle in transaction' "
                    "AND query LIKE %s AND query NOT LIKE '%%ledger_nodes%%'",  # the tree's own
                    [f"%{schema}%"],
                ).fetchone()
            idle.append(row[0] if row else -1)
            return real(*args)

        monkeypatch.setattr(ledger_audit, "verify_levels", watched)
        assert run(settings, ledger, 0).leaves == 30
        assert idle == [0]


class TestPagesCheckedWhole:
    """A page that holds is checked a column at a time; one that does not is walked leaf by
    leaf. Read four leaves a page (the checkpoint at 30 falls inside the last), the audit
    gives the same root and names each problem at the same leaf as in one page."""

    @pytest.mark.parametrize(
        ("change", "named"),
        [
            ("UPDATE {p}ledger_leaves SET recorded_at = '2000' WHERE leaf_index = 13",
             "leaf 13 (child {child} v{version}): record time moved backwards"),
            ("UPDATE {p}ledger_nodes SET hash = ? WHERE level = 0 AND idx = 6",
             "leaf 6 (child {child} v{version}): leaf hash differs from the stored Merkle log"),
            ("UPDATE {p}ledger_leaves SET state_sha256 = ? WHERE leaf_index = 21",
             "leaf 21 (child {child} v{version}): stored event bytes changed"),
            ("UPDATE {p}ledger_leaves SET prev = ? WHERE leaf_index = 26",
             "leaf 26 (child {child} v{version}): per-child hash chain broken"),
        ],
    )  # fmt: skip
    def test_each_problem_is_named_at_its_leaf_in_small_pages_and_large(
        self, store: Store, monkeypatch: pytest.MonkeyPatch, change: str, named: str
    ) -> None:
        settings, _, ledger, raw = store
        leaves = list(ledger.iter_leaves())
        expected = root([leaf.hash() for leaf in leaves])
        monkeypatch.setattr(ledger_audit, "PAGE", 4)
        assert run(settings, ledger, 0).root == expected
        index = int(change.rsplit(" ", 1)[1])
        forged = hashlib.sha256(b"forged")
        value = forged.digest() if "ledger_nodes" in change else forged.hexdigest()
        raw.run(change, [value] if "?" in change else [])
        leaf = leaves[index]
        message = named.format(child=leaf.child_id[:8], version=leaf.version)
        in_pages_of_four = failure(settings, ledger, 0)
        monkeypatch.setattr(ledger_audit, "PAGE", 5000)
        assert message in in_pages_of_four
        assert failure(settings, ledger, 0) == in_pages_of_four
