"""A long record shaped like the demo's, for report and export benchmarks: the demo's EHC
child (plans, reviews, a costed provision, a report and its recommendations, consents,
an EHC request), then two more years of everyday entries of many kinds with the long free
text real key persons write, to `events` entries in all.

Uniform observations ("obs 17") lay out far faster than this: the PDF's cost is in long
paragraphs and many kinds of rows, so the benchmarks measure on this shape.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta
from uuid import UUID

from api.demo import build_demo_cohort
from domain import commands as cmd
from domain.application import ChildRecords
from domain.envelope import EnvelopeDraft, RecordedBy

DEMO_TODAY = date(2024, 6, 3)  # the demo story ends here; the everyday entries follow
END = date(2026, 11, 20)
EHC_ARCHETYPE = 4  # api.demo.ARCHETYPES: the fifth child of a cohort is the EHC one
AREAS = ["communication_language", "personal_social_emotional", "physical", "literacy"]
SENTENCES = [
    "Joined the group at the water tray after a visual prompt and stayed for about six "
    "minutes, watching the others pour before trying it himself.",
    "Used two-word phrases with the key person (\u201cmore water\u201d, \u201cmy turn\u201d) "
    "and pointed to the symbol card when the words did not come.",
    "Became distressed when the routine changed for the fire drill; calmed with the ear "
    "defenders and the now-and-next board within ten minutes.",
    "Parents report that sleep has been unsettled this week, which may explain the lower "
    "engagement we saw on Tuesday and Wednesday mornings.",
    "Responded to his name on the second call; followed a one-step instruction with a "
    "gesture; did not yet follow two-step instructions without modelling.",
    "Played alongside a peer in the construction area, handed over a brick when asked, and "
    "smiled when the tower fell \u2014 the longest shared play we have recorded so far.",
]


def _text(rng: random.Random, sentences: int) -> str:
    return " ".join(rng.choice(SENTENCES) for _ in range(sentences))


def write_long_record(records: ChildRecords, events: int, *, seed: int = 7) -> UUID:
    """The demo's EHC child, extended with everyday entries to `events` entries."""
    child = build_demo_cohort(records, children=5, seed=seed, today=DEMO_TODAY)[EHC_ARCHETYPE]
    rng = random.Random(seed)
    version = records.get_child(child).version
    senco = RecordedBy("bench-senco", "senco", records.get_child(child).setting_id)
    kp = RecordedBy("bench-kp", "practitioner", senco.setting)
    parent = RecordedBy("bench-parent", "parent", senco.setting)
    span = (END - DEMO_TODAY).days
    start = DEMO_TODAY + timedelta(days=1)
    kinds = _everyday(records, child, rng, kp, senco, parent)
    remaining = events - version
    for n in range(remaining):
        day = start + timedelta(days=1 + n * (span - 2) // max(remaining, 1))
        write = kinds[n % len(kinds)]
        version = write(day, version)
    return child


Writer = Callable[[date, int], int]


def _everyday(
    records: ChildRecords,
    child: UUID,
    rng: random.Random,
    kp: RecordedBy,
    senco: RecordedBy,
    parent: RecordedBy,
) -> list[Writer]:
    """One writer per everyday kind of entry, in the proportions a setting writes them."""

    def observation(day: date, version: int) -> int:
        return records.handle(
            child,
            cmd.RecordObservation(
                area=rng.choice(AREAS), notes=_text(rng, rng.randint(2, 6)), observer="Key person"
            ),
            EnvelopeDraft(day, kp),
            expected_version=version,
        )

    started: set[str] = set()

    def session(day: date, version: int) -> int:
        provision = f"prov-bench-{(day - DEMO_TODAY).days // 350}"  # a new block each year
        if provision not in started:
            started.add(provision)
            return records.handle(
                child,
                cmd.StartProvision(
                    provision_id=provision,
                    description="Daily small-group language session (Attention Autism, Talk Boost)",
                    area="communication_language",
                    start_date=day,
                    group_size=4,
                    session_minutes=20,
                    sessions_per_week=5,
                    weeks=52,
                    staff_grade="senior_practitioner",
                    cost="5400.00",
                    funding_source="additional",
                ),
                EnvelopeDraft(day, senco),
                expected_version=version,
            )
        return records.handle(
            child,
            cmd.DeliverSession(
                provision_id=provision, session_date=day, minutes=20, notes=_text(rng, 1)
            ),
            EnvelopeDraft(day, kp),
            expected_version=version,
        )

    def tracking(day: date, version: int) -> int:
        low = 18 + (day - DEMO_TODAY).days // 60
        return records.handle(
            child,
            cmd.AssessTracking(
                area=rng.choice(AREAS[:3]),
                band=f"{low}-{low + 10} months",
                months_low=low,
                months_high=low + 10,
                chronological_months=36 + (day - DEMO_TODAY).days // 30,
            ),
            EnvelopeDraft(day, senco),
            expected_version=version,
        )

    def parent_view(day: date, version: int) -> int:
        return records.handle(
            child,
            cmd.RecordParentView(person_id="parent-1", view=_text(rng, rng.randint(1, 3))),
            EnvelopeDraft(day, parent, basis="parent_view"),
            expected_version=version,
        )

    def contact(day: date, version: int) -> int:
        return records.handle(
            child,
            cmd.RecordContact(
                professional="Demo Therapist",
                professional_role="Speech and language therapist",
                service="Speech and language therapy",
                kind=rng.choice(["call", "visit", "meeting", "email"]),
                summary=_text(rng, rng.randint(2, 4)),
            ),
            EnvelopeDraft(day, senco),
            expected_version=version,
        )

    def child_view(day: date, version: int) -> int:
        return records.handle(
            child,
            cmd.RecordChildView(
                view="Likes the sand and the red bike; does not like the loud hand dryer.",
                method="Talking mat with the key person",
            ),
            EnvelopeDraft(day, kp, basis="child_voice"),
            expected_version=version,
        )

    return [
        *(observation, session, observation, session, tracking, observation, session),
        *(parent_view, observation, session, contact, observation, session, child_view),
    ]
