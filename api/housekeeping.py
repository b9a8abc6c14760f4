"""`serve`'s housekeeping: the installation's background work that must have one doer.

Every `housekeeping_interval` seconds, whichever server leads "housekeeping"
(`api.led_work`) finishes any erasure another server left unfinished (it died between
recording the erasure and destroying the keys: without this, only a restart would finish
it), folds new events into the cohort tables (every server also does so before it reads
them, under the tables' position lock, so a dashboard never waits for the leader) and,
with `retention_dispose = "auto"`, disposes of the records past retention once a day.

Logs say what was done in counts only: never a child's id, name or setting."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import cast

from api import led_work
from api.bootstrap import open_key_store
from api.deps import Services
from api.pending_erasures import finish_pending_erasures
from api.retention_disposal import Disposed, dispose_each, due_for_disposal
from ledger.log import LedgerBackend
from projections.cohort import CohortProjection

LOG = logging.getLogger("sendtrail.housekeeping")
DISPOSAL_EVERY = 24 * 3600.0  # seconds between disposal runs (retention is counted in days)


@dataclass(frozen=True)
class Done:
    """What one round did."""

    erasures_finished: int
    events_folded: int
    disposed: int
    kept: int


class Housekeeping:
    """One server's rounds; `last_disposal` is when its last disposal run began."""

    def __init__(self, svc: Services) -> None:
        self.svc = svc
        self.last_disposal: float | None = None

    def round(self, now: float | None = None) -> Done:
        """Finish erasures left unfinished, dispose of due records (when it is time, and
        the installation says so), then fold every new event into the cohort tables."""
        records, settings = self.svc.records, self.svc.settings
        backend = cast(LedgerBackend, records.recorder)
        finished = finish_pending_erasures(records, backend, open_key_store(records))
        disposed = Disposed()
        at = time.monotonic() if now is None else now
        if settings.retention_dispose == "auto" and (
            self.last_disposal is None or at - self.last_disposal >= DISPOSAL_EVERY
        ):
            self.last_disposal = at
            due = due_for_disposal(records, settings.retention)
            disposed = dispose_each(records, due, settings.retention, user_id="housekeeping")
        folded = CohortProjection(records, backend).catch_up()
        done = Done(len(finished), folded, len(disposed.disposed), len(disposed.kept))
        if done.erasures_finished or done.disposed or done.kept:
            LOG.info(
                "housekeeping: %d unfinished erasure(s) finished, %d record(s) disposed of, "
                "%d due record(s) kept (refused)",
                done.erasures_finished,
                done.disposed,
                done.kept,
            )
        return done


async def run(svc: Services, interval: float) -> None:
    """Rounds every `interval` seconds while this server leads housekeeping."""
    keeper = Housekeeping(svc)
    await led_work.every(svc.settings, "housekeeping", interval, keeper.round, LOG)
