"""Reporting to management: the dashboard, the reports and their exports."""

from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/reports")

from app.reports import views  # noqa: E402,F401  - registers the routes on bp
