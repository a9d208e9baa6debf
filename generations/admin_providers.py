"""Admin: providers."""
