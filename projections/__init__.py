"""sendtrail projections layer."""
