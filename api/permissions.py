"""Who may do what: the one permission table (role x action), from DOMAIN.md's "Who may
write what". The API routes, the web pages and forms and the CLI all ask it; nothing else
decides a role's rights.

- Practitioners record what they see and do: observations, tracking, the progress check,
  attendance, concerns, discussions, sessions delivered or missed, parent's and child's
  views (and corrections and mistake marks of entries they can read).
- SENCOs own plans and outcomes, provision, reviews, SEN status, parent notification,
  referrals and outside contacts, reports, consents, shares with the LA, EHC steps and
  export.
- Admins own people, accounts and retention, and may do what a SENCO may.
- Parents write only their own words: their views, disputes, corrections of what they
  wrote (each bound to their linked person).
- Inspectors and LA caseworkers only read, and only what was shared with them.
"""

from __future__ import annotations

from collections.abc import Mapping

ROLES = ("admin", "senco", "practitioner", "parent", "inspector")

_LEADS = frozenset({"admin", "senco"})
_STAFF = frozenset({"admin", "senco", "practitioner"})
_EVERYONE = frozenset(ROLES)

PERMISSIONS: Mapping[str, frozenset[str]] = {
    # What practitioners record: what they see and do.
    "record.observation": _STAFF,
    "record.tracking": _STAFF,
    "record.progress_check": _STAFF,
    "record.attendance": _STAFF,
    "record.concern": _STAFF,
    "record.discussion": _STAFF,
    "record.session": _STAFF,
    "record.child_view": _STAFF,
    "record.parent_view": _STAFF | {"parent"},
    "document.upload": _STAFF | {"parent"},  # a parent attaches to their own view or dispute
    # Statements about entries (each only about an entry the writer can read).
    "record.correction": _STAFF | {"parent"},
    "record.mistake": _STAFF,
    "record.dispute": _STAFF | {"parent"},
    # What SENCOs own.
    "record.parent_notification": _LEADS,
    "record.sen_status": _LEADS,
    "record.consent": _LEADS,
    "record.plan": _LEADS,
    "record.provision": _LEADS,
    "record.review": _LEADS,
    "record.referral": _LEADS,
    "record.professional_contact": _LEADS,
    "record.report": _LEADS,
    "record.recommendation_action": _LEADS,
    "record.ehc_step": _LEADS,
    "record.share": _LEADS,
    "child.register": _LEADS,
    "record.person": _LEADS,
    "record.enrolment": _LEADS,  # enrolment, transfer and leaving
    "import.records": _LEADS,  # bringing history in from spreadsheets
    "export.bundle": _LEADS,
    "export.la_request": _LEADS,
    # Reads (an inspector's only of children shared with them; a parent's only of their own).
    "read.record": _EVERYONE,
    "read.children": _EVERYONE,
    "read.access_log": _LEADS,
    "read.dashboard": _LEADS | {"inspector"},
    "read.provision_map": _LEADS,  # the setting's provision map by term, and its costs
    "read.la_profiles": _EVERYONE,
    "read.la_readiness": _EVERYONE,
    # What admins own.
    "users.manage": frozenset({"admin"}),
}


def allows(role: str, action: str) -> bool:
    """Whether `role` may do `action` (an unknown action is allowed to no one)."""
    return role in PERMISSIONS.get(action, frozenset())


def actions_of(role: str) -> frozenset[str]:
    """Every action `role` may do."""
    return frozenset(a for a, roles in PERMISSIONS.items() if role in roles)
