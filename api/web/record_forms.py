"""The quick forms, one per kind of entry: which row of the write catalogue each records
(its input model, permission and saved message, so the rules are the API's, word for
word), its labels, and how its fields become the model's input."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from api import schemas as s
from api.catalogue import BY_SLUG, WRITES, WriteKind
from api.web.forms import filled, lines, whole_numbers
from api.web.generated_forms import FormField, generated
from domain.vocabulary import DISCUSSION_OUTCOMES

Shape = Callable[[Mapping[str, str], str], tuple[dict[str, Any], dict[str, str]]]


@dataclass(frozen=True)
class RecordForm:
    """One page form: how it looks and which API model and route it goes through."""

    write: WriteKind
    title: str
    template: str
    labels: Mapping[str, str]
    shape: Shape
    views: tuple[str, ...] = ()  # what the form reads to offer its choices
    back_to: str = "chronology"  # where a saved entry is shown
    takes_files: bool = False  # a photo or document may be attached (field "photo")
    fields: tuple[FormField, ...] = ()  # a generated form's fields, in order

    @property
    def slug(self) -> str:
        return self.write.slug

    @property
    def model(self) -> type[s.Entry]:
        return self.write.model

    @property
    def action(self) -> str:
        return self.write.action


def _observation(v: Mapping[str, str], _today: str) -> tuple[dict[str, Any], dict[str, str]]:
    data = filled(v, "expected_version", "occurred_at", "area", "notes", "observer")
    return whole_numbers(data, "expected_version"), {}


def _discussion(v: Mapping[str, str], _today: str) -> tuple[dict[str, Any], dict[str, str]]:
    data = filled(
        v,
        "expected_version",
        "occurred_at",
        "outcome",
        "hypothesis",
        "evidence_needed",
        "key_person_view",
        "senco_view",
    )
    data["participants"] = lines(v.get("participants", ""))
    data["actions"] = lines(v.get("actions", ""))
    return whole_numbers(data, "expected_version"), {}


def _session(v: Mapping[str, str], _today: str) -> tuple[dict[str, Any], dict[str, str]]:
    delivered = v.get("delivered")
    # Only the fields of the choice made count: a reason typed before choosing
    # "delivered" (or minutes before "missed") is not part of what was submitted.
    kept = ("minutes", "notes") if delivered == "yes" else ("reason",) if delivered else ()
    data = filled(v, "expected_version", "provision_id", *kept)
    if v.get("session_date", "").strip():
        data["session_date"] = data["occurred_at"] = v["session_date"].strip()
    if delivered in ("yes", "no"):
        data["delivered"] = delivered == "yes"
    return whole_numbers(data, "expected_version", "minutes"), {"occurred_at": "session_date"}


def _rows(
    v: Mapping[str, str], group: str, key: str, choice: str
) -> tuple[list[dict[str, str]], dict[str, str]]:
    """The filled rows of a table of choices (one per outcome or provision); `where` maps
    a kept row's position back to its row on the form."""
    rows: list[dict[str, str]] = []
    where: dict[str, str] = {}
    for i in range(50):
        if f"{group}.{i}.{key}" not in v:
            break
        if not v.get(f"{group}.{i}.{choice}", "").strip():
            continue  # left as "not assessed"
        for part in (key, choice, "note"):
            where[f"{group}.{len(rows)}.{part}"] = f"{group}.{i}.{part}"
        rows.append({part: v.get(f"{group}.{i}.{part}", "") for part in (key, choice, "note")})
    return rows, where


def _review(v: Mapping[str, str], _today: str) -> tuple[dict[str, Any], dict[str, str]]:
    data = filled(
        v,
        "expected_version",
        "occurred_at",
        "plan_id",
        "reflection",
        "decision",
        "next_review_date",
    )
    data["attendees"] = lines(v.get("attendees", ""))
    data["outcome_progress"], where = _rows(v, "outcome_progress", "outcome_id", "progress")
    data["provision_impact"], more = _rows(v, "provision_impact", "provision_id", "impact")
    return whole_numbers(data, "expected_version"), {**where, **more}


def _parent_view(v: Mapping[str, str], _today: str) -> tuple[dict[str, Any], dict[str, str]]:
    data = filled(v, "expected_version", "occurred_at", "person_id", "view")
    return whole_numbers(data, "expected_version"), {}


def _dispute(v: Mapping[str, str], today: str) -> tuple[dict[str, Any], dict[str, str]]:
    # A dispute happens when the parent writes it: the date is today's, not typed.
    data = filled(v, "expected_version", "target_version", "person_id", "comment")
    data["occurred_at"] = today
    return whole_numbers(data, "expected_version", "target_version"), {}


WHEN = {"occurred_at": "Date it happened"}
FORMS: dict[str, RecordForm] = {
    f.slug: f
    for f in (
        RecordForm(
            BY_SLUG["observation"],
            "Record an observation",
            "form_observation.html",
            {
                **WHEN,
                "area": "Area of learning",
                "notes": "What you saw",
                "observer": "Observer",
                "photo": "Photo or document",
            },
            _observation,
            takes_files=True,
        ),
        RecordForm(
            BY_SLUG["discussion"],
            "Record a discussion outcome",
            "form_discussion.html",
            {
                **WHEN,
                "participants": "Who took part",
                "outcome": "Outcome",
                "hypothesis": "Hypothesis",
                "evidence_needed": "Evidence still needed",
                "actions": "Actions",
                "key_person_view": "Key person's view",
                "senco_view": "SENCO's view",
                "different_views": "the outcome Different views",
            },
            _discussion,
        ),
        RecordForm(
            BY_SLUG["session"],
            "Record a session delivered or missed",
            "form_session.html",
            {
                "session_date": "Date of the session",
                "provision_id": "Provision",
                "delivered": "Delivered or missed",
                "minutes": "Minutes",
                "notes": "Notes",
                "reason": "Reason it was missed",
            },
            _session,
            views=("provision-map",),
        ),
        RecordForm(
            BY_SLUG["review"],
            "Record a review",
            "form_review.html",
            {
                "occurred_at": "Date of the review",
                "plan_id": "Plan",
                "reflection": "Reflection",
                "decision": "Decision",
                "next_review_date": "Next review date",
                "attendees": "Who attended",
            },
            _review,
            views=("plan", "provision-map"),
            back_to="",
        ),
        RecordForm(
            BY_SLUG["parent-view"],
            "Add a parent's view",
            "form_parent_view.html",
            {
                **WHEN,
                "person_id": "Whose view this is",
                "view": "The view, in their own words",
                "photo": "Photo or document",
            },
            _parent_view,
            views=("plan",),
            takes_files=True,
        ),
        RecordForm(
            BY_SLUG["dispute"],
            "Disagree with an entry",
            "form_dispute.html",
            {"target_version": "Entry", "person_id": "Who disagrees", "comment": "Your comment"},
            _dispute,
            views=("chronology", "plan", "provision-map"),
        ),
    )
}


# Statements about the record's own keeping, not evidence: no file is attached to them.
NO_FILES = frozenset({"correction", "mistake", "share", "share-withdrawal", "consent-withdrawal"})


# The view a generated form reads to offer the record's own choices for a path id.
PATH_VIEWS = {"plan_id": "plan", "provision_id": "provision-map", "consent_id": "plan"}


def _generated(write: WriteKind) -> RecordForm:
    form = generated(write)
    labels = {**form.labels, "photo": "Photo or document"}
    return RecordForm(
        write,
        write.summary,
        "form_generic.html",
        labels,
        form.shape,
        views=tuple(v for p, v in PATH_VIEWS.items() if p in write.path_params),
        takes_files=write.slug not in NO_FILES,
        fields=form.fields,
    )


FORMS.update({w.slug: _generated(w) for w in WRITES if w.slug not in FORMS})


def outcomes(extra: Mapping[str, str]) -> list[tuple[str, str]]:
    """The four discussion outcomes, and any the setting added."""
    return list(DISCUSSION_OUTCOMES.extended(extra).terms.items())
