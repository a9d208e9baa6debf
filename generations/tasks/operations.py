"""Tasks: operations."""
