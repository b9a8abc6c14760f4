"""The write catalogue and the commands cover every kind of child event, with no silent
fallback: a new kind of event fails here until it has its command and its row."""

from __future__ import annotations

import inspect
from dataclasses import fields
from datetime import date

import pytest

from api.catalogue import BY_EVENT, NOT_WRITTEN_HERE, WRITES, WriteKind
from api.permissions import PERMISSIONS
from domain import commands as cmd
from domain import events as ev
from domain.child import ChildRecord


def child_event_kinds() -> list[type[ev.ChildEvent]]:
    return [
        kind
        for kind in vars(ev).values()
        if isinstance(kind, type) and issubclass(kind, ev.ChildEvent) and kind is not ev.ChildEvent
    ]


def test_there_are_kinds_to_check() -> None:
    assert len(child_event_kinds()) >= 40


@pytest.mark.parametrize("kind", child_event_kinds(), ids=lambda k: k.__name__)
def test_every_kind_of_event_has_its_command(kind: type[ev.ChildEvent]) -> None:
    assert (kind in cmd.BY_EVENT) != (kind in cmd.NO_COMMAND), (
        f"{kind.__name__} has no command in domain/commands.py (nor says why in NO_COMMAND)"
    )


@pytest.mark.parametrize("kind", child_event_kinds(), ids=lambda k: k.__name__)
def test_every_kind_of_event_has_a_write_row_or_says_what_records_it(
    kind: type[ev.ChildEvent],
) -> None:
    if kind in cmd.NO_COMMAND:
        return
    assert (kind in BY_EVENT) != (kind in NOT_WRITTEN_HERE), (
        f"{kind.__name__}: add a row to api/catalogue.py WRITES "
        "or say in NOT_WRITTEN_HERE what records it"
    )


@pytest.mark.parametrize("command", list(cmd.COMMANDS.values()), ids=lambda c: c.__name__)
def test_a_commands_fields_are_exactly_its_methods_arguments(
    command: type[cmd.Command],
) -> None:
    method = getattr(ChildRecord, command.runs)
    parameters = inspect.signature(method).parameters
    from_context = {"outcomes"} if command is cmd.HoldDiscussion else set()
    arguments = {
        name
        for name, p in parameters.items()
        if p.kind is inspect.Parameter.KEYWORD_ONLY and name not in from_context
    }
    assert {f.name for f in fields(command)} == arguments


@pytest.mark.parametrize("write", WRITES, ids=lambda w: w.slug)
def test_every_row_names_a_known_permission_and_distinct_texts(write: WriteKind) -> None:
    assert write.action in PERMISSIONS
    assert write.summary
    assert write.description
    assert write.saved
    assert write.summary != write.saved


def test_slugs_paths_and_saved_messages_are_unique() -> None:
    for attribute in ("slug", "path"):
        values = [getattr(w, attribute) for w in WRITES]
        assert len(values) == len(set(values)), attribute


def test_a_row_built_from_a_body_gives_the_command_with_the_bodys_fields() -> None:
    from api.catalogue import BY_SLUG
    from api.schemas import ObservationIn

    body = ObservationIn(
        expected_version=3,
        occurred_at=date(2025, 3, 10),
        area="physical",
        notes="Climbed.",
        observer="KP",
    )
    command = BY_SLUG["observation"].command_for(body, {})
    assert command == cmd.RecordObservation(area="physical", notes="Climbed.", observer="KP")


@pytest.mark.parametrize(
    "kind", [*child_event_kinds(), ev.ChildRegistered], ids=lambda k: k.__name__
)
def test_every_kind_of_event_has_its_report_sentence_and_label(kind: type) -> None:
    """The report describes every kind in words of its own: a kind without them would be
    shown field by field under a made-up title, which no test would notice."""
    from exporters.report import SENTENCES
    from exporters.report_pdf import KIND_LABELS

    if kind in cmd.NO_COMMAND:
        return
    assert kind.__name__ in SENTENCES, f"add {kind.__name__} to exporters/report.py SENTENCES"
    assert kind.__name__ in KIND_LABELS, f"add {kind.__name__} to report_pdf.py KIND_LABELS"
