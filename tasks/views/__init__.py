"""Task and note pages, by area (tasks.urls names each view)."""
