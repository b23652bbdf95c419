"""Build a searchable index of a sales-content library (markdown files)."""
