"""Pages: operations."""
