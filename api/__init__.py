"""sendtrail api layer."""
