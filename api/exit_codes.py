"""Every `sendtrail` command's exit codes, named once, and the one table from an error's
type to its code (api/cli.py's `main` and api/cli_faults.py use it; commands that print
their own explanation raise `typer.Exit` with these names).

0 success; 1 a check failed (audit, verify, backup check); 2 bad usage or refused input;
3 not found; 4 the key store refused (wrong or missing KEK file; key store missing, empty,
damaged or another installation's; missing data key; ciphertext that fails
authentication); 5 the store could not be read or written (disk full, database
unreachable, read-only, damaged file); 6 a bundle is intact but its signer is unknown (no
trust anchor vouches for its keys).
"""

from __future__ import annotations

from domain.errors import ChildNotFound, DomainError
from exporters.trust import TrustStoreError
from exporters.verify import VerificationError
from ledger.checkpoint import SignerChanged
from ledger.key_errors import KeyStoreUnavailable, PrivacyError
from ledger.keyless import StoreUnavailable

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_REFUSED = 2
EXIT_NOT_FOUND = 3
EXIT_KEYS = 4
EXIT_STORAGE = 5
EXIT_UNREADABLE = EXIT_STORAGE
EXIT_SIGNER_UNKNOWN = 6

# First match wins: the more specific type before the more general one.
BY_ERROR: tuple[tuple[type[BaseException], int], ...] = (
    (ChildNotFound, EXIT_NOT_FOUND),  # an erased record included
    (DomainError, EXIT_REFUSED),
    (VerificationError, EXIT_FAILED),
    (TrustStoreError, EXIT_REFUSED),
    (SignerChanged, EXIT_REFUSED),
    (KeyStoreUnavailable, EXIT_STORAGE),  # api/cli_faults.py tells a damaged one (4)
    (PrivacyError, EXIT_KEYS),
    (StoreUnavailable, EXIT_STORAGE),
)


def exit_code(error: BaseException) -> int | None:
    """The exit code for `error`, or None when the table does not know its type."""
    return next((code for kind, code in BY_ERROR if isinstance(error, kind)), None)
