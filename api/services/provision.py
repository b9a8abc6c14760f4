"""The setting-wide provision map by term (projections/setting_provision.py), over the
children the user may see, at any past date; each child included is logged as read."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from typing import Any

from api.deps import Services, permit, withheld_from
from api.services.children import log_shown, visible_children
from api.users import User
from projections.setting_provision import csv_rows, setting_provision


def provision_by_term(
    svc: Services, user: User, *, as_of: date | None, known_at: datetime | None
) -> dict[str, Any]:
    """Per term: cost by funding source, sessions planned and delivered, fidelity, children,
    and each kind of provision; as the record stood on `as_of`, as known at `known_at`."""
    permit(user, "read.provision_map")
    today = as_of or svc.records.clock().date()
    children = []
    for child in visible_children(svc, user):
        hidden = withheld_from(svc, user, child.id)
        entries = svc.views.admitted(
            child.id, as_of=as_of, known_at=known_at, withhold=hidden.keys()
        )
        if entries:
            children.append((child.id, entries))
    log_shown(svc, user, [child_id for child_id, _ in children], "setting-provision-map")
    found = setting_provision(children, today=today)
    found["setting_id"] = user.setting_id
    return found


def as_csv(found: dict[str, Any]) -> str:
    """The map as CSV (one row per term and provision, and a total row per term)."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(csv_rows(found))
    return out.getvalue()
