"""Reporting to management: the dashboard, the reports and their exports."""
