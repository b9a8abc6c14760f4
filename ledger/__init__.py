"""Tamper-evident storage primitives for sendtrail (Merkle log, proofs)."""
