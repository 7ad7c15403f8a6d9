"""The dashboard and the reports. Views parse the query string, call the report service,
then render a page or stream the same rows to a file."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, render_template, request
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import Select
from werkzeug.wrappers import Response

from app import permissions
from app.core import exports
from app.core.http import page_arg
from app.extensions import login_manager
from app.reports import charts, tables
from app.reports import queries as reports
from app.reports.filters import Parser, people_filters, presets, show_date
from app.training.register import RegisterStatus

DEFAULT_PER_PAGE = 50


bp = Blueprint("reports", __name__, url_prefix="/reports", template_folder="templates")


@bp.before_request
def require_reader() -> Response | None:
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not permissions.can_view_reports(current_user):
        abort(404)
    return None


def _user() -> Any:
    return current_user._get_current_object()


def _per_page() -> int:
    return int(current_app.config.get("REPORTS_PER_PAGE", DEFAULT_PER_PAGE))


def _period_stem(name: str, period: reports.Period) -> str:
    return f"{name}-{period.start.isoformat()}-{period.end.isoformat()}"


CSV_SEPARATORS = {"semicolon": ";", "comma": ",", "tab": "\t"}


def _export(fmt: str, stem: str, table: tables.Table, rows: Any, title: str) -> Response:
    """``rows`` streamed as XLSX or CSV (``?sep=comma|tab`` for a CSV not meant for Excel)."""
    separator = CSV_SEPARATORS.get(request.args.get("sep", ""), ";")
    return exports.export_response(
        fmt,
        stem,
        table.columns,
        (table.row(r) for r in rows),
        delimiter=separator,
        tz=current_app.config["TIMEZONE"],
        sheet_title=title,
    )


def _page_or_file(
    parser: Parser,
    *,
    template: str,
    title: str,
    stem: str,
    table: tables.Table,
    query: Select[Any] | None,
    **context: Any,
) -> str | Response:
    """The same query and table either paged onto the screen or streamed, whole, to a file."""
    fmt = parser.export_format()
    if fmt and query is not None:
        return _export(fmt, stem, table, reports.stream(query), title)
    page = reports.paginate(query, page_arg(), _per_page()) if query is not None else None
    return render_template(
        template,
        title=title,
        table=table,
        page=page,
        rows=[table.screen_row(r) for r in page.items] if page else [],
        notices=parser.notices,
        **context,
    )


@bp.app_template_filter("report_number")
def report_number(value: Any) -> str:
    if value is None:
        return "—"
    return format_decimal(value)


@bp.app_template_global("report_home_figures")
def report_home_figures() -> reports.HomeFigures | None:
    """Key figures for the manager's home page (None for anyone who may not see reports)."""
    if not permissions.can_view_reports(current_user):
        return None
    return reports.home_figures(_user(), reports.today())


def filter_args(filters: reports.ReportFilters, *, period: bool = True) -> dict[str, Any]:
    """The filters as checked, for links that carry them to another report."""
    args: dict[str, Any] = {}
    if period:
        args["from"] = filters.period.start.isoformat()
        args["to"] = filters.period.end.isoformat()
    for name, value in (
        ("org", filters.organization_id),
        ("subject", filters.subject_id),
        ("ma", filters.association_id),
    ):
        if value:
            args[name] = value
    return args


def _common(parser: Parser, *, period: bool = True) -> tuple[reports.ReportFilters, dict[str, Any]]:
    options = reports.filter_options()
    day = reports.today()
    filters = people_filters(parser, options, day, period=period)
    context = {
        "filters": filters,
        "filter_args": filter_args(filters, period=period),
        "options": options,
        "today": day,
        "presets": presets(day),
        "show_date": show_date,
    }
    return filters, context


# --- the dashboard -----------------------------------------------------------------------


@bp.route("/")
def dashboard() -> str:
    parser = Parser(request.args)
    filters, context = _common(parser)
    step = parser.step(filters.period)
    data = reports.build_dashboard(_user(), filters, context["today"], step)
    return render_template(
        "reports/dashboard.html",
        data=data,
        step=step,
        charts=charts.dashboard_charts(data),
        bucket_label=charts.bucket_label,
        status_labels=tables.register_status_labels(),
        statuses=list(RegisterStatus),
        notices=parser.notices,
        **context,
    )


# --- the reports ---------------------------------------------------------------------------


@bp.route("/completions")
def completions() -> str | Response:
    parser = Parser(request.args)
    filters, context = _common(parser)
    kind = parser.choice(
        "kind",
        reports.COMPLETION_KINDS,
        "",
        _("Неизвестный вид обучения — показаны все."),
    )
    sort = parser.sort(reports.COMPLETION_SORTS, "date")
    return _page_or_file(
        parser,
        template="reports/completions.html",
        title=_("Прохождение обучения"),
        stem=_period_stem(_("прохождение-обучения"), filters.period),
        table=tables.completions_table(current_app.config["CERTIFICATE_ISSUER"]),
        query=reports.completions_query(_user(), filters, kind, sort),
        kind=kind,
        kinds=tables.completion_kind_labels(),
        sort=sort,
        **context,
    )


@bp.route("/register")
def register() -> str | Response:
    parser = Parser(request.args)
    filters, context = _common(parser, period=False)
    labels = tables.register_status_labels()
    status = parser.choice("status", labels, "", _("Неизвестный статус — показаны все педагоги."))
    due = parser.due_months()
    q = parser.text("q")
    sort = parser.sort(reports.REGISTER_SORTS, "name")
    day = context["today"]
    register_filters = filters.register_filters(status=status, due_within_months=due, q=q)
    counting = filters.register_filters(due_within_months=due, q=q)
    return _page_or_file(
        parser,
        template="reports/register.html",
        title=_("Реестр повышения квалификации"),
        stem=_("реестр-пк-%(day)s", day=day.isoformat()),
        table=tables.register_table(day.year),
        query=reports.register_query(_user(), register_filters, day, sort),
        status=status,
        due=due,
        q=q,
        # Only a page shows the counts, so an export does not compute them.
        counts=lambda: reports.register_counts(_user(), counting, day),
        status_labels=labels,
        status_badges=tables.STATUS_BADGES,
        sort=sort,
        **context,
    )


@bp.route("/module-access")
def module_access() -> str | Response:
    parser = Parser(request.args)
    filters, context = _common(parser)
    courses = reports.course_options(_user())
    course_id = parser.known_id(
        "course", {c.id for c in courses}, _("Курс не найден — выберите курс из списка.")
    )
    modules = reports.course_modules(course_id) if course_id else []
    module_id = parser.known_id(
        "module",
        {m.id for m in modules},
        _("Модуль не найден в этом курсе — показаны все модули."),
    )
    sort = parser.sort(reports.MODULE_ACCESS_SORTS, "module")
    numbers = {m.id: n for n, m in enumerate(modules, 1)}
    course = next((c for c in courses if c.id == course_id), None)
    return _page_or_file(
        parser,
        template="reports/module_access.html",
        title=_("Обращения к модулям курса"),
        stem=_period_stem(_("обращения-к-модулям-%(id)s", id=course_id), filters.period),
        table=tables.module_access_table(numbers),
        query=(
            reports.module_access_query(_user(), course_id, filters, module_id, sort)
            if course_id
            else None
        ),
        courses=courses,
        course=course,
        modules=modules,
        numbers=numbers,
        module_id=module_id,
        sort=sort,
        **context,
    )


@bp.route("/materials")
def materials() -> str | Response:
    parser = Parser(request.args)
    filters, context = _common(parser)
    filters.association_id = None  # a material has no association; the form offers none
    sort = parser.sort(reports.MATERIAL_SORTS, "downloads")
    by_org = tables.material_organizations_table()
    by_org_query = reports.downloads_by_organization(_user(), filters)
    title = _("Использование материалов")
    if parser.args.get("part") == "organizations":
        fmt = parser.export_format()
        if fmt:
            return _export(
                fmt,
                _period_stem(_("скачивания-по-организациям"), filters.period),
                by_org,
                reports.stream(by_org_query),
                _("По организациям"),
            )
    return _page_or_file(
        parser,
        template="reports/materials.html",
        title=title,
        stem=_period_stem(_("использование-материалов"), filters.period),
        table=tables.materials_table(),
        query=reports.materials_query(_user(), filters, sort),
        by_org=by_org,
        by_org_rows=lambda: [by_org.row(r) for r in reports.stream(by_org_query)],
        show_by_org=parser.args.get("part") == "organizations",
        sort=sort,
        **context,
    )


@bp.route("/organizations")
def organizations() -> str | Response:
    parser = Parser(request.args)
    filters, context = _common(parser)
    sort = parser.sort(reports.ORGANIZATION_SORTS, "name")
    status_on = reports.status_day(filters.period, context["today"])
    return _page_or_file(
        parser,
        template="reports/organizations.html",
        title=_("Сводка по организациям"),
        stem=_period_stem(_("сводка-по-организациям"), filters.period),
        table=tables.organizations_table(status_on),
        query=reports.organizations_query(_user(), filters, context["today"], sort),
        status_on=status_on,
        sort=sort,
        **context,
    )


def report_links() -> list[tuple[str, str]]:
    return [
        ("reports.dashboard", _("Сводка")),
        ("reports.completions", _("Прохождение обучения")),
        ("reports.register", _("Реестр")),
        ("reports.module_access", _("Обращения к модулям")),
        ("reports.materials", _("Материалы")),
        ("reports.organizations", _("Организации")),
    ]


@bp.context_processor
def _report_nav() -> dict[str, Any]:
    return {"report_links": report_links}
