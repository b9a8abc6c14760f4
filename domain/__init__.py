"""The child's SEN record as an event-sourced aggregate (stdlib + eventsourcing only)."""
