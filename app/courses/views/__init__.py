"""Course pages: the teacher's side (learn) and the methodist's (manage)."""

from flask import Blueprint

bp = Blueprint("courses", __name__, template_folder="../templates")

from app.courses.views import learn, manage  # noqa: E402,F401  - registers the routes on bp
