"""The admin's pages for people and API clients (issue 19): invite staff and parents (a
parent bound to a child and one of its linked people), change staff roles, revoke users
(their sessions end at once), withdraw invitations, and create and revoke API tokens.

Every page and form needs the `users.manage` permission (admins only: 403 otherwise), and
works only within the admin's own setting. A link or token is shown once, on the page that
made it, and is never logged.
"""

from __future__ import annotations

import re
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from api.deps import Services, ServicesDep, permit
from api.invitations import DAYS
from api.mailer import MailError, send_invitation
from api.users import STAFF_ROLES, UserError
from api.web.forms import FormState, typed
from api.web.render import page
from api.web.session import CheckedForm, Visitor, VisitorDep
from domain import events as ev
from domain.errors import DomainError

router = APIRouter(include_in_schema=False)
ROLE_CHOICES = [
    ("practitioner", "Practitioner (key person)"),
    ("senco", "SENCO"),
    ("admin", "Administrator"),
    ("parent", "Parent or carer"),
]
TOKEN_ROLES = [*ROLE_CHOICES[:3], ("inspector", "Inspector or LA caseworker (reads shares)")]
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{1,60}$")
MAX_NAME = 200


def _admin(who: Visitor) -> None:
    permit(who.user, "users.manage")


def _children(svc: Services, setting_id: str) -> list[tuple[str, str]]:
    """The setting's children, as (id, name) choices."""
    found = []
    for child_id in svc.records.child_ids():
        try:
            child = svc.records.get_child(child_id, read_only=True)
        except DomainError:
            continue
        if child.setting_id == setting_id and not child.restricted:
            found.append((str(child.id), f"{child.given_name} {child.family_name}"))
    return sorted(found, key=lambda pair: pair[1])


def _people(svc: Services, child_id: str) -> list[tuple[str, str]]:
    """The child's linked people, as (person id, 'name (relationship)') choices."""
    people: dict[str, str] = {}
    for event in svc.records.history(UUID(child_id)):
        if isinstance(event, ev.PersonLinked):
            people[event.person_id] = f"{event.name} ({event.relationship})"
    return list(people.items())


@router.get("/admin/users")
def users_page(request: Request, svc: ServicesDep, who: VisitorDep) -> Response:
    """Everyone of the setting: how they sign in, their role, and open invitations."""
    _admin(who)
    users = svc.users.of_setting(who.user.setting_id)
    return page(
        request,
        "admin_users.html",
        {
            "title": "People and accounts",
            "people": [u for u in users if u.login is not None],
            "clients": [u for u in users if u.login is None],
            "invitations": svc.invitations.open_in(who.user.setting_id),
            "staff_roles": [(r, t) for r, t in ROLE_CHOICES if r in STAFF_ROLES],
            "me": who.user.user_id,
            "done": request.query_params.get("done", ""),
        },
    )


def _invite_page(
    request: Request, svc: Services, who: Visitor, form: FormState, *, status: int = 200
) -> Response:
    child_id = form.value("child_id")
    children = _children(svc, who.user.setting_id)
    people = _people(svc, child_id) if child_id in dict(children) else []
    return page(
        request,
        "admin_invite.html",
        {
            "title": "Invite someone",
            "s": form,
            "roles": ROLE_CHOICES,
            "children": children,
            "people": people,
            "days": DAYS,
        },
        status=status,
    )


@router.get("/admin/users/invite")
def invite_form(request: Request, svc: ServicesDep, who: VisitorDep) -> Response:
    _admin(who)
    return _invite_page(request, svc, who, FormState())


@router.post("/admin/users/invite")
def invite(request: Request, svc: ServicesDep, who: VisitorDep, form: CheckedForm) -> Response:
    """Make a one-time link (and email it when SMTP is configured); all problems at once."""
    _admin(who)
    state = FormState(values=typed(form))
    name, email = state.value("name").strip(), state.value("email").strip()
    role, child_id, person_id = (state.value(n) for n in ("role", "child_id", "person_id"))
    if not name:
        state.add("name", "Enter the person's name")
    elif len(name) > MAX_NAME:
        state.add("name", f"Enter a name of at most {MAX_NAME} characters")
    if email and not EMAIL.match(email):
        state.add("email", "Enter an email address like name@example.org, or leave it blank")
    if role not in dict(ROLE_CHOICES):
        state.add("role", "Choose what they will do")
    if role == "parent":
        if child_id not in dict(_children(svc, who.user.setting_id)):
            state.add("child_id", "Choose the parent's child")
        elif person_id not in dict(_people(svc, child_id)):
            state.add("person_id", "Choose which of the child's people this parent is")
    if state.failed:
        return _invite_page(request, svc, who, state, status=422)
    invitation, token = svc.invitations.create(
        name,
        role=role,
        setting_id=who.user.setting_id,
        invited_by=who.user.user_id,
        child_id=child_id or None,
        person_id=person_id or None,
        email=email or None,
    )
    link = str(request.url_for("invitation_form", token=token))
    mailed: str | None = None
    if email and svc.settings.smtp_url:
        try:
            send_invitation(svc.settings.smtp_url, svc.settings.smtp_from, email, name, link)
            mailed = "sent"
        except MailError:
            mailed = "failed"
    return page(
        request,
        "admin_invited.html",
        {"title": "Invitation ready", "invitation": invitation, "link": link, "mailed": mailed},
        status=201,
    )


@router.post("/admin/users/{user_id}/role")
def change_role(svc: ServicesDep, who: VisitorDep, form: CheckedForm, user_id: str) -> Response:
    _admin(who)
    role = form.get("role")
    if user_id == who.user.user_id or not isinstance(role, str):
        return RedirectResponse("/admin/users?done=unchanged", status_code=303)
    try:
        changed = svc.users.set_role(user_id, role, setting_id=who.user.setting_id)
    except UserError:
        changed = False
    return RedirectResponse(
        f"/admin/users?done={'role' if changed else 'unchanged'}", status_code=303
    )


@router.post("/admin/users/{user_id}/revoke")
def revoke(svc: ServicesDep, who: VisitorDep, form: CheckedForm, user_id: str) -> Response:
    """Revoke a user of this setting: their sessions and token stop working at once."""
    _admin(who)
    mine = {u.user_id for u in svc.users.of_setting(who.user.setting_id)}
    done = "unchanged"
    if user_id in mine and user_id != who.user.user_id and svc.users.revoke(user_id):
        done = "revoked"
    back = "/admin/tokens" if form.get("back") == "tokens" else "/admin/users"
    return RedirectResponse(f"{back}?done={done}", status_code=303)


@router.post("/admin/invitations/{invitation_id}/withdraw")
def withdraw(svc: ServicesDep, who: VisitorDep, _form: CheckedForm, invitation_id: str) -> Response:
    _admin(who)
    done = svc.invitations.withdraw(invitation_id, setting_id=who.user.setting_id)
    return RedirectResponse(
        f"/admin/users?done={'withdrawn' if done else 'unchanged'}", status_code=303
    )


def _tokens_page(
    request: Request,
    svc: Services,
    who: Visitor,
    form: FormState,
    *,
    status: int = 200,
    token: str | None = None,
) -> Response:
    users = svc.users.of_setting(who.user.setting_id)
    return page(
        request,
        "admin_tokens.html",
        {
            "title": "API tokens",
            "s": form,
            "roles": TOKEN_ROLES,
            "clients": [u for u in users if u.login is None],
            "token": token,
            "me": who.user.user_id,
            "done": request.query_params.get("done", ""),
        },
        status=status,
    )


@router.get("/admin/tokens")
def tokens_page(request: Request, svc: ServicesDep, who: VisitorDep) -> Response:
    _admin(who)
    return _tokens_page(request, svc, who, FormState())


@router.post("/admin/tokens")
def create_token(
    request: Request, svc: ServicesDep, who: VisitorDep, form: CheckedForm
) -> Response:
    """A new API client and its token, shown on this page once."""
    _admin(who)
    state = FormState(values=typed(form))
    name, role = state.value("name").strip(), state.value("role")
    organisation = state.value("organisation").strip()
    if not name:
        state.add("name", "Enter what the token is for (the client's name)")
    elif len(name) > MAX_NAME:
        state.add("name", f"Enter a name of at most {MAX_NAME} characters")
    if role not in dict(TOKEN_ROLES):
        state.add("role", "Choose what the client may do")
    if role == "inspector" and not organisation:
        state.add("organisation", "Enter the body the record is shared with")
    if state.failed:
        return _tokens_page(request, svc, who, state, status=422)
    _, token = svc.users.add(
        name,
        role=role,
        setting_id=who.user.setting_id,
        organisation=organisation if role == "inspector" else None,
    )
    return _tokens_page(request, svc, who, FormState(), status=201, token=token)
