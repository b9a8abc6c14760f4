"""The inbox: what needs the user's attention across the children they may see
(projections/inbox.py per child), with "since you last looked" taken from the child's own
access log (the user's last read of that record, the inbox's own reads left out). Every
child the inbox names is logged as read (view `inbox`)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from api.deps import Services, permit, withheld_from
from api.services.children import log_shown, visible_children
from api.users import User
from projections.inbox import items_for

VIEWS = ("plan", "provision-map", "ehc-timeline")
NOT_A_LOOK = frozenset({"inbox", "list", "setting-provision-map"})


def inbox(
    svc: Services,
    user: User,
    *,
    soon: int = 30,
    room: str | None = None,
    key_person: str | None = None,
) -> dict[str, Any]:
    """Items by child, most urgent first; a child with nothing to do is left out. `room`
    and `key_person` keep the children the latest placement put there (case aside)."""
    permit(user, "read.dashboard")
    today = svc.records.clock().date()
    found: list[dict[str, Any]] = []
    active = [c for c in visible_children(svc, user) if c.status == "active"]
    rooms = sorted({c.room for c in active if c.room}, key=str.casefold)
    people = sorted({c.key_person for c in active if c.key_person}, key=str.casefold)
    for child in active:
        if not (_same(room, child.room) and _same(key_person, child.key_person)):
            continue
        looks = [
            a.timestamp
            for a in svc.records.accesses(child.id)
            if a.user == user.user_id and a.view not in NOT_A_LOOK
        ]
        hidden = withheld_from(svc, user, child.id).keys()
        entries = svc.views.admitted(child.id, withhold=hidden)
        views = {name: svc.views.view(name, child.id, withhold=hidden) for name in VIEWS}
        items = items_for(
            entries, views, today=today, last_looked=max(looks, default=None), soon=soon
        )
        if items:
            found.append(
                {
                    "child_id": str(child.id),
                    "name": f"{child.given_name} {child.family_name}",
                    "items": [i.row() for i in items],
                }
            )
    found.sort(key=lambda c: (not any(i["urgent"] for i in c["items"]), c["items"][0]["when"]))
    log_shown(svc, user, [UUID(c["child_id"]) for c in found], "inbox")
    return {
        "today": today.isoformat(),
        "children": found,
        "count": sum(len(c["items"]) for c in found),
        "filters": {
            "room": (room or "").strip() or None,
            "key_person": (key_person or "").strip() or None,
        },
        "rooms": rooms,
        "key_people": people,
    }


def _same(wanted: str | None, value: str) -> bool:
    """No filter, or the same name but for case and surrounding space."""
    return not wanted or not wanted.strip() or wanted.strip().casefold() == value.casefold()
