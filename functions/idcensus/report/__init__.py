"""The admin's report: one self-contained HTML page per run (sections.py: what; html.py: how it looks)."""
