"""Work that one server of an installation does at a time, on a schedule.

`every` runs a job every `interval` seconds in whichever of the installation's servers
holds the lead for that kind of work (a PostgreSQL advisory lock, or a file lock beside
SQLite; `api.bootstrap.leadership`): one doer, taken over within a tick of its holder's
death. The job runs in a worker thread, so the event loop never waits on it; a job that
fails (a storage fault, say) is logged by its kind only and tried again on the next tick.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import suppress

from anyio import to_thread

from api.bootstrap import leadership
from api.settings import Settings


async def every(
    settings: Settings, work: str, interval: float, job: Callable[[], object], log: logging.Logger
) -> None:
    """`job()` every `interval` seconds while this server leads `work`, until cancelled
    (the app's lifespan ends it)."""
    lead = leadership(settings, work)
    try:
        while True:
            await asyncio.sleep(interval)
            try:
                if await to_thread.run_sync(lead.holds):
                    await to_thread.run_sync(job)
            except Exception as error:  # a storage fault: try again on the next tick
                log.warning("%s not done (%s)", work, type(error).__name__)
    finally:
        lead.release()


async def stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with suppress(asyncio.CancelledError):
        await task
