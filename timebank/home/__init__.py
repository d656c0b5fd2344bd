"""The first page after signing in, one per role."""
