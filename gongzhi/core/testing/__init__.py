"""Helpers shared by the test suites of every app (L0: imports nothing from other gongzhi apps)."""
