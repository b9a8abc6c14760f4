"""sendtrail exporters layer."""
