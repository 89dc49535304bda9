"""Helpers shared by the test modules: servers, parties, SDPs, call set-ups (no tests here)."""
