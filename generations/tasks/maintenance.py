"""Tasks: maintenance."""
