"""Every invariant the domain enforces, as examples: accepted, refused, and nothing
stored, one module per section of the aggregate (domain/child.py)."""
