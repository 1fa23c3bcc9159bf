"""Thin Lambda entry points: parse, read settings, call one pipeline function."""
