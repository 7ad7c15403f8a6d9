"""Course pages: the teacher's side (learn), the public check (verify), and the course
staff's (manage_*: courses, modules, enrolments, progress, the register of documents).
"""

from flask import Blueprint

bp = Blueprint("courses", __name__, template_folder="../templates")

from app.courses.views import (  # noqa: E402,F401  - registers the routes on bp
    common,
    learn,
    manage_courses,
    manage_enrollments,
    manage_modules,
    manage_progress,
    manage_registers,
    verify,
)
