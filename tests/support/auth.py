"""The ``auth`` helper of the app suite (flaskr's AuthActions): sign in as a role."""

from __future__ import annotations

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.factories import PASSWORD, make_user

_NAMES = {
    "teacher": ("Учителева", "Анна", "Петровна"),
    "methodist": ("Методистова", "Мария", "Ивановна"),
    "manager": ("Руководителев", "Павел", "Сергеевич"),
    "admin": ("Админова", "Ольга", "Викторовна"),
}


class AuthActions:
    """``auth.login("methodist")`` creates that role's user once and signs the client in."""

    def __init__(self, client: FlaskClient) -> None:
        self._client = client
        self.users: dict[str, object] = {}
        self.user = None

    def login(self, role: str = "teacher", *, user=None, password: str = PASSWORD):  # type: ignore[no-untyped-def]
        if user is None:
            user = self.users.get(role)
            if user is None:
                user = make_user(
                    role, email=f"{role}@auth-fixture.ru", name=_NAMES.get(role, _NAMES["teacher"])
                )
                self.users[role] = user
        response = self._client.post(
            "/login", data={"email": user.email, "password": password}, follow_redirects=False
        )
        assert response.status_code == 302, f"sign-in as {role} failed: {response.status_code}"
        self.user = user
        return user

    def logout(self) -> TestResponse:
        self.user = None
        return self._client.post("/logout", follow_redirects=False)
