"""Tests for ledger.merkle: RFC 9162 Merkle tree hash, inclusion and consistency proofs.

The module is checked against a deliberately naive reference written below straight from
the RFC 9162 §2.1.1-2.1.4 definitions, against published Certificate Transparency test
vectors, and against tampering (bit flips, off-by-one indices and sizes).
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.merkle import (
    EMPTY_ROOT,
    ConsistencyProofError,
    InclusionProofError,
    InclusionVerifier,
    MemorySubtreeStore,
    MerkleError,
    MerkleLog,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root,
    verify_consistency,
    verify_inclusion,
)

# ======================================================================================
# Naive reference, transcribed from RFC 9162 §2.1.1 (MTH), §2.1.3.1 (PATH) and
# §2.1.4.1 (PROOF/SUBPROOF).  It works on raw entries D[n], does its own hashing with
# hashlib, and shares no code with ledger.merkle.  MTH is memoised only for speed.
# ======================================================================================


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _k(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


@functools.cache
def ref_mth(d: tuple[bytes, ...]) -> bytes:
    """MTH(D[n])."""
    n = len(d)
    if n == 0:
        return _sha256(b"")
    if n == 1:
        return _sha256(b"\x00" + d[0])
    k = _k(n)
    return _sha256(b"\x01" + ref_mth(d[0:k]) + ref_mth(d[k:n]))


def ref_path(m: int, d: tuple[bytes, ...]) -> list[bytes]:
    """PATH(m, D[n])."""
    n = len(d)
    if n == 1:
        return []
    k = _k(n)
    if m < k:
        return [*ref_path(m, d[0:k]), ref_mth(d[k:n])]
    return [*ref_path(m - k, d[k:n]), ref_mth(d[0:k])]


def ref_subproof(m: int, d: tuple[bytes, ...], b: bool) -> list[bytes]:
    """SUBPROOF(m, D[n], b)."""
    n = len(d)
    if m == n:
        return [] if b else [ref_mth(d)]
    k = _k(n)
    if m <= k:
        return [*ref_subproof(m, d[0:k], b), ref_mth(d[k:n])]
    return [*ref_subproof(m - k, d[k:n], False), ref_mth(d[0:k])]


def ref_proof(m: int, d: tuple[bytes, ...]) -> list[bytes]:
    """PROOF(m, D[n])."""
    return ref_subproof(m, d, True)


# The same recursions on sizes only: which side each proof element sits on ("L"/"R"),
# and "T" for the SUBPROOF terminal MTH(D[m]).  Two (index, size) claims with the same
# shape are indistinguishable to any RFC 9162 verifier.


def ref_path_shape(m: int, n: int) -> tuple[str, ...]:
    """Shape of PATH(m, D[n])."""
    if n == 1:
        return ()
    k = _k(n)
    if m < k:
        return (*ref_path_shape(m, k), "R")
    return (*ref_path_shape(m - k, n - k), "L")


def ref_proof_shape(m: int, n: int, b: bool = True) -> tuple[str, ...]:
    """Shape of SUBPROOF(m, D[n], b)."""
    if m == n:
        return () if b else ("T",)
    k = _k(n)
    if m <= k:
        return (*ref_proof_shape(m, k, b), "R")
    return (*ref_proof_shape(m - k, n - k, False), "L")


# ======================================================================================
# Fixtures shared by the tests (built once per test session)
# ======================================================================================

EXHAUSTIVE = 300
PURE_EVERY_INDEX_UP_TO = 64
DATA: tuple[bytes, ...] = tuple(b"sendtrail event %d" % i for i in range(2000))
LEAVES: list[bytes] = [leaf_hash(d) for d in DATA]


@functools.cache
def ref_root(size: int) -> bytes:
    """Reference MTH of the first ``size`` entries."""
    return ref_mth(DATA[:size])


@functools.cache
def full_log() -> MerkleLog:
    """A MerkleLog over a memory store holding all 2000 leaves, built by appends."""
    log = MerkleLog(MemorySubtreeStore())
    for h in LEAVES:
        log.append(h)
    return log


def flip(value: bytes, bit: int) -> bytes:
    """Return ``value`` with one bit inverted."""
    out = bytearray(value)
    out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)


def all_flips(value: bytes) -> list[bytes]:
    """Every single-bit corruption of ``value``."""
    return [flip(value, bit) for bit in range(len(value) * 8)]


def h(hexstr: str) -> bytes:
    """Decode a hex test vector."""
    return bytes.fromhex(hexstr)


# ======================================================================================
# Hashing basics
# ======================================================================================


def test_empty_tree_root_is_sha256_of_empty_string() -> None:
    expected = h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    assert root([]) == expected
    assert expected == EMPTY_ROOT
    assert ref_mth(()) == expected
    assert MerkleLog(MemorySubtreeStore()).root() == expected


def test_leaf_and_node_hashes_are_domain_separated() -> None:
    assert leaf_hash(b"abc") == hashlib.sha256(b"\x00abc").digest()
    left, right = b"L" * 32, b"R" * 32
    assert node_hash(left, right) == hashlib.sha256(b"\x01" + left + right).digest()
    assert leaf_hash(b"abc") == ref_mth((b"abc",))


def test_single_leaf_tree_root_is_the_leaf_hash() -> None:
    assert root([leaf_hash(b"only")]) == leaf_hash(b"only")


# ======================================================================================
# Exhaustive comparison with the reference, every size 1..300
# ======================================================================================


def test_roots_match_reference_for_every_size() -> None:
    log = full_log()
    for size in range(EXHAUSTIVE + 1):
        expected = ref_root(size)
        assert root(LEAVES[:size]) == expected, size
        assert log.root(size) == expected, size


def test_incremental_root_after_every_append_matches_reference() -> None:
    log = MerkleLog(MemorySubtreeStore())
    for size in range(1, EXHAUSTIVE + 1):
        assert log.append(LEAVES[size - 1]) == size - 1
        assert log.size == size
        assert log.root() == ref_root(size), size


def pure_indices(size: int) -> list[int]:
    """Indices at which the O(n)-per-call pure functions are compared with the reference.

    Every index for trees of up to PURE_EVERY_INDEX_UP_TO leaves; for larger trees the
    edges, the middle and the boundaries of each 64-leaf block (every index there would
    cost ~10 s per proof kind on a slow 2-core machine).  The pure functions and MerkleLog
    share the RFC range planning and differ only in how a range is hashed, and MerkleLog
    is checked at every index of every size.
    """
    if size <= PURE_EVERY_INDEX_UP_TO:
        return list(range(size))
    picked = {0, 1, size // 2, size - 2, size - 1}
    for block in range(64, size, 64):
        picked.update({block - 1, block})
    return sorted(picked)


# Sizes 1..300 in blocks of 50, one test item per block.
SIZE_BLOCKS = [range(lo, min(lo + 50, EXHAUSTIVE + 1)) for lo in range(1, EXHAUSTIVE + 1, 50)]
SIZE_BLOCK_IDS = [f"sizes-{block[0]}-{block[-1]}" for block in SIZE_BLOCKS]


@pytest.mark.parametrize("sizes", SIZE_BLOCKS, ids=SIZE_BLOCK_IDS)
def test_inclusion_proofs_match_reference_for_every_size_and_index(sizes: range) -> None:
    log = full_log()
    for size in sizes:
        tree_root = ref_root(size)
        data = DATA[:size]
        leaves = LEAVES[:size]
        expected = [ref_path(index, data) for index in range(size)]
        for index in range(size):
            assert log.inclusion_proof(index, size) == expected[index], (index, size)
            verify_inclusion(leaves[index], index, size, expected[index], tree_root)
        for index in pure_indices(size):
            assert inclusion_proof(index, size, leaves) == expected[index], (index, size)


@pytest.mark.parametrize("sizes", SIZE_BLOCKS, ids=SIZE_BLOCK_IDS)
def test_consistency_proofs_match_reference_for_every_size_and_old_size(sizes: range) -> None:
    log = full_log()
    for new_size in sizes:
        new_root = ref_root(new_size)
        data = DATA[:new_size]
        leaves = LEAVES[:new_size]
        expected = {old: ref_proof(old, data) for old in range(1, new_size + 1)}
        for old, proof in expected.items():
            assert log.consistency_proof(old, new_size) == proof, (old, new_size)
            verify_consistency(old, new_size, ref_root(old), new_root, proof)
        for old in pure_indices(new_size + 1)[1:]:  # old sizes 1..new_size
            assert consistency_proof(old, new_size, leaves) == expected[old], (old, new_size)


# ======================================================================================
# Published vectors: RFC 6962 test suite as used by Google certificate-transparency and
# transparency-dev/merkle (proof/verify_test.go).  Leaf indices below are 0-based.
# ======================================================================================

VECTOR_DATA = [
    h(""),
    h("00"),
    h("10"),
    h("2021"),
    h("3031"),
    h("40414243"),
    h("5051525354555657"),
    h("606162636465666768696a6b6c6d6e6f"),
]
VECTOR_LEAVES = [leaf_hash(d) for d in VECTOR_DATA]
VECTOR_ROOTS = [
    h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
    h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
    h("aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"),
    h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
    h("4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4"),
    h("76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef"),
    h("ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c"),
    h("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
]

INCLUSION_VECTORS: list[tuple[int, int, list[bytes]]] = [
    (0, 1, []),
    (
        0,
        8,
        [
            h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ],
    ),
    (
        5,
        8,
        [
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
            h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
    (2, 3, [h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")]),
    (
        1,
        5,
        [
            h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ],
    ),
]

CONSISTENCY_VECTORS: list[tuple[int, int, list[bytes]]] = [
    (1, 1, []),
    (
        1,
        8,
        [
            h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ],
    ),
    (
        6,
        8,
        [
            h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
    (
        2,
        5,
        [
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ],
    ),
    (
        6,
        7,
        [
            h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
]


@pytest.mark.parametrize("size", range(1, 9))
def test_published_roots(size: int) -> None:
    expected = VECTOR_ROOTS[size - 1]
    assert ref_mth(tuple(VECTOR_DATA[:size])) == expected  # the reference agrees
    assert root(VECTOR_LEAVES[:size]) == expected
    log = MerkleLog(MemorySubtreeStore())
    for leaf in VECTOR_LEAVES[:size]:
        log.append(leaf)
    assert log.root() == expected


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION_VECTORS)
def test_published_inclusion_proofs(index: int, size: int, proof: list[bytes]) -> None:
    assert ref_path(index, tuple(VECTOR_DATA[:size])) == proof  # the reference agrees
    assert inclusion_proof(index, size, VECTOR_LEAVES) == proof
    verify_inclusion(VECTOR_LEAVES[index], index, size, proof, VECTOR_ROOTS[size - 1])


@pytest.mark.parametrize(("old_size", "new_size", "proof"), CONSISTENCY_VECTORS)
def test_published_consistency_proofs(old_size: int, new_size: int, proof: list[bytes]) -> None:
    assert ref_proof(old_size, tuple(VECTOR_DATA[:new_size])) == proof  # the reference agrees
    assert consistency_proof(old_size, new_size, VECTOR_LEAVES) == proof
    old_root, new_root = VECTOR_ROOTS[old_size - 1], VECTOR_ROOTS[new_size - 1]
    verify_consistency(old_size, new_size, old_root, new_root, proof)


# ======================================================================================
# Tampering: every single-bit flip and every off-by-one must be rejected
# ======================================================================================

INCLUSION_CASES = [
    (index, size)
    for size in (1, 2, 3, 4, 5, 7, 8, 13, 64, 100, 255)
    for index in sorted({0, size // 2, size - 1})
]
CONSISTENCY_CASES = [
    (1, 2), (1, 8), (2, 5), (3, 7), (4, 6), (6, 8), (7, 8), (8, 13), (5, 64), (31, 64),
    (64, 100), (100, 255),
]  # fmt: skip


@pytest.mark.parametrize(("index", "size"), INCLUSION_CASES)
def test_inclusion_rejects_every_bit_flip(index: int, size: int) -> None:
    leaf, tree_root = LEAVES[index], ref_root(size)
    proof = inclusion_proof(index, size, LEAVES)
    verify_inclusion(leaf, index, size, proof, tree_root)
    for position, element in enumerate(proof):
        for bad in all_flips(element):
            tampered = [*proof[:position], bad, *proof[position + 1 :]]
            with pytest.raises(InclusionProofError):
                verify_inclusion(leaf, index, size, tampered, tree_root)
    for bad in all_flips(tree_root):
        with pytest.raises(InclusionProofError):
            verify_inclusion(leaf, index, size, proof, bad)
    for bad in all_flips(leaf):
        with pytest.raises(InclusionProofError):
            verify_inclusion(bad, index, size, proof, tree_root)


@pytest.mark.parametrize(("index", "size"), INCLUSION_CASES)
def test_inclusion_rejects_off_by_one_index(index: int, size: int) -> None:
    leaf, tree_root = LEAVES[index], ref_root(size)
    proof = inclusion_proof(index, size, LEAVES)
    for wrong_index in (index - 1, index + 1):
        with pytest.raises(InclusionProofError):
            verify_inclusion(leaf, wrong_index, size, proof, tree_root)


@pytest.mark.parametrize(("index", "size"), INCLUSION_CASES)
def test_inclusion_rejects_proof_for_neighbouring_checkpoint(index: int, size: int) -> None:
    # The realistic attack: the verifier trusts a signed checkpoint (size', root(size'))
    # and is handed a proof made for a neighbouring size.
    proof = inclusion_proof(index, size, LEAVES)
    for wrong_size in (size - 1, size + 1):
        with pytest.raises(InclusionProofError):
            verify_inclusion(LEAVES[index], index, wrong_size, proof, ref_root(wrong_size))


@pytest.mark.parametrize(("index", "size"), INCLUSION_CASES)
def test_inclusion_rejects_off_by_one_size_exactly_when_path_shape_differs(
    index: int, size: int
) -> None:
    # Keeping the root but changing only the size: RFC 9162 binds the size to the proof
    # only through the path's shape (which side each sibling is on, and how many), and
    # for most indices size +- 1 does not change it (leaf 0 of 5 vs of 6 leaves; across
    # sizes 1..300, 87,164 of the 90,300 (index, size +- 1) claims keep the shape).  The
    # signed checkpoint binds root to size.  Every claim whose shape differs is rejected.
    leaf, tree_root = LEAVES[index], ref_root(size)
    proof = inclusion_proof(index, size, LEAVES)
    for wrong_size in (size - 1, size + 1):
        same_shape = index < wrong_size and ref_path_shape(index, wrong_size) == ref_path_shape(
            index, size
        )
        if same_shape:
            verify_inclusion(leaf, index, wrong_size, proof, tree_root)
        else:
            with pytest.raises(InclusionProofError):
                verify_inclusion(leaf, index, wrong_size, proof, tree_root)


def test_inclusion_off_by_one_size_is_rejected_for_last_leaf() -> None:
    # For the newest leaf the shape always changes, so size +- 1 fails even with the root.
    for size in range(2, EXHAUSTIVE + 1):
        proof = inclusion_proof(size - 1, size, LEAVES)
        for wrong_size in (size - 1, size + 1):
            with pytest.raises(InclusionProofError):
                verify_inclusion(LEAVES[size - 1], size - 1, wrong_size, proof, ref_root(size))


@pytest.mark.parametrize(("old_size", "new_size"), CONSISTENCY_CASES)
def test_consistency_rejects_every_bit_flip(old_size: int, new_size: int) -> None:
    old_root, new_root = ref_root(old_size), ref_root(new_size)
    proof = consistency_proof(old_size, new_size, LEAVES)
    verify_consistency(old_size, new_size, old_root, new_root, proof)
    for position, element in enumerate(proof):
        for bad in all_flips(element):
            tampered = [*proof[:position], bad, *proof[position + 1 :]]
            with pytest.raises(ConsistencyProofError):
                verify_consistency(old_size, new_size, old_root, new_root, tampered)
    for bad in all_flips(old_root):
        with pytest.raises(ConsistencyProofError):
            verify_consistency(old_size, new_size, bad, new_root, proof)
    for bad in all_flips(new_root):
        with pytest.raises(ConsistencyProofError):
            verify_consistency(old_size, new_size, old_root, bad, proof)


def _neighbour_claims(old_size: int, new_size: int) -> list[tuple[int, int]]:
    return [
        (old_size - 1, new_size),
        (old_size + 1, new_size),
        (old_size, new_size - 1),
        (old_size, new_size + 1),
    ]


@pytest.mark.parametrize(("old_size", "new_size"), CONSISTENCY_CASES)
def test_consistency_rejects_proof_for_neighbouring_checkpoints(
    old_size: int, new_size: int
) -> None:
    proof = consistency_proof(old_size, new_size, LEAVES)
    for claimed_old, claimed_new in _neighbour_claims(old_size, new_size):
        old_root, new_root = ref_root(max(claimed_old, 0)), ref_root(claimed_new)
        with pytest.raises(ConsistencyProofError):
            verify_consistency(claimed_old, claimed_new, old_root, new_root, proof)


@pytest.mark.parametrize(("old_size", "new_size"), CONSISTENCY_CASES)
def test_consistency_rejects_off_by_one_sizes_exactly_when_proof_shape_differs(
    old_size: int, new_size: int
) -> None:
    # As for inclusion: with the roots kept, PROOF(4, D[5]) and PROOF(4, D[6]) have the
    # same shape, so the claim "4 -> 6" is indistinguishable by RFC 9162 verification
    # alone; the signed checkpoints bind roots to sizes.  Other claims are rejected.
    old_root, new_root = ref_root(old_size), ref_root(new_size)
    proof = consistency_proof(old_size, new_size, LEAVES)
    for claimed_old, claimed_new in _neighbour_claims(old_size, new_size):
        same_shape = 0 < claimed_old < claimed_new and ref_proof_shape(
            claimed_old, claimed_new
        ) == ref_proof_shape(old_size, new_size)
        if same_shape:
            verify_consistency(claimed_old, claimed_new, old_root, new_root, proof)
        else:
            with pytest.raises(ConsistencyProofError):
                verify_consistency(claimed_old, claimed_new, old_root, new_root, proof)


def test_off_by_one_size_shape_collisions_are_the_known_rfc_cases() -> None:
    # The two examples quoted above, verified end to end.
    assert ref_path_shape(0, 5) == ref_path_shape(0, 6)
    verify_inclusion(LEAVES[0], 0, 6, inclusion_proof(0, 5, LEAVES), ref_root(5))
    assert ref_proof_shape(4, 5) == ref_proof_shape(4, 6)
    verify_consistency(4, 6, ref_root(4), ref_root(5), consistency_proof(4, 5, LEAVES))


def test_consistency_rejects_swapped_roots_and_truncated_or_padded_proofs() -> None:
    old_root, new_root = ref_root(6), ref_root(8)
    proof = consistency_proof(6, 8, LEAVES)
    bad_inputs = [
        (new_root, old_root, proof),
        (old_root, new_root, proof[:-1]),
        (old_root, new_root, [*proof, new_root]),
        (old_root, new_root, [old_root, *proof]),
        (old_root, new_root, []),
    ]
    for old, new, bad_proof in bad_inputs:
        with pytest.raises(ConsistencyProofError):
            verify_consistency(6, 8, old, new, bad_proof)


# ======================================================================================
# Error reporting and argument validation
# ======================================================================================


def test_errors_are_typed_and_carry_a_reason() -> None:
    proof = inclusion_proof(3, 8, LEAVES)
    with pytest.raises(InclusionProofError) as too_long:
        verify_inclusion(LEAVES[3], 3, 8, [*proof, proof[0]], ref_root(8))
    assert "too long" in too_long.value.reason
    with pytest.raises(InclusionProofError) as too_short:
        verify_inclusion(LEAVES[3], 3, 8, proof[:-1], ref_root(8))
    assert "too short" in too_short.value.reason
    with pytest.raises(MerkleError) as bad_index:
        verify_inclusion(LEAVES[3], 8, 8, proof, ref_root(8))
    assert isinstance(bad_index.value, InclusionProofError)
    assert str(bad_index.value) == bad_index.value.reason
    assert issubclass(ConsistencyProofError, MerkleError)


@pytest.mark.parametrize(
    ("index", "size"), [(0, 0), (-1, 4), (4, 4), (5, 4)], ids=["empty", "neg", "eq", "gt"]
)
def test_verify_inclusion_rejects_indices_outside_the_tree(index: int, size: int) -> None:
    with pytest.raises(InclusionProofError):
        verify_inclusion(LEAVES[0], index, size, [], EMPTY_ROOT)


def test_verifiers_reject_hashes_of_the_wrong_length() -> None:
    leaf = LEAVES[0]
    with pytest.raises(InclusionProofError):
        verify_inclusion(leaf[:-1], 0, 1, [], leaf)
    with pytest.raises(InclusionProofError):
        verify_inclusion(leaf, 0, 1, [], leaf + b"\x00")
    with pytest.raises(InclusionProofError):
        verify_inclusion(LEAVES[0], 0, 2, [LEAVES[1][:16]], ref_root(2))
    with pytest.raises(ConsistencyProofError):
        verify_consistency(1, 2, ref_root(1), ref_root(2), [LEAVES[1] + b"\x00"])


def test_verify_consistency_equal_sizes_and_invalid_sizes() -> None:
    r3 = ref_root(3)
    verify_consistency(3, 3, r3, r3, [])
    with pytest.raises(ConsistencyProofError):
        verify_consistency(3, 3, r3, ref_root(4), [])  # same size, different roots
    with pytest.raises(ConsistencyProofError):
        verify_consistency(3, 3, r3, r3, [r3])  # same size, non-empty proof
    with pytest.raises(ConsistencyProofError):
        verify_consistency(0, 3, EMPTY_ROOT, r3, [])  # from the empty tree
    with pytest.raises(ConsistencyProofError):
        verify_consistency(4, 3, ref_root(4), r3, [])  # time travel


def test_proof_builders_reject_invalid_arguments() -> None:
    log = full_log()
    for bad_inclusion in [(0, 0), (-1, 3), (3, 3), (0, 2001)]:
        with pytest.raises(ValueError, match="tree"):
            inclusion_proof(*bad_inclusion, LEAVES)
        with pytest.raises(ValueError, match="tree"):
            log.inclusion_proof(*bad_inclusion)
    for bad_consistency in [(0, 3), (4, 3), (1, 2001)]:
        with pytest.raises(ValueError, match="size"):
            consistency_proof(*bad_consistency, LEAVES)
        with pytest.raises(ValueError, match="size"):
            log.consistency_proof(*bad_consistency)
    assert consistency_proof(7, 7, LEAVES) == []
    assert log.consistency_proof(7, 7) == []


# ======================================================================================
# MerkleLog storage behaviour
# ======================================================================================


class CountingStore(MemorySubtreeStore):
    """A memory store that counts reads and writes."""

    def __init__(self) -> None:
        """Create an empty store with zeroed counters."""
        super().__init__()
        self.gets = 0
        self.puts = 0

    def get(self, level: int, index: int) -> bytes | None:
        """Count and delegate."""
        self.gets += 1
        return super().get(level, index)

    def put(self, level: int, index: int, value: bytes) -> None:
        """Count and delegate."""
        self.puts += 1
        super().put(level, index, value)


def test_append_stores_every_completed_perfect_subtree() -> None:
    store = MemorySubtreeStore()
    log = MerkleLog(store)
    for leaf in LEAVES[:8]:
        log.append(leaf)
    assert sorted(store.nodes) == [
        *((0, i) for i in range(8)),
        *((1, i) for i in range(4)),
        (2, 0),
        (2, 1),
        (3, 0),
    ]
    assert store.nodes[(3, 0)] == ref_root(8)
    assert store.nodes[(2, 1)] == ref_mth(DATA[4:8])


def test_append_writes_are_amortised_constant_and_logarithmic_at_worst() -> None:
    store = CountingStore()
    log = MerkleLog(store)
    worst = 0
    for leaf in LEAVES[:1024]:
        before = store.puts
        log.append(leaf)
        worst = max(worst, store.puts - before)
    assert store.puts == 2 * 1024 - 1  # one write per node of the perfect 1024-leaf tree
    assert worst == 11  # leaf + 10 levels, when leaf 1023 completes the tree
    assert store.gets == 0  # appends never read back


def test_proofs_read_only_a_logarithmic_number_of_nodes() -> None:
    store = CountingStore()
    log = MerkleLog(store)
    for leaf in LEAVES[:1500]:
        log.append(leaf)
    for index, size in [(0, 1500), (777, 1500), (1499, 1500), (513, 1025)]:
        store.gets = 0
        log.inclusion_proof(index, size)
        assert store.gets <= 2 * size.bit_length()
    for old_size, new_size in [(1, 1500), (700, 1500), (1499, 1500), (1023, 1025)]:
        store.gets = 0
        log.consistency_proof(old_size, new_size)
        assert store.gets <= 2 * new_size.bit_length()
    store.gets = 0
    log.root(1337)
    assert store.gets == (1337).bit_count()


def test_log_can_be_reopened_over_its_store_and_keeps_appending() -> None:
    store = MemorySubtreeStore()
    first = MerkleLog(store)
    for leaf in LEAVES[:37]:
        first.append(leaf)
    reopened = MerkleLog(store, 37)
    assert reopened.root() == ref_root(37)
    for leaf in LEAVES[37:100]:
        reopened.append(leaf)
    assert reopened.root() == ref_root(100)
    assert reopened.root(37) == ref_root(37)
    assert reopened.inclusion_proof(36, 100) == ref_path(36, DATA[:100])


def test_missing_store_node_is_a_merkle_error() -> None:
    with pytest.raises(MerkleError, match="no node"):
        MerkleLog(MemorySubtreeStore(), 5)
    store = MemorySubtreeStore()
    log = MerkleLog(store)
    for leaf in LEAVES[:8]:
        log.append(leaf)
    del store.nodes[(1, 1)]
    with pytest.raises(MerkleError, match="level 1, index 1"):
        log.inclusion_proof(0, 8)


def test_log_rejects_bad_leaf_hash_and_sizes() -> None:
    log = MerkleLog(MemorySubtreeStore())
    with pytest.raises(ValueError, match="32 bytes"):
        log.append(b"short")
    with pytest.raises(ValueError, match="outside"):
        log.root(1)
    with pytest.raises(ValueError, match="non-negative"):
        MerkleLog(MemorySubtreeStore(), -1)


# ======================================================================================
# Property: MerkleLog over a memory store agrees with the pure functions, up to 2000
# ======================================================================================


def _verify_all(
    log: MerkleLog, leaves: Sequence[bytes], size: int, index: int, old_size: int
) -> None:
    tree_root = root(leaves[:size])
    assert log.root(size) == tree_root

    path = log.inclusion_proof(index, size)
    assert path == inclusion_proof(index, size, leaves)
    verify_inclusion(leaves[index], index, size, path, tree_root)

    proof = log.consistency_proof(old_size, size)
    assert proof == consistency_proof(old_size, size, leaves)
    verify_consistency(old_size, size, root(leaves[:old_size]), tree_root, proof)


@settings(max_examples=150, deadline=None, database=None)
@given(st.data())
def test_log_proofs_equal_pure_proofs_and_verify(data: st.DataObject) -> None:
    size = data.draw(st.integers(1, len(LEAVES)), label="size")
    index = data.draw(st.integers(0, size - 1), label="index")
    old_size = data.draw(st.integers(1, size), label="old_size")
    _verify_all(full_log(), LEAVES, size, index, old_size)


@settings(max_examples=25, deadline=None, database=None)
@given(st.integers(1, len(LEAVES)), st.data())
def test_freshly_built_log_of_random_size_agrees(size: int, data: st.DataObject) -> None:
    log = MerkleLog(MemorySubtreeStore())
    for leaf in LEAVES[:size]:
        log.append(leaf)
    assert log.root() == root(LEAVES[:size])
    index = data.draw(st.integers(0, size - 1), label="index")
    old_size = data.draw(st.integers(1, size), label="old_size")
    _verify_all(log, LEAVES[:size], size, index, old_size)


@pytest.mark.parametrize("size", [1, 2, 3, 7, 8, 13, 31])
def test_the_batch_verifier_agrees_with_verify_inclusion_on_every_proof(size: int) -> None:
    """InclusionVerifier reuses the nodes earlier proofs established; whatever it has seen,
    it accepts and refuses exactly what verify_inclusion does."""
    tree_root = ref_root(size)
    verifier = InclusionVerifier(size, tree_root)
    order = [*range(size - 1, -1, -2), *range(size - 2, -1, -2)]  # out of order, on purpose
    for index in [*order, *order]:  # and each leaf twice
        leaf, proof = LEAVES[index], inclusion_proof(index, size, LEAVES)
        verifier.verify(leaf, index, proof)
        tampered_proofs = [
            [*proof[:position], flipped, *proof[position + 1 :]]
            for position, element in enumerate(proof)
            for flipped in all_flips(element)[:3]
        ]
        shortened = [proof[:-1]] if proof else []
        for tampered in [*tampered_proofs, *shortened, [*proof, leaf]]:
            with pytest.raises(InclusionProofError):
                verify_inclusion(leaf, index, size, tampered, tree_root)
            with pytest.raises(InclusionProofError):
                verifier.verify(leaf, index, tampered)
        for bad_leaf in all_flips(leaf)[:3]:
            with pytest.raises(InclusionProofError):
                verifier.verify(bad_leaf, index, proof)
        other = (index + 1) % size
        if size > 1 and inclusion_proof(other, size, LEAVES) != proof:
            with pytest.raises(InclusionProofError):
                verifier.verify(leaf, other, proof)
    wrong_root = InclusionVerifier(size, all_flips(tree_root)[0])
    with pytest.raises(InclusionProofError):
        wrong_root.verify(LEAVES[0], 0, inclusion_proof(0, size, LEAVES))
