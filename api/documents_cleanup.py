"""Files uploaded but never attached: a client gone between its upload and its entry, or a
crash between the two. They belong to no entry, so no view, bundle or parent sees them;
`sendtrail documents orphans` lists them and `sendtrail documents cleanup` deletes those
older than a grace period (an upload may be about to be attached)."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from domain.envelope import attachment_digest
from domain.errors import ChildErased, ChildNotFound
from ledger.documents import DocumentStore
from projections.views import ChildViews

GRACE = timedelta(hours=24)


def orphans(
    store: DocumentStore, views: ChildViews, *, now: datetime, grace: timedelta = GRACE
) -> list[tuple[UUID, str]]:
    """(child, digest) of every file stored before `now - grace` that no entry attaches."""
    found: list[tuple[UUID, str]] = []
    attached: dict[UUID, dict[str, int]] = {}  # child -> digest -> an entry attaching it
    # Files with a link row are attached (written with their entry); the rest are read
    # against the child's entries, and a file an entry attaches gets the link it lacked (it
    # was attached before links were kept), so the key-free audit stops counting it.
    for child, digest in store.unlinked_before(now - grace):
        if child not in attached:
            try:
                entries = views.timeline.entries(child)
            except (ChildNotFound, ChildErased):
                entries = []
            attached[child] = {
                attachment_digest(a): e.version for e in entries for a in e.event.attachments
            }
        version = attached[child].get(digest)
        if version is None:
            found.append((child, digest))
        else:
            store.link(child, digest, version)
    return found


def cleanup(
    store: DocumentStore, views: ChildViews, *, now: datetime, grace: timedelta = GRACE
) -> int:
    """Delete the orphans; returns how many."""
    found = orphans(store, views, now=now, grace=grace)
    for child, digest in found:
        store.delete(child, digest)
    return len(found)
