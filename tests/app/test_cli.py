"""The flask commands of the public surface."""

from __future__ import annotations

from sqlalchemy import func, select

from app.accounts.models import MethodicalAssociation, Organization, Role, Subject, User
from app.demo import seed as demo
from app.extensions import db
from tests.factories import make_org


def count(model, *where) -> int:  # type: ignore[no-untyped-def]
    return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def test_create_user_command(runner):
    make_org("МБОУ СОШ № 9")
    result = runner.invoke(
        args=[
            "create-user",
            "Head@Example.ru",
            "--role",
            "manager",
            "--password",
            "strong-pass-9",
            "--name",
            "Начальникова Ирина Сергеевна",
            "--org",
            "мбоу сош № 9",
        ]
    )
    assert result.exit_code == 0, result.output
    user = db.session.execute(select(User).where(User.email == "head@example.ru")).scalar_one()
    assert user.role == Role.MANAGER
    assert user.patronymic == "Сергеевна"
    assert user.organization.short_name == "МБОУ СОШ № 9"
    assert user.check_password("strong-pass-9")


def test_create_user_command_errors_are_clear_and_write_nothing(runner):
    cases = [
        (
            ["bad-email", "--role", "teacher", "--password", "strong-pass-9", "--name", "А Б"],
            "Некорректный адрес",
        ),
        (["a@b.ru", "--role", "teacher", "--password", "short", "--name", "А Б"], "не короче"),
        (
            ["a@b.ru", "--role", "teacher", "--password", "strong-pass-9", "--name", "Один"],
            "фамилию и имя",
        ),
        (
            [
                "a@b.ru",
                "--role",
                "teacher",
                "--password",
                "strong-pass-9",
                "--name",
                "А Б",
                "--org",
                "Нет такой",
            ],
            "не найдена",
        ),
        (["a@b.ru", "--role", "king", "--password", "strong-pass-9", "--name", "А Б"], "king"),
    ]
    for args, message in cases:
        result = runner.invoke(args=["create-user", *args])
        assert result.exit_code != 0
        assert message in result.output
    assert count(User) == 0


def test_create_user_command_refuses_duplicate(runner):
    args = [
        "create-user",
        "dup@b.ru",
        "--role",
        "teacher",
        "--password",
        "strong-pass-9",
        "--name",
        "А Б",
    ]
    assert runner.invoke(args=args).exit_code == 0
    result = runner.invoke(args=args)
    assert result.exit_code != 0 and "уже есть" in result.output
    assert count(User) == 1


def test_seed_demo_builds_the_district_and_is_idempotent(runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "admin@rmk-demo.ru" in result.output and demo.DEMO_PASSWORD in result.output
    figures = {
        "orgs": count(Organization),
        "teachers": count(User, User.role == Role.TEACHER),
        "methodists": count(User, User.role == Role.METHODIST),
        "managers": count(User, User.role == Role.MANAGER),
        "admins": count(User, User.role == Role.ADMIN),
        "subjects": count(Subject),
        "associations": count(MethodicalAssociation),
    }
    assert figures == {
        "orgs": 6,
        "teachers": 40,
        "methodists": 3,
        "managers": 1,
        "admins": 1,
        "subjects": len(demo.SUBJECTS),
        "associations": len(demo.ASSOCIATIONS),
    }
    names = db.session.execute(select(User.last_name, User.first_name, User.patronymic)).all()
    assert len(set(names)) >= 38  # real-looking and varied, not "Teacher 1"
    assert all(last and first and patronymic for last, first, patronymic in names)
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert count(User) == 45 and count(Organization) == 6
    teacher = db.session.execute(
        select(User).where(User.email == "teacher@rmk-demo.ru")
    ).scalar_one()
    assert teacher.check_password(demo.DEMO_PASSWORD)
    assert teacher.organization is not None and teacher.subjects


def test_seed_demo_refuses_under_production_and_writes_nothing(app, monkeypatch, tmp_path):
    from app import create_app

    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "production-secret-for-the-test")
    monkeypatch.setenv("DATABASE_URL", app.config["SQLALCHEMY_DATABASE_URI"])
    monkeypatch.setenv("STORAGE_URL", f"file://{tmp_path / 'storage'}")
    monkeypatch.setenv("SEARCH_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    production = create_app()
    with production.app_context():  # else the command would run in the test app's context
        try:
            result = production.test_cli_runner().invoke(args=["seed-demo"])
        finally:
            db.engine.dispose()
    assert result.exit_code == 1
    assert "не создаются при APP_ENV=production" in result.output
    assert demo.DEMO_PASSWORD not in result.output
    assert count(User) == 0 and count(Organization) == 0
