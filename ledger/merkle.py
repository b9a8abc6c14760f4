"""RFC 9162 Merkle tree hashing, inclusion proofs and consistency proofs (SHA-256).

This module follows RFC 9162 (Certificate Transparency v2), sections 2.1.1-2.1.4, exactly:

* ``leaf_hash(d)   = SHA-256(0x00 || d)``
* ``node_hash(l, r) = SHA-256(0x01 || l || r)``
* ``MTH({})        = SHA-256("")`` (the empty tree)
* ``MTH(D[n])      = node_hash(MTH(D[0:k]), MTH(D[k:n]))`` with ``k`` the largest power of
  two strictly smaller than ``n``.

Everything that takes "leaves" takes *leaf hashes* (outputs of :func:`leaf_hash`), never
raw entries.  Proof elements are ordered exactly as RFC 9162 ``PATH`` and ``PROOF`` produce
them (bottom-up), so the proofs interoperate with other RFC 6962/9162 implementations.

Two ways to build proofs are offered:

* pure functions (:func:`root`, :func:`inclusion_proof`, :func:`consistency_proof`) that
  take the full list of leaf hashes -- O(n) hashing per call, meant for small trees,
  tests and third-party auditors;
* :class:`MerkleLog`, an append-only tree backed by a :class:`SubtreeStore` that keeps the
  root of every completed perfect subtree.  Roots and proofs are then assembled from
  O(log n) stored nodes, never from the full leaf list.

Verifiers (:func:`verify_inclusion`, :func:`verify_consistency`) implement the RFC 9162
§2.1.3.2 and §2.1.4.2 algorithms and raise a :class:`MerkleError` subclass on failure.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from typing import Protocol

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "ConsistencyProofError",
    "InclusionProofError",
    "InclusionVerifier",
    "MemorySubtreeStore",
    "MerkleError",
    "MerkleLog",
    "SubtreeStore",
    "consistency_proof",
    "extend_frontier",
    "fold",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "perfect_subtrees",
    "root",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
"""Length in bytes of every hash handled here (SHA-256)."""

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""MTH of the empty tree: SHA-256 of the empty string (e3b0c442...b855)."""

# A perfect-subtree node address: (level, index).  The node at (level, index) is the root
# of the perfect subtree covering leaves [index * 2**level, (index + 1) * 2**level).
_NodeKey = tuple[int, int]


# --------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------


class MerkleError(Exception):
    """A Merkle proof did not verify, or stored tree state is unusable.

    ``reason`` is a short human-readable explanation (also the exception message).
    """

    def __init__(self, reason: str) -> None:
        """Create the error with its ``reason``."""
        super().__init__(reason)
        self.reason = reason


class InclusionProofError(MerkleError):
    """An inclusion proof (RFC 9162 §2.1.3) failed verification."""


class ConsistencyProofError(MerkleError):
    """A consistency proof (RFC 9162 §2.1.4) failed verification."""


# --------------------------------------------------------------------------------------
# Hashing
# --------------------------------------------------------------------------------------


def leaf_hash(data: bytes) -> bytes:
    """Return the RFC 9162 leaf hash ``SHA-256(0x00 || data)``."""
    return hashlib.sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return the RFC 9162 interior node hash ``SHA-256(0x01 || left || right)``."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def root(leaves: Sequence[bytes]) -> bytes:
    """Return MTH (the RFC 9162 Merkle Tree Hash) of a list of *leaf hashes*.

    Iterative, O(n) hashing: each level pairs adjacent nodes left to right and promotes
    an unpaired last node unchanged, which yields exactly the RFC's largest-power-of-two
    split.  ``root([])`` is ``SHA-256(b"")``; ``root([h])`` is ``h``.
    """
    if not leaves:
        return EMPTY_ROOT
    level = list(leaves)
    sha256 = hashlib.sha256
    while len(level) > 1:
        paired = [
            sha256(_NODE_PREFIX + level[i] + level[i + 1]).digest()
            for i in range(0, len(level) - 1, 2)
        ]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


# --------------------------------------------------------------------------------------
# Proof shapes (shared by the pure functions and MerkleLog)
# --------------------------------------------------------------------------------------


def _largest_power_of_two_below(n: int) -> int:
    """Largest power of two strictly smaller than ``n`` (``n >= 2``)."""
    return 1 << ((n - 1).bit_length() - 1)


def _inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """Leaf ranges ``[lo, hi)`` whose MTHs form ``PATH(index, D[size])``, in proof order.

    Iterative transcription of RFC 9162 §2.1.3.1: walk from the whole tree down to the
    leaf, recording the sibling subtree at each split, then emit them bottom-up.
    """
    siblings: list[tuple[int, int]] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = 1 << ((hi - lo - 1).bit_length() - 1)  # _largest_power_of_two_below, inline
        if index - lo < k:
            siblings.append((lo + k, hi))
            hi = lo + k
        else:
            siblings.append((lo, lo + k))
            lo += k
    siblings.reverse()
    return siblings


inclusion_ranges = _inclusion_ranges  # for readers that batch the nodes of many proofs


def _consistency_ranges(old_size: int, new_size: int) -> list[tuple[int, int]]:
    """Leaf ranges whose MTHs form ``PROOF(old_size, D[new_size])``, in proof order.

    Iterative transcription of RFC 9162 §2.1.4.1 ``SUBPROOF``; requires
    ``0 < old_size < new_size``.
    """
    siblings: list[tuple[int, int]] = []
    lo, hi, m = 0, new_size, old_size
    whole_old_tree = True  # the RFC's boolean ``b``
    while m != hi - lo:
        k = _largest_power_of_two_below(hi - lo)
        if m <= k:
            siblings.append((lo + k, hi))
            hi = lo + k
        else:
            siblings.append((lo, lo + k))
            lo += k
            m -= k
            whole_old_tree = False
    siblings.reverse()
    # SUBPROOF(m, D[m], true) = {}; SUBPROOF(m, D[m], false) = {MTH(D[m])}.
    return siblings if whole_old_tree else [(lo, hi), *siblings]


def _check_inclusion_args(index: int, size: int, available: int) -> None:
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is not in a tree of size {size}")
    if size > available:
        raise ValueError(f"tree size {size} exceeds the {available} leaves available")


def _check_consistency_args(old_size: int, new_size: int, available: int) -> None:
    if old_size <= 0:
        raise ValueError(f"old_size must be positive (RFC 9162 §2.1.4), got {old_size}")
    if old_size > new_size:
        raise ValueError(f"old_size {old_size} is larger than new_size {new_size}")
    if new_size > available:
        raise ValueError(f"tree size {new_size} exceeds the {available} leaves available")


# --------------------------------------------------------------------------------------
# Pure proof construction
# --------------------------------------------------------------------------------------


def inclusion_proof(index: int, size: int, leaves: Sequence[bytes]) -> list[bytes]:
    """Return RFC 9162 ``PATH(index, D[size])`` over the first ``size`` leaf hashes.

    Raises ``ValueError`` unless ``0 <= index < size <= len(leaves)``.
    """
    _check_inclusion_args(index, size, len(leaves))
    return [root(leaves[lo:hi]) for lo, hi in _inclusion_ranges(index, size)]


def consistency_proof(old_size: int, new_size: int, leaves: Sequence[bytes]) -> list[bytes]:
    """Return RFC 9162 ``PROOF(old_size, D[new_size])`` over the given leaf hashes.

    Returns ``[]`` when ``old_size == new_size``.  Raises ``ValueError`` unless
    ``0 < old_size <= new_size <= len(leaves)`` (a proof from the empty tree is undefined).
    """
    _check_consistency_args(old_size, new_size, len(leaves))
    if old_size == new_size:
        return []
    return [root(leaves[lo:hi]) for lo, hi in _consistency_ranges(old_size, new_size)]


# --------------------------------------------------------------------------------------
# Verification (RFC 9162 §2.1.3.2 and §2.1.4.2)
# --------------------------------------------------------------------------------------


def _check_hashes(error: type[MerkleError], proof: Sequence[bytes], **named: bytes) -> None:
    """Raise ``error`` unless every named hash and proof element is 32 bytes long."""
    for what, value in named.items():
        if len(value) != HASH_SIZE:
            raise error(f"{what} is not a {HASH_SIZE}-byte hash")
    for position, element in enumerate(proof):
        if len(element) != HASH_SIZE:
            raise error(f"proof element {position} is not a {HASH_SIZE}-byte hash")


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that ``leaf_hash`` is leaf ``index`` of the tree of ``size`` with ``root``.

    Implements the RFC 9162 §2.1.3.2 algorithm verbatim (after rejecting hashes that are
    not 32 bytes).  Returns ``None`` on success and raises :class:`InclusionProofError`
    on a bad index, a proof of the wrong length, or a root mismatch.
    """
    _check_hashes(InclusionProofError, proof, leaf_hash=leaf_hash, root=root)
    # 1. leaf_index must be smaller than tree_size.
    if index < 0 or index >= size:
        raise InclusionProofError(f"leaf index {index} is not in a tree of size {size}")
    # 2.-3.
    fn, sn = index, size - 1
    r = bytes(leaf_hash)
    # 4.
    for p in proof:
        if sn == 0:  # 4a.
            raise InclusionProofError(f"proof is too long for index {index}, size {size}")
        if fn & 1 or fn == sn:  # 4b.
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1  # 4c.
        sn >>= 1
    # 5.
    if sn != 0:
        raise InclusionProofError(f"proof is too short for index {index}, size {size}")
    if not hmac.compare_digest(r, root):
        raise InclusionProofError("computed root does not match the expected root")


class InclusionVerifier:
    """Checks many inclusion proofs against one tree (``size``, ``root``), each with the
    same outcome as :func:`verify_inclusion`, hashing each node once.

    Neighbouring leaves' paths meet a few levels up. Once a proof has reached the root,
    every node on its path and every sibling it gave is known to be part of the tree; a
    later proof whose path reaches such a node stops hashing there, and the rest of its
    elements must equal the known siblings above it (a byte comparison). A proof passes
    here exactly when hashing it all the way up would reach ``root``.
    """

    def __init__(self, size: int, root: bytes) -> None:
        """A verifier for the tree of ``size`` leaves with ``root``."""
        self.size = size
        self.root = bytes(root)
        self._known: dict[tuple[int, int], bytes] = {(0, size): self.root}

    def verify(self, leaf_hash: bytes, index: int, proof: Sequence[bytes]) -> None:
        """Raise :class:`InclusionProofError` unless ``proof`` puts ``leaf_hash`` at
        ``index`` in the tree."""
        size = self.size
        _check_hashes(InclusionProofError, proof, leaf_hash=leaf_hash, root=self.root)
        if index < 0 or index >= size:
            raise InclusionProofError(f"leaf index {index} is not in a tree of size {size}")
        known = self._known
        # Down from the root (RFC 9162's split): the nodes over the leaf and their
        # siblings; the first `deep` of those nodes are known already.
        nodes: list[tuple[int, int]] = []
        siblings: list[tuple[int, int]] = []
        lo, hi, deep = 0, size, 0
        while hi - lo > 1:
            k = 1 << ((hi - lo - 1).bit_length() - 1)
            if index < lo + k:
                siblings.append((lo + k, hi))
                hi = lo + k
            else:
                siblings.append((lo, lo + k))
                lo += k
            nodes.append((lo, hi))
            if deep == len(nodes) - 1 and (lo, hi) in known:
                deep = len(nodes)
        depth = len(nodes)
        if len(proof) != depth:
            too = "long" if len(proof) > depth else "short"
            raise InclusionProofError(f"proof is too {too} for index {index}, size {size}")
        fail = "computed root does not match the expected root"
        # Above the deepest known node: the proof must give the known siblings.
        for level in range(deep):
            if known.get(siblings[level]) != proof[depth - 1 - level]:
                raise InclusionProofError(fail)
        # Below it: hash up from the leaf, as verify_inclusion does.
        learned: dict[tuple[int, int], bytes] = {}
        value = bytes(leaf_hash)
        for level in range(depth - 1, deep - 1, -1):
            node, sibling = nodes[level], siblings[level]
            element = bytes(proof[depth - 1 - level])
            learned[node] = value
            learned[sibling] = element
            if sibling[0] < node[0]:
                value = hashlib.sha256(_NODE_PREFIX + element + value).digest()
            else:
                value = hashlib.sha256(_NODE_PREFIX + value + element).digest()
        expected = known[nodes[deep - 1]] if deep else self.root
        if not hmac.compare_digest(value, expected):
            raise InclusionProofError(fail)
        known.update(learned)


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Check that the tree of ``old_size`` with ``old_root`` is a prefix of the new tree.

    For ``0 < old_size < new_size`` this is the RFC 9162 §2.1.4.2 algorithm verbatim.
    ``old_size == new_size`` (which the RFC leaves to the caller) is accepted only with an
    empty proof and equal roots, mirroring :func:`consistency_proof`.  ``old_size <= 0``,
    ``old_size > new_size``, hashes that are not 32 bytes, and any mismatch raise
    :class:`ConsistencyProofError`.
    """
    _check_hashes(ConsistencyProofError, proof, old_root=old_root, new_root=new_root)
    if old_size <= 0:
        raise ConsistencyProofError(f"old_size must be positive, got {old_size}")
    if old_size > new_size:
        raise ConsistencyProofError(f"old_size {old_size} is larger than new_size {new_size}")
    if old_size == new_size:
        if proof:
            raise ConsistencyProofError("proof must be empty when the sizes are equal")
        if not hmac.compare_digest(old_root, new_root):
            raise ConsistencyProofError("roots differ for equal tree sizes")
        return
    # 1.
    if not proof:
        raise ConsistencyProofError("proof is empty")
    path = list(proof)
    # 2. If first is an exact power of 2, prepend first_hash.
    if old_size & (old_size - 1) == 0:
        path.insert(0, bytes(old_root))
    # 3.
    fn, sn = old_size - 1, new_size - 1
    # 4.
    while fn & 1:
        fn >>= 1
        sn >>= 1
    # 5.
    fr = sr = path[0]
    # 6.
    for c in path[1:]:
        if sn == 0:  # 6a.
            raise ConsistencyProofError(f"proof is too long for sizes {old_size} -> {new_size}")
        if fn & 1 or fn == sn:  # 6b.
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1  # 6c.
        sn >>= 1
    # 7.
    if sn != 0:
        raise ConsistencyProofError(f"proof is too short for sizes {old_size} -> {new_size}")
    if not hmac.compare_digest(fr, old_root):
        raise ConsistencyProofError("computed old root does not match old_root")
    if not hmac.compare_digest(sr, new_root):
        raise ConsistencyProofError("computed new root does not match new_root")


# --------------------------------------------------------------------------------------
# Storage-backed incremental tree
# --------------------------------------------------------------------------------------


class SubtreeStore(Protocol):
    """Persistent map from perfect-subtree address to its root hash.

    The node at ``(level, index)`` is the MTH of the perfect subtree covering leaves
    ``[index * 2**level, (index + 1) * 2**level)``; level 0 holds the leaf hashes.
    """

    def get(self, level: int, index: int) -> bytes | None:
        """Return the stored hash at ``(level, index)``, or ``None`` if absent."""
        ...

    def put(self, level: int, index: int, value: bytes) -> None:
        """Store ``value`` as the hash at ``(level, index)``."""
        ...


class MemorySubtreeStore:
    """In-memory :class:`SubtreeStore` (a dict), for tests and benchmarks."""

    def __init__(self) -> None:
        """Create an empty store."""
        self.nodes: dict[_NodeKey, bytes] = {}

    def get(self, level: int, index: int) -> bytes | None:
        """Return the stored hash at ``(level, index)``, or ``None`` if absent."""
        return self.nodes.get((level, index))

    def put(self, level: int, index: int, value: bytes) -> None:
        """Store ``value`` as the hash at ``(level, index)``."""
        self.nodes[(level, index)] = value


def perfect_subtrees(lo: int, hi: int) -> list[_NodeKey]:
    """Split ``[lo, hi)`` into perfect subtrees, largest (leftmost) first.

    Valid for every range that occurs in the RFC 9162 recursion, where ``lo`` is a
    multiple of the largest power of two not exceeding ``hi - lo``; MTH of the range is
    then the right fold of the pieces with :func:`node_hash`.
    """
    keys: list[_NodeKey] = []
    remaining = hi - lo
    while remaining:
        level = remaining.bit_length() - 1
        if lo & ((1 << level) - 1):
            raise ValueError(f"range [{lo}, {hi}) is not aligned to the tree structure")
        keys.append((level, lo >> level))
        lo += 1 << level
        remaining -= 1 << level
    return keys


def extend_frontier(
    frontier: list[tuple[int, bytes]], index: int, leaf_hash: bytes
) -> list[tuple[int, int, bytes]]:
    """Append leaf ``index`` to ``frontier`` (the (level, hash) roots of the perfect
    subtrees of ``[0, index)``, largest first) in place; return the nodes it completes
    as (level, index, hash), the leaf itself first."""
    written = [(0, index, leaf_hash)]
    value, level, position = leaf_hash, 0, index
    while frontier and frontier[-1][0] == level:
        value = hashlib.sha256(_NODE_PREFIX + frontier.pop()[1] + value).digest()
        level, position = level + 1, position >> 1
        written.append((level, position, value))
    frontier.append((level, value))
    return written


def fold(hashes: Sequence[bytes]) -> bytes:
    """Right fold ``h0, h1, ..., hk`` into ``node(h0, node(h1, ... hk))``."""
    acc = hashes[-1]
    for h in reversed(hashes[:-1]):
        acc = node_hash(h, acc)
    return acc


class MerkleLog:
    """Append-only RFC 9162 Merkle tree kept as perfect-subtree roots in a store.

    ``append`` writes the leaf hash at level 0 plus the root of every perfect subtree the
    new leaf completes (amortised O(1), worst case O(log n) writes).  ``root``,
    ``inclusion_proof`` and ``consistency_proof`` decompose each needed range into
    O(log n) perfect subtrees and read only those nodes, for any size up to
    :attr:`size`.  All reads go through :meth:`_fetch`, the single place to batch them.

    One ``MerkleLog`` instance must be the only writer of its store.
    """

    def __init__(self, store: SubtreeStore, size: int = 0) -> None:
        """Open the log over ``store``, which already holds a tree of ``size`` leaves."""
        if size < 0:
            raise ValueError(f"size must be non-negative, got {size}")
        self._store = store
        self._size = size
        # The "frontier": roots of the perfect subtrees that decompose [0, size), largest
        # first, as (level, hash).  Lets append() and root() run without store reads.
        keys = perfect_subtrees(0, size)
        self._frontier: list[tuple[int, bytes]] = [
            (level, h) for (level, _), h in zip(keys, self._fetch(keys), strict=True)
        ]

    @property
    def size(self) -> int:
        """Number of leaves currently in the log."""
        return self._size

    def _fetch(self, keys: Sequence[_NodeKey]) -> list[bytes]:
        """Read the stored hashes for ``keys`` (in order); the only store read path.

        Every read (including the frontier load in ``__init__``) comes through here with
        all the keys one operation needs, so a store with a batch lookup only has to be
        wired in here -- e.g. by a subclass overriding this method (set up any state the
        override needs *before* calling ``MerkleLog.__init__``).  Raises
        :class:`MerkleError` if a node is missing.
        """
        values: list[bytes] = []
        for level, index in keys:
            value = self._store.get(level, index)
            if value is None:
                raise MerkleError(f"subtree store has no node at level {level}, index {index}")
            values.append(value)
        return values

    def _range_hashes(self, ranges: Sequence[tuple[int, int]]) -> list[bytes]:
        """MTH of each range, from one batched read of its perfect subtrees."""
        pieces = [perfect_subtrees(lo, hi) for lo, hi in ranges]
        # Proof ranges are disjoint, so the keys are distinct: fetch them all at once.
        values = iter(self._fetch([key for keys in pieces for key in keys]))
        return [fold([next(values) for _ in keys]) for keys in pieces]

    def append(self, leaf_hash: bytes) -> int:
        """Append a leaf hash and return its 0-based leaf index."""
        if len(leaf_hash) != HASH_SIZE:
            raise ValueError(f"leaf hash must be {HASH_SIZE} bytes, got {len(leaf_hash)}")
        index = self._size
        for level, position, value in extend_frontier(self._frontier, index, bytes(leaf_hash)):
            self._store.put(level, position, value)
        self._size = index + 1
        return index

    def root(self, size: int | None = None) -> bytes:
        """Return MTH of the first ``size`` leaves (default: the whole log)."""
        if size is None or size == self._size:
            if not self._frontier:
                return EMPTY_ROOT
            return fold([h for _, h in self._frontier])
        if not 0 <= size <= self._size:
            raise ValueError(f"size {size} is outside the log (size {self._size})")
        if size == 0:
            return EMPTY_ROOT
        return self._range_hashes([(0, size)])[0]

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """Return RFC 9162 ``PATH(index, D[size])``; needs ``0 <= index < size <= self.size``."""
        _check_inclusion_args(index, size, self._size)
        return self._range_hashes(_inclusion_ranges(index, size))

    def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]:
        """Return RFC 9162 ``PROOF(old_size, D[new_size])``; ``[]`` if the sizes are equal.

        Needs ``0 < old_size <= new_size <= self.size``.
        """
        _check_consistency_args(old_size, new_size, self._size)
        if old_size == new_size:
            return []
        return self._range_hashes(_consistency_ranges(old_size, new_size))
