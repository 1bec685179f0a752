"""Read-side queries of the person service over its read models (never inline in routes)."""
