from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from app.accounts import services as accounts
from app.accounts.forms_auth import ChangePasswordForm, LoginForm
from app.core.forms import submit
from app.core.http import client_address, safe_next_url

bp = Blueprint("auth", __name__, template_folder="../templates")


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response:
    if current_user.is_authenticated:
        return redirect(safe_next_url(request.args.get("next")) or url_for("main.home"))
    form = LoginForm()
    user = None
    if form.validate_on_submit():
        user = submit(
            form, accounts.authenticate, form.email.data, form.password.data, client_address()
        )
    if user is not None:
        # A fresh session on sign-in: nothing carried over from before it.
        lang = session.get("lang")
        session.clear()
        if lang:
            session["lang"] = lang
        session.permanent = True
        login_user(
            user,
            remember=bool(form.remember.data),
            duration=current_app.config["REMEMBER_COOKIE_DURATION"],
        )
        if user.must_change_password:
            flash(_("Задайте новый пароль вместо временного."), "info")
            return redirect(url_for("auth.change_password"))
        return redirect(safe_next_url(request.args.get("next")) or url_for("main.home"))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["GET", "POST"])
def logout() -> str | Response:
    # A GET never signs anyone out: a link or an image on another site (with or without
    # Sec-Fetch-Site) could send it. It asks; only the POST, with its CSRF token, acts.
    if request.method == "GET":
        return render_template("auth/logout_confirm.html")
    if current_user.is_authenticated:
        # Rotating the token ends this account's sessions everywhere, copies included.
        accounts.end_all_sessions(current_user._get_current_object())
    logout_user()
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    flash(_("Вы вышли из системы."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password() -> str | Response:
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        changed = submit(
            form,
            accounts.change_own_password,
            user,
            form.current_password.data,
            form.new_password.data,
        )
        if changed is not None:
            # Other sessions died with the old token; keep this one signed in.
            login_user(user)
            flash(_("Пароль изменён. Другие сеансы завершены."), "success")
            return redirect(url_for("main.home"))
    return render_template("auth/change_password.html", form=form)
