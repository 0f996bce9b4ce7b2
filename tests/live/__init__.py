"""Proof under fire (issue 7): real gunicorn servers fuzzed, doubled, broken and loaded."""
