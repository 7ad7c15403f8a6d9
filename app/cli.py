"""The flask commands (kebab-case)."""

from __future__ import annotations

import signal
import threading
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from app.accounts import directory
from app.accounts import services as accounts
from app.accounts.models import Role
from app.core import consistency
from app.core.errors import ValidationError
from app.demo import seed as demo
from app.materials import bulk_import
from app.search import indexing
from content_store import StorageError


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
    if current_app.config.get("ENV_NAME") == "production":
        # The demo admin's password is printed in the README: never on a real site.
        raise click.ClickException(
            "Демо-данные не создаются при APP_ENV=production: демо-администратор"
            " получил бы опубликованный пароль. Для рабочего сайта создайте"
            " администратора командой create-user."
        )
    report = demo.seed_demo()
    for line in report.lines:
        click.echo(line)
    click.echo("")
    click.echo(f"Демо-учётные записи (пароль у всех: {demo.DEMO_PASSWORD}):")
    for role, email in report.logins:
        click.echo(f"  {role:<12} {email}")


@click.command("storage-check")
@click.option("--fix", is_flag=True, help="Remove orphan objects older than an hour.")
@click.option("--no-verify", is_flag=True, help="Skip re-hashing every object.")
@with_appcontext
def storage_check_command(fix: bool, no_verify: bool) -> None:
    """Compare the file store with the database."""
    try:
        report = consistency.check_storage(fix=fix, verify=not no_verify)
    except StorageError as exc:
        raise click.ClickException(f"Хранилище недоступно: {exc}") from exc
    click.echo(f"Объектов в хранилище: {report.objects}; строк файлов в базе: {report.rows}")
    for key in report.orphans:
        click.echo(f"  без строки в базе: {key}" + (" — удалён" if key in report.removed else ""))
    for key in report.young_orphans:
        click.echo(f"  без строки в базе (моложе часа, не трогаем): {key}")
    for file_id, key in report.missing:
        click.echo(f"  НЕТ БАЙТОВ: файл id={file_id} ссылается на {key}")
    for file_id, key in report.corrupted:
        click.echo(f"  КОНТРОЛЬНАЯ СУММА НЕ СОВПАДАЕТ: файл id={file_id}, {key}")
    if fix:
        click.echo(f"Удалено объектов-сирот: {len(report.removed)}.")
    if report.missing or report.corrupted or (report.orphans and not fix):
        raise SystemExit(1)
    click.echo("Ссылок на отсутствующие или повреждённые файлы нет.")


@click.command("import-materials")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--manifest", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--publish", is_flag=True, help="Publish at once instead of leaving drafts.")
@click.option("--by", "by_email", default=None, help="E-mail of the uploading methodist.")
@with_appcontext
def import_materials_command(
    folder: Path, manifest: Path | None, publish: bool, by_email: str | None
) -> None:
    """Import a folder of files (sub-folders become collections)."""
    try:
        actor = bulk_import.find_actor(by_email)
        files = bulk_import.list_files(folder)
        with click.progressbar(length=len(files), label="Импорт", show_pos=True) as bar:
            report = bulk_import.import_folder(
                folder,
                actor,
                manifest=manifest,
                publish=publish,
                on_file=lambda _path: bar.update(1),
            )
    except ValidationError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"Импортировано: {len(report.imported)}, уже было: {len(report.skipped)}, "
        f"не поддерживается: {len(report.unsupported)}, ошибок: {len(report.failed)}"
    )
    for rel, reason in report.unsupported:
        click.echo(f"  пропущен {rel}: {reason}")
    for rel, reason in report.failed:
        click.echo(f"  ошибка {rel}: {reason}")


@click.command("reindex")
@with_appcontext
def reindex_command() -> None:
    """Rebuild the search index from the database (searches keep working meanwhile)."""
    count = indexing.reindex()
    click.echo(f"Индекс перестроен: документов {count}.")


@click.command("index-worker")
@click.option("--once", is_flag=True, help="Apply what is queued now and exit.")
@click.option("--idle", default=1.0, show_default=True, help="Seconds to wait when idle.")
@with_appcontext
def index_worker_command(once: bool, idle: float) -> None:
    """Apply queued index work in order (run exactly one in production)."""
    if once:
        click.echo(
            f"Применено заданий: {indexing.drain()}; ждут повтора: {indexing.pending_count()}."
        )
        return
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    click.echo("Обработчик индекса запущен (Ctrl+C — остановить).")
    try:
        indexing.run_worker(current_app._get_current_object(), stop, idle_seconds=idle)
    except KeyboardInterrupt:
        stop.set()


def register_commands(app: Flask) -> None:
    app.cli.add_command(create_user_command)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(storage_check_command)
    app.cli.add_command(import_materials_command)
    app.cli.add_command(reindex_command)
    app.cli.add_command(index_worker_command)
