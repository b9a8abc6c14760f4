"""Checkpoints are signed on a schedule inside `serve` (and by `sendtrail checkpoint`),
never by a read: GET /v1/checkpoints/latest returns the latest stored one.

Every `checkpoint_interval` seconds, `tick` signs and stores a new checkpoint if the log
grew since the latest stored one, and submits it to the configured witnesses; a witness
that has not yet cosigned the latest checkpoint (it was down, say) is asked again on the
next tick. The work runs in a worker thread, so the event loop never waits on a witness."""

from __future__ import annotations

import logging

from api import led_work
from api.deps import Services
from api.witness_client import Outcome, WitnessConfigError, parse_witnesses, submit

LOG = logging.getLogger("sendtrail.checkpoints")


def _size(note: str) -> int:
    return int(note.split("\n")[1])


def tick(svc: Services) -> list[Outcome]:
    """Sign if the log grew; (re)submit the latest checkpoint to witnesses lacking it."""
    keys = svc.exporter.keys
    if keys.log_private is None:
        return []
    try:
        witnesses = parse_witnesses(svc.settings.witnesses)
    except WitnessConfigError:
        witnesses = []  # `serve` refuses such settings at start; never sign without them
        LOG.warning("SENDTRAIL_WITNESSES is malformed; checkpoints are not submitted")
    ledger = svc.ledger
    latest = ledger.latest_checkpoint()
    if ledger.size() > (_size(latest) if latest else 0):
        latest = ledger.create_checkpoint(keys.log_private, keys.log_name)
    if latest is None:
        return []
    size = _size(latest)
    behind = [w for w in witnesses if ledger.latest_cosigned(w.name) < size]
    return submit(ledger, latest, behind) if behind else []


def _tick_and_log(svc: Services) -> None:
    for outcome in tick(svc):
        if not outcome.cosigned:
            LOG.warning("witness %s: %s", outcome.witness, outcome.said)


async def run(svc: Services, interval: float) -> None:
    """`tick` every `interval` seconds until cancelled (the app's lifespan ends it), in
    whichever of the installation's servers holds the lead for checkpoints: one signer,
    taken over within a tick of its holder's death."""
    await led_work.every(svc.settings, "checkpoints", interval, lambda: _tick_and_log(svc), LOG)
