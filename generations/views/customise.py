"""Pages: customise."""
