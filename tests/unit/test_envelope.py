"""EnvelopeDraft.seal: how 'when', 'who' and 'on what basis' are validated and normalised.

Also: refusals never echo the offending value, in the envelope or in any command, since
values can be personal data and error messages end up in logs and HTTP bodies.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest

from domain import commands as cmd
from domain.application import ChildRecords
from domain.envelope import MAX_ATTACHMENTS, Envelope, EnvelopeDraft, RecordedBy
from domain.errors import DomainError, FutureDate, InvalidValue
from tests.factories import (
    NOW,
    PARENT,
    SENCO,
    SETTING,
    TODAY,
    ChildBuilder,
    commanding,
    on,
    register,
)

SKEW = timedelta(minutes=5)
TOKYO = timezone(timedelta(hours=9))
NEW_YORK = timezone(timedelta(hours=-5))
DIGEST = "0123456789abcdef" * 4
MARKER = "ZZ-MARKER-42"


def seal(draft: EnvelopeDraft, *, skew: timedelta = SKEW) -> Envelope:
    return draft.seal(now=NOW, skew=skew)


def refused(draft: EnvelopeDraft) -> InvalidValue:
    with pytest.raises(InvalidValue) as caught:
        seal(draft)
    return caught.value


# --- when --------------------------------------------------------------------------------


def test_given_a_date_when_sealed_then_midnight_utc_with_day_precision() -> None:
    envelope = seal(EnvelopeDraft(date(2025, 2, 3), SENCO))
    assert envelope.occurred_at == datetime(2025, 2, 3, 0, 0, tzinfo=UTC)
    assert envelope.occurred_at.utcoffset() == timedelta(0)
    assert envelope.precision == "day"
    assert envelope.occurred_on == date(2025, 2, 3)


def test_given_an_aware_datetime_in_another_zone_when_sealed_then_utc_with_minute_precision() -> (
    None
):
    envelope = seal(EnvelopeDraft(datetime(2025, 2, 3, 9, 15, tzinfo=TOKYO), SENCO))
    assert envelope.occurred_at == datetime(2025, 2, 3, 0, 15, tzinfo=UTC)
    assert envelope.occurred_at.tzinfo is UTC
    assert envelope.precision == "minute"


def test_given_a_zone_behind_utc_when_sealed_then_the_utc_day_can_be_the_next_day() -> None:
    envelope = seal(EnvelopeDraft(datetime(2025, 2, 3, 21, 0, tzinfo=NEW_YORK), SENCO))
    assert envelope.occurred_at == datetime(2025, 2, 4, 2, 0, tzinfo=UTC)
    assert envelope.occurred_on == date(2025, 2, 4)


def test_given_explicit_day_precision_when_sealed_then_the_time_is_truncated() -> None:
    draft = EnvelopeDraft(datetime(2025, 2, 3, 15, 37, 12, 5, tzinfo=UTC), SENCO, precision="day")
    envelope = seal(draft)
    assert envelope.occurred_at == datetime(2025, 2, 3, 0, 0, tzinfo=UTC)
    assert envelope.precision == "day"


def test_given_explicit_day_precision_in_another_zone_when_sealed_then_the_utc_day_is_kept() -> (
    None
):
    draft = EnvelopeDraft(datetime(2025, 2, 4, 1, 30, tzinfo=TOKYO), SENCO, precision="day")
    assert seal(draft).occurred_at == datetime(2025, 2, 3, 0, 0, tzinfo=UTC)


def test_given_a_date_with_explicit_minute_precision_when_sealed_then_midnight_minute() -> None:
    envelope = seal(EnvelopeDraft(date(2025, 2, 3), SENCO, precision="minute"))
    assert envelope.occurred_at == datetime(2025, 2, 3, 0, 0, tzinfo=UTC)
    assert envelope.precision == "minute"


def test_given_a_naive_datetime_when_sealed_then_invalid_value_on_occurred_at() -> None:
    err = refused(EnvelopeDraft(datetime(2025, 2, 3, 9, 15), SENCO))
    assert type(err) is InvalidValue
    assert err.field == "occurred_at"


@pytest.mark.parametrize(
    ("occurred_at", "precision", "skew"),
    [
        pytest.param(NOW, None, SKEW, id="now"),
        pytest.param(NOW + SKEW, None, SKEW, id="exactly-at-the-skew"),
        pytest.param((NOW + SKEW).astimezone(TOKYO), None, SKEW, id="at-the-skew-in-tokyo"),
        pytest.param(TODAY, None, SKEW, id="today-as-a-date"),
        pytest.param(NOW + timedelta(hours=6), "day", SKEW, id="later-today-to-the-day"),
        pytest.param(NOW, None, timedelta(0), id="now-without-skew"),
    ],
)
def test_given_a_time_not_beyond_the_skew_when_sealed_then_accepted(
    occurred_at: date | datetime, precision: str | None, skew: timedelta
) -> None:
    envelope = seal(EnvelopeDraft(occurred_at, SENCO, precision=precision), skew=skew)
    assert envelope.occurred_at <= NOW + skew


@pytest.mark.parametrize(
    ("occurred_at", "precision", "skew"),
    [
        pytest.param(NOW + SKEW + timedelta(microseconds=1), None, SKEW, id="just-past-skew"),
        pytest.param(
            (NOW + timedelta(minutes=6)).astimezone(NEW_YORK),
            None,
            SKEW,
            id="past-skew-in-new-york",
        ),
        pytest.param(NOW + timedelta(seconds=1), None, timedelta(0), id="no-skew-allowed"),
        pytest.param(TODAY + timedelta(days=1), None, SKEW, id="tomorrow-as-a-date"),
        pytest.param(NOW + timedelta(hours=12), "day", SKEW, id="tomorrow-to-the-day"),
    ],
)
def test_given_a_time_beyond_the_skew_when_sealed_then_future_date_on_occurred_at(
    occurred_at: date | datetime, precision: str | None, skew: timedelta
) -> None:
    with pytest.raises(FutureDate) as caught:
        seal(EnvelopeDraft(occurred_at, SENCO, precision=precision), skew=skew)
    assert caught.value.field == "occurred_at"


# --- who and on what basis -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("draft", "field"),
    [
        pytest.param(EnvelopeDraft(TODAY, SENCO, basis="gossip"), "basis", id="basis"),
        pytest.param(
            EnvelopeDraft(TODAY, SENCO, sensitivity="secret"), "sensitivity", id="sensitivity"
        ),
        pytest.param(
            EnvelopeDraft(TODAY, RecordedBy("u-1", "headteacher", SETTING)),
            "recorded_by.role",
            id="role",
        ),
        pytest.param(EnvelopeDraft(TODAY, SENCO, precision="second"), "precision", id="precision"),
        pytest.param(
            EnvelopeDraft(TODAY, RecordedBy("", "senco", SETTING)),
            "recorded_by.user",
            id="empty-user",
        ),
        pytest.param(
            EnvelopeDraft(TODAY, RecordedBy("u" * 101, "senco", SETTING)),
            "recorded_by.user",
            id="long-user",
        ),
        pytest.param(
            EnvelopeDraft(TODAY, RecordedBy("u-1", "senco", "")),
            "recorded_by.setting",
            id="empty-setting",
        ),
        pytest.param(
            EnvelopeDraft(TODAY, RecordedBy("u-1", "senco", "s" * 101)),
            "recorded_by.setting",
            id="long-setting",
        ),
    ],
)
def test_given_a_value_outside_its_rule_when_sealed_then_invalid_value_naming_the_field(
    draft: EnvelopeDraft, field: str
) -> None:
    err = refused(draft)
    assert type(err) is InvalidValue
    assert err.field == field


@pytest.mark.parametrize(
    "basis", ["fact", "professional_opinion", "parent_view", "child_voice", "third_party_report"]
)
def test_given_each_basis_of_the_vocabulary_when_sealed_then_kept(basis: str) -> None:
    assert seal(EnvelopeDraft(TODAY, SENCO, basis=basis)).basis == basis


def test_given_a_full_draft_when_sealed_then_who_and_how_are_kept() -> None:
    by = RecordedBy("u" * 100, "parent", "s" * 100)
    envelope = seal(EnvelopeDraft(TODAY, by, basis="parent_view", sensitivity="restricted"))
    assert envelope.recorded_by == by
    assert (envelope.basis, envelope.sensitivity) == ("parent_view", "restricted")
    assert set(envelope.as_fields()) == {
        "occurred_at",
        "precision",
        "recorded_by",
        "basis",
        "sensitivity",
        "attachments",
    }


# --- attachments ---------------------------------------------------------------------------


def test_given_lower_case_sha256_digests_when_sealed_then_kept_in_a_copy() -> None:
    attachments = [DIGEST, "f" * 64]
    envelope = seal(EnvelopeDraft(TODAY, SENCO, attachments=attachments))
    assert envelope.attachments == [DIGEST, "f" * 64]
    attachments.append("0" * 64)
    assert len(envelope.attachments) == 2


def test_given_the_most_attachments_allowed_when_sealed_then_accepted() -> None:
    envelope = seal(EnvelopeDraft(TODAY, SENCO, attachments=[DIGEST] * MAX_ATTACHMENTS))
    assert len(envelope.attachments) == MAX_ATTACHMENTS


@pytest.mark.parametrize(
    "attachments",
    [
        pytest.param([DIGEST.upper()], id="upper-case"),
        pytest.param([DIGEST[:-1]], id="63-chars"),
        pytest.param([DIGEST + "0"], id="65-chars"),
        pytest.param([DIGEST[:-1] + "g"], id="not-hex"),
        pytest.param([" " + DIGEST[1:]], id="space"),
        pytest.param([""], id="empty"),
        pytest.param([DIGEST, "x"], id="second-bad"),
        pytest.param([DIGEST] * (MAX_ATTACHMENTS + 1), id="too-many"),
    ],
)
def test_given_an_attachment_that_is_not_a_lower_case_sha256_then_invalid_value(
    attachments: list[str],
) -> None:
    err = refused(EnvelopeDraft(TODAY, SENCO, attachments=attachments))
    assert err.field == "attachments"


def test_given_a_bad_attachment_when_a_command_runs_then_nothing_is_stored(
    memory_records: ChildRecords,
) -> None:
    child = register(memory_records)
    with pytest.raises(InvalidValue) as caught:
        memory_records.handle(
            child.child_id,
            cmd.RecordChildView(view="I like the sandpit", method="Talking"),
            EnvelopeDraft(TODAY, SENCO, attachments=["A" * 64]),
        )
    assert caught.value.field == "attachments"
    assert len(memory_records.history(child.child_id)) == 1


# --- refusals never echo the value ---------------------------------------------------------


@pytest.mark.parametrize(
    "draft",
    [
        pytest.param(EnvelopeDraft(TODAY, SENCO, basis=MARKER), id="basis"),
        pytest.param(EnvelopeDraft(TODAY, SENCO, sensitivity=MARKER), id="sensitivity"),
        pytest.param(EnvelopeDraft(TODAY, SENCO, precision=MARKER), id="precision"),
        pytest.param(EnvelopeDraft(TODAY, RecordedBy("u", MARKER, SETTING)), id="role"),
        pytest.param(EnvelopeDraft(TODAY, RecordedBy(MARKER * 9, "senco", SETTING)), id="user"),
        pytest.param(EnvelopeDraft(TODAY, RecordedBy("u", "senco", MARKER * 9)), id="setting"),
        pytest.param(EnvelopeDraft(TODAY, SENCO, attachments=[MARKER]), id="attachment"),
    ],
)
def test_given_a_marked_envelope_value_when_refused_then_the_message_omits_it(
    draft: EnvelopeDraft,
) -> None:
    err = refused(draft)
    assert MARKER not in str(err)
    assert MARKER not in err.message


Command = Callable[[ChildRecords, ChildBuilder], object]


def _observation(
    notes: str = "Fine", observer: str = "Key person", area: str = "general"
) -> Command:
    def run(app: ChildRecords, child: ChildBuilder) -> object:
        return app.handle(
            child.child_id,
            cmd.RecordObservation(area=area, notes=notes, observer=observer),
            on(TODAY),
        )

    return run


def _command(kind: type[cmd.Command], by: RecordedBy = SENCO, **payload: Any) -> Command:
    def run(app: ChildRecords, child: ChildBuilder) -> object:
        return commanding(app, kind)(child.child_id, on(TODAY, by), **payload)

    return run


def _register(**overrides: Any) -> Command:
    def run(app: ChildRecords, child: ChildBuilder) -> object:
        values: dict[str, Any] = {
            "given_name": "Ada",
            "family_name": "Example",
            "date_of_birth": date(2023, 3, 1),
            "setting_id": SETTING,
            **overrides,
        }
        return app.register(cmd.RegisterChild(**values), on(TODAY))

    return run


MARKED_COMMANDS = [
    pytest.param(_observation(notes=MARKER * 1000), "notes", id="long-notes"),
    pytest.param(_observation(observer=MARKER * 20), "observer", id="long-observer"),
    pytest.param(_observation(area=MARKER), "area", id="area-vocabulary"),
    pytest.param(
        _command(
            cmd.RaiseConcern,
            concern_id=MARKER + "!",
            areas=["general"],
            level="low",
            description="d",
        ),
        "concern_id",
        id="bad-id",
    ),
    pytest.param(
        _command(
            cmd.ChangeSenStatus, status="K", need_codes=[MARKER], primary_need=MARKER, reason=""
        ),
        "need_codes",
        id="need-code",
    ),
    pytest.param(
        _command(
            cmd.HoldDiscussion,
            participants=["KP"],
            outcome=MARKER,
            hypothesis="h",
            evidence_needed="",
            actions=[],
        ),
        "outcome",
        id="discussion-outcome",
    ),
    pytest.param(
        _command(
            cmd.StartProvision,
            provision_id="p-1",
            description="d",
            area="general",
            start_date=TODAY,
            group_size=1,
            session_minutes=1,
            sessions_per_week=1,
            weeks=1,
            staff_grade="teacher",
            cost=MARKER,
            funding_source="core",
        ),
        "cost",
        id="money",
    ),
    pytest.param(
        _command(
            cmd.GiveConsent,
            PARENT,
            consent_id="c-1",
            purpose="photographs",
            service="",
            given_by=MARKER,
        ),
        "given_by",
        id="unknown-person",
    ),
    pytest.param(
        _command(cmd.WithdrawConsent, PARENT, consent_id=MARKER, withdrawn_by="parent-1"),
        "consent_id",
        id="unknown-consent",
    ),
    pytest.param(
        _command(
            cmd.MakeReferral, referral_id="r-1", service="SALT", reason="r", consent_id=MARKER
        ),
        "consent_id",
        id="referral-consent",
    ),
    pytest.param(
        _command(
            cmd.RevisePlan,
            plan_id=MARKER,
            review_date=TODAY,
            outcomes=[],
            provision_ids=[],
            reason="r",
        ),
        "plan_id",
        id="unknown-plan",
    ),
    pytest.param(
        _command(
            cmd.ActionRecommendation,
            report_id=MARKER,
            recommendation_id="r1",
            action="actioned",
            detail="d",
        ),
        "report_id",
        id="unknown-report",
    ),
    pytest.param(_command(cmd.Transfer, to_setting=SETTING), "to_setting", id="same-setting"),
    pytest.param(_register(given_name=MARKER * 20), "given_name", id="register-long-name"),
]


@pytest.mark.parametrize(("command", "field"), MARKED_COMMANDS)
def test_given_a_marked_value_when_a_command_is_refused_then_the_message_omits_it(
    memory_records: ChildRecords, command: Command, field: str
) -> None:
    child = register(memory_records)
    child.do(
        cmd.LinkPerson,
        TODAY,
        person_id="parent-1",
        name=MARKER,
        relationship="mother",
        parental_responsibility=True,
    )
    with pytest.raises(DomainError) as caught:
        command(memory_records, child)
    err = caught.value
    assert err.field == field
    assert MARKER not in str(err)
    assert MARKER not in err.message


def test_given_a_marked_unknown_change_key_when_refused_then_the_message_omits_it(
    memory_records: ChildRecords,
) -> None:
    child = register(memory_records)
    child.do(
        cmd.StartProvision,
        TODAY,
        provision_id="p-1",
        description="d",
        area="general",
        start_date=TODAY,
        group_size=1,
        session_minutes=1,
        sessions_per_week=1,
        weeks=1,
        staff_grade="teacher",
        cost="1",
        funding_source="core",
    )
    with pytest.raises(InvalidValue) as caught:
        memory_records.handle(
            child.child_id,
            cmd.ChangeProvision(provision_id="p-1", changes={MARKER: 1}, reason="r"),
            on(TODAY),
        )
    assert caught.value.field == "changes"
    assert MARKER not in str(caught.value)
