"""Courses: the builder and registers (views_manage) and the teacher's side (views_learn)."""

from flask import Blueprint

bp = Blueprint("courses", __name__)

from app.courses import views_learn, views_manage  # noqa: E402,F401  - registers the routes on bp
