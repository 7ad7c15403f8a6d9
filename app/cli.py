"""The flask commands (kebab-case)."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext

from app.models import Role
from app.services import accounts, demo, directory
from app.services.errors import ValidationError


@click.command("create-user")
@click.argument("email")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option(
    "--password", required=True, help="At least 8 characters, not only letters or digits."
)
@click.option("--name", "full_name", required=True, help='"Фамилия Имя Отчество"')
@click.option("--org", "organization", default=None, help="Short or full name of an organization.")
@click.option("--position", default="", help="Position, e.g. «учитель математики».")
@with_appcontext
def create_user_command(
    email: str, role: str, password: str, full_name: str, organization: str | None, position: str
) -> None:
    """Create an account."""
    try:
        last, first, patronymic = accounts.split_full_name(full_name)
        org_id = None
        if organization:
            org = directory.organization_lookup().get(" ".join(organization.split()).casefold())
            if org is None:
                raise ValidationError(f"Организация «{organization}» не найдена.")
            org_id = org.id
        user = accounts.create_user(
            accounts.UserData(
                email=email,
                last_name=last,
                first_name=first,
                patronymic=patronymic,
                position=position,
                role=role,
                organization_id=org_id,
            ),
            password,
        )
    except ValidationError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Создан пользователь {user.email} ({user.role}), id={user.id}")


@click.command("seed-demo")
@with_appcontext
def seed_demo_command() -> None:
    """Fill the database with a demo district (safe to run again)."""
    report = demo.seed_demo()
    for line in report.lines:
        click.echo(line)
    click.echo("")
    click.echo(f"Демо-учётные записи (пароль у всех: {demo.DEMO_PASSWORD}):")
    for role, email in report.logins:
        click.echo(f"  {role:<12} {email}")


def register_commands(app: Flask) -> None:
    app.cli.add_command(create_user_command)
    app.cli.add_command(seed_demo_command)
