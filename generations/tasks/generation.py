"""Tasks: generation."""
