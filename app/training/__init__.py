from flask import Blueprint

bp = Blueprint("training", __name__)

from app.training import views  # noqa: E402,F401  - registers the routes on bp
