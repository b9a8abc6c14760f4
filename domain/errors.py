"""Typed domain errors.

Messages name the field and the rule, never a value: values can be personal data, and
errors end up in logs and HTTP bodies. The edges (HTTP, CLI) translate these once.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base of every refusal by the domain. Nothing is stored when one is raised."""

    code = "domain_error"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidValue(DomainError):
    """A value breaks a rule of its own (empty, too long, not in the vocabulary) → 422."""

    code = "invalid_value"


class FutureDate(InvalidValue):
    """`occurred_at` (or another date) lies in the future beyond the allowed clock skew."""

    code = "future_date"


class BeforeBirth(InvalidValue):
    """Something is said to have happened before the child was born."""

    code = "before_birth"


class ChildNotFound(DomainError):
    """No child with this id (or not visible to the caller) → 404."""

    code = "child_not_found"


class ChildErased(ChildNotFound):
    """The child's record was erased: its data key is destroyed, nothing can be read → 410."""

    code = "record_erased"


class VersionConflict(DomainError):
    """The caller's expected version is not the stored version → 409."""

    code = "version_conflict"

    def __init__(self, *, expected: int, actual: int) -> None:
        super().__init__(
            f"expected_version {expected} is stale: the record is at version {actual}",
            field="expected_version",
        )
        self.expected = expected
        self.actual = actual


class ChildExists(DomainError):
    """A record with this id already exists → 409."""

    code = "child_exists"


class InvariantViolation(DomainError):
    """The record's current state does not allow this command → 409."""

    code = "invariant_violation"


class RecordClosed(InvariantViolation):
    """The child has left, or the record was erased: only some events are allowed."""

    code = "record_closed"


class PlanInvalid(InvariantViolation):
    """A support plan without outcomes, or with a review date not after its start."""

    code = "plan_invalid"


class UnknownReference(InvariantViolation):
    """A plan, provision, outcome, consent, report or event id that this child lacks."""

    code = "unknown_reference"


class ConsentRequired(InvariantViolation):
    """A referral (or sharing) without a live consent for that purpose."""

    code = "consent_required"


class ProvisionClosed(InvariantViolation):
    """A provision cannot change, log sessions or end after it ended, nor end before start."""

    code = "provision_closed"


class EhcStepOutOfOrder(InvariantViolation):
    """An EHC step must follow its predecessor (no final plan without a request)."""

    code = "ehc_step_out_of_order"


class StatusAgainstPlan(EhcStepOutOfOrder):
    """A SEN status typed against the EHC plan it follows from: E only with an issued plan,
    and nothing but E while that plan is in force (the plan sets it; never typed twice)."""

    code = "status_against_plan"


class ParentViewProtected(InvariantViolation):
    """A parent's view is never overwritten or marked mistaken by staff."""

    code = "parent_view_protected"


class LegalHoldActive(InvariantViolation):
    """Disposal or erasure refused while a legal hold is in place."""

    code = "legal_hold_active"


class RetentionNotOver(InvariantViolation):
    """Disposal refused: the retention period has not ended (or needs a person's review)."""

    code = "retention_not_over"


class UnsupportedMediaType(InvalidValue):
    """An attached file whose bytes are not of an accepted type (HTTP 415)."""


class EntryNotFound(UnknownReference):
    """An entry version this child lacks, or one the caller may not read (→ 404 through the
    API: a write about an entry the writer cannot see is answered as if it did not exist)."""

    code = "entry_not_found"


class GroupRefused(DomainError):
    """Entries of a group write (one session for a provision's group, a class's attendance)
    were refused: nothing of the group was stored. `refusals` names each refused entry by
    its position in the group, with the domain's own error for it."""

    code = "group_refused"

    def __init__(self, refusals: dict[int, DomainError]) -> None:
        super().__init__(
            f"{len(refusals)} of the group's entries were refused: nothing was stored",
            field="entries",
        )
        self.refusals = refusals
