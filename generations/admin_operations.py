"""Admin: operations."""
