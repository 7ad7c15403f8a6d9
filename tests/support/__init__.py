"""Helpers shared by test suites; free of Flask so library tests can use them too."""
