"""The JSON API of tasks, notes and tags under /api/v1/."""
