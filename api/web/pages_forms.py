"""The quick forms' pages: GET shows the form, POST validates and records, or shows the
form again with everything typed and each problem beside its field (nothing stored)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile as StarletteUpload

from api.deps import Services, ServicesDep, permit, visible_child
from api.documents_access import store_upload
from api.permissions import allows
from api.services.recording import record as record_entry
from api.web.forms import MAX_KEPT, FormState, refused, typed, validate
from api.web.reads import Times, read, summary_read
from api.web.record_forms import FORMS, RecordForm, outcomes
from api.web.render import page
from api.web.session import CheckedForm, Visitor, VisitorDep
from domain.child import ChildRecord
from domain.errors import ChildNotFound, DomainError
from domain.vocabulary import AREAS, IMPACT, PROGRESS, REVIEW_DECISIONS
from exporters.report import readable_chronology
from projections.wording import format_day

router = APIRouter(include_in_schema=False)
# The parts of the record a kind of entry belongs to, by the first part of its API path.
SECTIONS = {
    "observations": "What was seen",
    "tracking": "What was seen",
    "progress-checks": "What was seen",
    "attendance": "What was seen",
    "concerns": "Concerns and discussions",
    "discussions": "Concerns and discussions",
    "parent-notifications": "SEN support",
    "sen-status": "SEN support",
    "plans": "SEN support",
    "provisions": "Provision",
    "sessions": "Provision",
    "reviews": "SEN support",
    "consents": "People and consent",
    "people": "People and consent",
    "shares": "People and consent",
    "referrals": "Outside advice",
    "professional-contacts": "Outside advice",
    "reports": "Outside advice",
    "parent-views": "Voices",
    "child-views": "Voices",
    "enrolments": "Where the child is",
    "transfers": "Where the child is",
    "leaving": "Where the child is",
    "ehc": "EHC needs assessment",
    "corrections": "About an earlier entry",
    "mistakes": "About an earlier entry",
    "disputes": "About an earlier entry",
}
OBSERVER = {"practitioner": "Key person", "senco": "SENCO", "admin": "Setting administrator"}


def _spec(slug: str) -> RecordForm:
    spec = FORMS.get(slug)
    if spec is None:
        raise HTTPException(404)
    return spec


def _people(plan: dict[str, Any]) -> list[tuple[str, str]]:
    return [(p["person_id"], f"{p['name']} ({p['relationship']})") for p in plan["people"]]


def _choices(
    spec: RecordForm, svc: Services, views: dict[str, dict[str, Any]], target: str
) -> dict[str, Any]:
    """What the form offers to choose from, and labels for rows that depend on the record."""
    found: dict[str, Any] = {"row_labels": {}, "path_choices": _path_choices(spec, views)}
    if spec.slug == "observation":
        found["areas"] = list(AREAS.terms.items())
    elif spec.slug == "discussion":
        found["outcomes"] = outcomes(svc.settings.extra_discussion_outcomes)
    elif spec.slug == "session":
        found["provisions"] = [
            (r["provision_id"], r["description"])
            for r in views["provision-map"]["provisions"]
            if r["end_date"] is None
        ]
    elif spec.slug == "review":
        found |= _review_choices(views)
    elif spec.slug in ("parent-view", "dispute"):
        found["people"] = _people(views["plan"])
    if spec.slug == "dispute":
        rows = {str(r["entry"]["version"]): r for r in readable_chronology(views)}
        found["target"] = rows.get(target)
    return found


def _path_choices(
    spec: RecordForm, views: dict[str, dict[str, Any]]
) -> dict[str, list[tuple[str, str]]]:
    """The record's own plans, provisions and consents, to choose the one an entry is
    about (a generated form's path ids) by what people know them by."""
    found: dict[str, list[tuple[str, str]]] = {}
    plan = views.get("plan", {})
    if "plan_id" in spec.write.path_params and plan.get("plan"):
        current = plan["plan"]
        found["plan_id"] = [
            (current["plan_id"], f"The support plan from {format_day(current['start_date'])}")
        ]
    if "provision_id" in spec.write.path_params and "provision-map" in views:
        found["provision_id"] = [
            (r["provision_id"], str(r["description"]))
            for r in views["provision-map"]["provisions"]
            if r["end_date"] is None
        ]
    if "consent_id" in spec.write.path_params and plan:
        found["consent_id"] = [
            (
                c["consent_id"],
                str(c["purpose"]).replace("_", " ")
                + (f" ({c['service']})" if c.get("service") else ""),
            )
            for c in plan.get("consents_in_force", [])
        ]
    return found


def _review_choices(views: dict[str, dict[str, Any]]) -> dict[str, Any]:
    plan = views["plan"]["plan"]
    names = {r["provision_id"]: r["description"] for r in views["provision-map"]["provisions"]}
    provisions = [(p, names.get(p, p)) for p in (plan["provision_ids"] if plan else [])]
    labels: dict[str, str] = {}
    for i, o in enumerate(plan["outcomes"] if plan else []):
        labels[f"outcome_progress.{i}.progress"] = f"Progress towards: {o['description']}"
        labels[f"outcome_progress.{i}.note"] = f"Note on: {o['description']}"
    for i, (_, name) in enumerate(provisions):
        labels[f"provision_impact.{i}.impact"] = f"Impact of: {name}"
        labels[f"provision_impact.{i}.note"] = f"Note on: {name}"
    return {
        "plan": plan,
        "review_provisions": provisions,
        "progress": list(PROGRESS.terms.items()),
        "impact": list(IMPACT.terms.items()),
        "decisions": list(REVIEW_DECISIONS.terms.items()),
        "row_labels": labels,
    }


def _defaults(
    spec: RecordForm, who: Visitor, child: ChildRecord, choices: dict[str, Any], today: str
) -> dict[str, str]:
    values = {"expected_version": str(child.version), "occurred_at": today}
    if spec.slug == "observation":
        values["observer"] = OBSERVER.get(who.role, "")
    elif spec.slug == "discussion":
        values["participants"] = "Key person\nSENCO"
    elif spec.slug == "session":
        values["session_date"] = today
        if len(choices["provisions"]) == 1:
            values["provision_id"] = choices["provisions"][0][0]
    elif spec.slug == "review" and choices["plan"]:
        values["plan_id"] = choices["plan"]["plan_id"]
    if len(choices.get("people", [])) == 1:
        values["person_id"] = choices["people"][0][0]
    return values


def _form_page(
    request: Request,
    svc: Services,
    who: Visitor,
    child_id: UUID,
    spec: RecordForm,
    state: FormState | None,
    *,
    status: int = 200,
) -> Response:
    """Read what the form needs (logged as reads), then show it."""
    target = state.value("target_version") if state else request.query_params.get("entry", "")
    if spec.views:
        child, views = read(svc, who.user, child_id, spec.views, Times())
    else:
        child, views = summary_read(svc, who.user, child_id), {}
    permit(who.user, spec.action)
    choices = _choices(spec, svc, views, target)
    if who.role == "parent" and "people" in choices:
        # A parent writes as the linked person their account is bound to, and no other.
        choices["people"] = [p for p in choices["people"] if p[0] == who.user.person_id]
    today = svc.records.clock().date().isoformat()
    if state is None:
        state = FormState(values=_defaults(spec, who, child, choices, today))
        for name, value in request.query_params.items():  # pre-filled by a link
            if name in spec.labels and name not in ("expected_version", "photo"):
                state.values[name] = value[:MAX_KEPT]
        for name in ("target_version", "supersedes"):  # the entry a mark is about
            if name in spec.model.model_fields and target.isdigit():
                state.values[name] = target
    return page(
        request,
        spec.template,
        {
            "title": spec.title,
            "spec": spec,
            "L": spec.labels,
            "child": child,
            "child_id": str(child_id),
            "child_name": f"{child.given_name} {child.family_name}",
            "s": state,
            **choices,
        },
        status=status,
    )


@router.get("/children/{child_id}/record")
def forms(child_id: UUID, request: Request, svc: ServicesDep, who: VisitorDep) -> Response:
    """Every kind of entry your role may record on this child, by part of the record."""
    child = visible_child(svc, who.user, child_id)
    groups: dict[str, list[RecordForm]] = {}
    for spec in FORMS.values():
        if allows(who.role, spec.action):
            groups.setdefault(SECTIONS.get(spec.write.path.split("/")[0], "Other"), []).append(spec)
    return page(
        request,
        "record_index.html",
        {
            "title": "Add to the record",
            "child": child,
            "child_id": str(child_id),
            "child_name": f"{child.given_name} {child.family_name}",
            "groups": groups,
        },
    )


@router.get("/children/{child_id}/record/{slug}")
def form(
    child_id: UUID, slug: str, request: Request, svc: ServicesDep, who: VisitorDep
) -> Response:
    """An empty form (dated today), for a child you may see and a kind your role records."""
    return _form_page(request, svc, who, child_id, _spec(slug), None)


@router.post("/children/{child_id}/record/{slug}")
def record(
    child_id: UUID,
    slug: str,
    request: Request,
    svc: ServicesDep,
    who: VisitorDep,
    posted: CheckedForm,
) -> Response:
    """Validate with the API's model, record through the one write service, redirect."""
    spec = _spec(slug)
    child = visible_child(svc, who.user, child_id)  # 404 before 403, exactly as the API
    permit(who.user, spec.action)
    state = FormState(values=typed(posted))
    data, where = spec.shape(state.values, svc.records.clock().date().isoformat())
    labels = {**spec.labels, **_row_labels(spec, svc, child_id)}
    body = validate(spec.model, data, state, labels, where)
    for name in spec.write.path_params:
        if not state.value(name).strip():
            state.add(name, f"Enter {labels.get(name, name).lower()}")
    if body is not None and not state.failed:
        new_file = None
        try:
            if spec.takes_files:
                body, new_file = _with_file(posted.get("photo"), body, svc, child_id)
            created = record_entry(
                svc, who.user, child, spec.write, body, path_args=_path_args(spec, state)
            )
        except ChildNotFound:
            raise
        except DomainError as error:
            if new_file is not None:  # stored for this entry alone, which was refused
                svc.documents.delete(child_id, new_file)
            refused(error, state, labels, {**(where or {}), "file": "photo"})
    if state.failed or body is None:
        if state.conflict is not None:
            # Saving again means: "I have seen that the record moved on".
            state.values["expected_version"] = str(state.conflict)
        status = 409 if state.conflict is not None else 422
        return _form_page(request, svc, who, child_id, spec, state, status=status)
    back = f"/{spec.back_to}" if spec.back_to else ""
    return RedirectResponse(
        f"/children/{child_id}{back}?saved={spec.slug}&v={created.version}", status_code=303
    )


def _path_args(spec: RecordForm, state: FormState) -> dict[str, str]:
    """The ids the API takes in its path (which plan, which provision), as typed."""
    return {name: state.value(name).strip() for name in spec.write.path_params}


def _with_file(sent: object, body: Any, svc: Services, child_id: UUID) -> tuple[Any, str | None]:
    """The entry with the chosen file attached (stored first, checked like an API upload),
    and the digest if this stored it anew (to delete should the entry be refused)."""
    if not isinstance(sent, StarletteUpload) or not sent.filename:
        return body, None
    document, anew = store_upload(svc, child_id, sent.file, sent.filename)
    attached = [*body.attachments, document.sha256]
    return body.model_copy(update={"attachments": attached}), document.sha256 if anew else None


def _row_labels(spec: RecordForm, svc: Services, child_id: UUID) -> dict[str, str]:
    """A review's per-outcome and per-provision fields are named after the plan's rows."""
    if spec.slug != "review":
        return {}
    views = {n: svc.views.view(n, child_id) for n in ("plan", "provision-map")}
    labels: dict[str, str] = _review_choices(views)["row_labels"]
    return labels
