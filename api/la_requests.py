"""LA readiness and pre-filled requests for one child: what the CLI and the HTTP API share.

Profiles are read from the settings' folders on every call, so a profile dropped into the
setting's folder is used at once, without a restart.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from datetime import date, datetime
from typing import Any
from uuid import UUID

from api.bootstrap import LaRequest
from api.settings import Settings
from exporters.bundle import epoch_of
from exporters.la_document import TRIBUNAL_PAGES, RequestDocument, request_document
from projections.la_profile import LoadedProfile, find_profile, scan_profiles
from projections.la_readiness import la_readiness
from projections.la_request import fill_request
from projections.views import ChildViews


def profile(settings: Settings, profile_id: str) -> LoadedProfile:
    """The named profile (UnknownProfile, or the ProfileError of its broken file)."""
    return find_profile(settings.la_profile_dirs, profile_id)


def choices(settings: Settings) -> list[tuple[str, str]]:
    """(id, name) of every LA profile in use, read afresh (a dropped-in file shows at once)."""
    scanned = scan_profiles(settings.la_profile_dirs)
    return [(p.profile.id, p.profile.name) for p in scanned.profiles.values()]


def page_budget(loaded: LoadedProfile, pages: int | None, tribunal: bool) -> int | None:
    """Pages asked for, else the tribunal's limit, else the profile's own, else none."""
    if pages is not None:
        return pages
    return TRIBUNAL_PAGES if tribunal else loaded.profile.page_budget


def la_request(
    loaded: LoadedProfile, pages: int | None = None, tribunal: bool = False
) -> LaRequest:
    """What an export needs to add this LA's request to a bundle."""
    return LaRequest(loaded, page_budget(loaded, pages, tribunal), tribunal)


def _day(views: ChildViews, as_of: date | None) -> date:
    return as_of or views.records.clock().date()


def readiness(
    views: ChildViews,
    child_id: UUID,
    loaded: LoadedProfile,
    *,
    as_of: date | None = None,
    known_at: datetime | None = None,
    withhold: AbstractSet[int] = frozenset(),
) -> dict[str, Any]:
    """The profile's expectations for the child at (as_of, known_at), less `withhold`."""
    entries = views.admitted(child_id, as_of=as_of, known_at=known_at, withhold=withhold)
    return {
        "child_id": str(child_id),
        "known_at": known_at.isoformat() if known_at else None,
        **la_readiness(entries, loaded, today=_day(views, as_of)),
    }


def request(
    views: ChildViews,
    child_id: UUID,
    loaded: LoadedProfile,
    *,
    as_of: date | None = None,
    known_at: datetime | None = None,
    pages: int | None = None,
    tribunal: bool = False,
    pdf: bool = True,
    setting_names: Mapping[str, str] | None = None,
) -> RequestDocument:
    """The LA's request for the child, filled from the record at (as_of, known_at), each
    setting called by its name (`setting_names`) where it has one."""
    entries = views.admitted(child_id, as_of=as_of, known_at=known_at)
    filled = fill_request(
        entries,
        loaded,
        today=_day(views, as_of),
        tribunal=tribunal,
        setting_names=setting_names,
    )
    last = max((e.recorded_at for e in entries), default=None)
    moment = known_at or last
    return request_document(
        filled,
        known_at=known_at.isoformat() if known_at else None,
        pdf_wanted=pdf,
        pages=page_budget(loaded, pages, tribunal),
        epoch=epoch_of(moment) if moment else 0,
    )
