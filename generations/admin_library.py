"""Admin: library."""
