"""Benchmark: the dashboard and the reports at district scale, and a 200,000-row XLSX export.

    .venv/bin/python bench/reports.py [--quick] [--pg-url URL] [--runs N]
                                      [--export-rows N] [--explain] [--keep]

The goal (from the issue): with 20,000 teachers, 200 courses, 100,000 completions,
50,000 external records and 5 million access events, the dashboard and each
report's first page in under 500 ms (median, warm); a 200,000-row XLSX export
streams with the site process's memory growing by less than 100 MB; aggregation
happens in SQL, not in Python loops.

What it does:

* creates a PostgreSQL database of its own, ``bench_reports_<pid>`` on the server
  of ``--pg-url`` (dropped at the end, also on failure, Ctrl-C or SIGTERM), and
  builds the schema with the app's migrations inside
  ``create_app(TestConfig(instance_path=<tmp>), SQLALCHEMY_DATABASE_URI=…)``;
* generates the data with bulk loads, foreign-key triggers off while loading:
  ``COPY`` through psycopg for what is built in Python (40 organizations, 20,000
  teachers sharing one precomputed password hash, a manager and a methodist,
  subjects, 200 published courses of 10 modules, about 120,000 enrolments whose
  course popularity falls off as 1/(rank + 10), 100,000 completions with their
  certificates, ``completed_on`` local dates spread over four years, 50,000
  external records, 90 % verified, ``ends_on`` over four years, 2,000 materials
  with one file each), then ``INSERT … SELECT`` over ``generate_series`` inside
  PostgreSQL for module progress (every module of a completed enrolment, a few of
  the others) and the 5,000,000 access events (module_open 30 %, module_time
  25 %, material_view 30 %, file_download 15 %; ``at`` spread over two years in
  id order, as they are appended; module events belong to an enrolment, so user,
  course and module agree; material events favour popular materials). The
  secondary indexes of ``access_events`` are dropped for the load and built again
  from their own definitions; then ``VACUUM ANALYZE`` and ``CHECKPOINT``.
  ``--quick``: 2,000 teachers, 20 courses, 10,000 completions, 5,000 external
  records, 300,000 events, 500 materials;
* signs in as the manager with Flask's test client, in process, each request in an
  app context of its own as in a server, warms each page up with 2 requests and
  then times the pages in turns (15 runs, ``--quick`` 7): ``/reports/`` (the
  dashboard, default period: this year), ``/reports/completions``,
  ``/reports/register``, ``/reports/module-access?course=<the most popular
  course>``, ``/reports/materials`` and ``/reports/organizations``, all with
  their default filters; median and p95 (nearest rank) per page;
* requests each page 3 more times with every statement timed (SQLAlchemy cursor
  listeners): statements per page, time in SQL, the slowest statement, and the
  rows the page fetched into Python -- a page that aggregated in Python would
  fetch the facts themselves (≥ 100,000 rows); ``goal_sql_aggregation_ok`` says
  no page fetched more than 2,000. A statement streamed through a server-side
  cursor (``yield_per``) fetches its rows after the listener has seen it, so it
  is run once more on an ordinary cursor to count its time and rows. The plan of
  the slowest statement of the slowest page is printed (``EXPLAIN (ANALYZE,
  BUFFERS)``); ``--explain`` prints it for every page;
* for the export, makes sure the completions report of the longest period the
  site allows (five years) holds ``--export-rows`` rows (default 200,000,
  ``--quick`` 50,000): the base data holds about 145,000 there (completions and
  verified external records), so verified external records (``source='import'``;
  completions are unique per teacher and course) are added first, and it says
  how many; then runs
  the real site in a separate process (``gunicorn -w 1`` with ``APP_ENV=
  development`` and ``DATABASE_URL`` pointing at the bench database), signs in
  over HTTP (CSRF token from the form), warms it up with a page and a small
  export, and downloads ``/reports/completions?from=…&to=…&format=xlsx`` (then
  the same as CSV) to disk while sampling the worker's VmRSS every 50 ms (and its
  VmHWM, reset first). The rows in the file are counted from the sheet's XML.
  Growth = peak minus the RSS just before the download. The database server's
  own memory is not the site's and is not counted.

Other processes on the machine show up in every figure: the load average before
and after the measurements is printed beside them.

Times are milliseconds; MB means MiB. The last line printed is ``key=value`` pairs.
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import logging
import os
import random
import secrets
import shutil
import statistics
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select, text
from sqlalchemy.engine import Engine
from werkzeug.security import generate_password_hash

from app import create_app
from app.extensions import db
from bench.pg_support import BenchClient, PgDatabase, PgLoader, folded, log
from bench.storage import Client, ProcessWatch, Site, rss_mb, terminated_as_interrupt
from config import TestConfig

GOAL_PAGE_MS = 500.0
GOAL_EXPORT_GROWTH_MB = 100.0
MAX_ROWS_TO_PYTHON = 2000  # per page; aggregating in Python would fetch ≥ 100,000
SHOWN_SHARE = 0.05  # statements listed per page: at least this share of its SQL time

PASSWORD = "bench-pass-1"
MANAGER_EMAIL = "manager@bench.ru"
METHODIST_EMAIL = "methodist@bench.ru"
MANAGER_ID = 1
METHODIST_ID = 2
FIRST_TEACHER_ID = 3

DAY = 86_400
HISTORY_DAYS = 4 * 365  # completions and external records
EVENT_DAYS = 2 * 365  # access events
PROFILE_REQUESTS = 3
WARMUP_REQUESTS = 2
EVENT_CHUNK = 1_000_000
ENROLMENTS_PER_COMPLETION = 1.3
VERIFIED_SHARE = 0.9
COURSE_RANK_OFFSET = 10  # popularity of the course of rank r: 1 / (r + 10)


@dataclass(frozen=True)
class Scale:
    teachers: int
    organizations: int
    courses: int
    modules: int
    completions: int
    external: int
    events: int
    materials: int
    runs: int
    export_rows: int


FULL = Scale(20_000, 40, 200, 10, 100_000, 50_000, 5_000_000, 2_000, 15, 200_000)
QUICK = Scale(2_000, 40, 20, 10, 10_000, 5_000, 300_000, 500, 7, 50_000)


# --- names and texts ----------------------------------------------------------------------


def words(value: str, separator: str | None = None) -> tuple[str, ...]:
    return tuple(value.split(separator))


LAST_NAMES = words(
    "Иванов Смирнов Кузнецов Попов Васильев Петров Соколов Михайлов Новиков Фёдоров Морозов "
    "Волков Алексеев Лебедев Семёнов Егоров Павлов Козлов Степанов Николаев Орлов Андреев "
    "Макаров Никитин Захаров Зайцев Соловьёв Борисов Яковлев Григорьев Романов Воробьёв "
    "Сергеев Кузьмин Фролов Александров Дмитриев Королёв Гусев Киселёв Ильин Максимов Поляков "
    "Сорокин Виноградов Ковалёв Белов Медведев Антонов Тарасов Жуков Баранов Филиппов Комаров"
)
FIRST_F = words(
    "Анна Елена Ольга Наталья Татьяна Ирина Светлана Марина Юлия Екатерина Галина Людмила "
    "Надежда Оксана Валентина Мария Вера Лариса Нина Алла"
)
FIRST_M = words("Александр Сергей Андрей Дмитрий Алексей Игорь Владимир Михаил Николай Павел")
PATRONYMICS_M = words(
    "Иванович Петрович Сергеевич Андреевич Владимирович Николаевич Александрович Михайлович "
    "Викторович Юрьевич Борисович Геннадьевич"
)
POSITIONS = words(
    "учитель математики|учитель русского языка и литературы|учитель начальных классов|"
    "учитель истории|учитель физики|учитель биологии|учитель английского языка|воспитатель|"
    "педагог дополнительного образования|учитель информатики|педагог-психолог|учитель-логопед",
    "|",
)
SUBJECTS = words(
    "Математика|Русский язык|Литература|История|Обществознание|Физика|Химия|Биология|"
    "География|Английский язык|Информатика|Начальные классы|Физическая культура|Музыка|"
    "Дошкольное образование",
    "|",
)
COURSE_TOPICS = words(
    "Формирование функциональной грамотности обучающихся|Обновлённые ФГОС: содержание и "
    "механизмы реализации|Цифровая образовательная среда на уроке|Наставничество в "
    "образовательной организации|Инклюзивное образование детей с ОВЗ|Подготовка обучающихся к "
    "ГИА|Проектная и исследовательская деятельность школьников|Воспитательная работа классного "
    "руководителя|Оценивание образовательных результатов|Работа с одарёнными детьми|"
    "Профилактика деструктивного поведения подростков|Федеральные рабочие программы",
    "|",
)
MODULE_TOPICS = words(
    "Нормативная база|Ключевые понятия|Диагностика|Проектирование урока|Приёмы и методы|"
    "Практикум|Цифровые инструменты|Оценивание|Рефлексия|Итоговое задание",
    "|",
)
PROVIDERS = words(
    "ГАУ ДПО «Институт развития образования»|ЦНППМ «Учитель будущего»|"
    "ФГАОУ ВО «Государственный педагогический университет»|АНО ДПО «Академия просвещения»|"
    "ГБУ ДПО «Региональный центр оценки качества образования»|"
    "ФГАОУ ДПО «Академия Минпросвещения России»",
    "|",
)
PROGRAMMES = words(
    "Реализация требований обновлённых ФГОС НОО, ФГОС ООО в работе учителя|"
    "Школа современного учителя: развитие естественно-научной грамотности|"
    "Методика преподавания предмета в условиях цифровой трансформации|"
    "Организация работы с обучающимися с ОВЗ в соответствии с ФГОС|"
    "Разговоры о важном: система работы классного руководителя|"
    "Профессиональные компетенции педагога дополнительного образования|"
    "Оказание первой помощи в образовательной организации",
    "|",
)
MATERIAL_TYPES = words(
    "development lesson_plan recommendations work_program presentation textbook experience "
    "normative video other"
)
MATERIAL_TITLES = words(
    "Технологическая карта урока|Методические рекомендации|Рабочая программа|"
    "Сборник заданий|Презентация к уроку|Конспект занятия|Из опыта работы|Памятка для педагога",
    "|",
)


# --- the data -----------------------------------------------------------------------------

# Module events come from an enrolment (so user, course and module agree), material
# events from any teacher; ``at`` grows with the id, as rows are appended.
EVENTS_SQL = """
INSERT INTO access_events (id, kind, user_id, material_id, file_id, course_id, module_id,
                           seconds, at)
SELECT g.i,
       CASE WHEN g.k < 0.30 THEN 'module_open' WHEN g.k < 0.55 THEN 'module_time'
            WHEN g.k < 0.85 THEN 'material_view' ELSE 'file_download' END,
       CASE WHEN g.k < 0.55 THEN e.user_id ELSE g.teacher END,
       CASE WHEN g.k >= 0.55 THEN g.material END,
       CASE WHEN g.k >= 0.85 THEN g.material END,
       CASE WHEN g.k < 0.55 THEN e.course_id END,
       CASE WHEN g.k < 0.55 THEN (e.course_id - 1) * %(modules)s + g.position + 1 END,
       CASE WHEN g.k >= 0.30 AND g.k < 0.55 THEN g.seconds END,
       %(start)s::timestamp + make_interval(secs => (g.i - 1 + g.jitter) * %(step)s)
FROM (
    SELECT i,
           random() AS k,
           1 + floor(random() * %(enrolments)s)::int AS enrolment,
           floor(random() * %(modules)s)::int AS position,
           %(first_teacher)s + floor(random() * %(teachers)s)::int AS teacher,
           1 + floor(%(materials)s * power(random(), 3))::int AS material,
           15 + floor(random() * 286)::int AS seconds,
           random() AS jitter
    FROM generate_series(%(low)s::bigint, %(high)s::bigint) AS i
) AS g
JOIN enrollments AS e ON e.id = g.enrolment
"""

# Every module of a completed enrolment, the first few of the others.
PROGRESS_SQL = """
INSERT INTO module_progress (user_id, module_id, course_id, first_access_at, last_access_at,
                             visits, seconds, studied_at, completed_at)
SELECT e.user_id,
       (e.course_id - 1) * %(modules)s + p + 1,
       e.course_id,
       least(e.enrolled_at + p * interval '20 hours', %(now)s::timestamp),
       least(e.enrolled_at + p * interval '20 hours' + interval '2 hours', %(now)s::timestamp),
       1 + (e.id + p) %% 4,
       300 + (e.id * 7 + p * 13) %% 2400,
       NULL,
       least(e.enrolled_at + p * interval '20 hours' + interval '1 hour', %(now)s::timestamp)
FROM enrollments AS e
CROSS JOIN generate_series(0, %(modules)s - 1) AS p
WHERE p < CASE
    WHEN EXISTS (
        SELECT 1 FROM course_completions AS c
        WHERE c.user_id = e.user_id AND c.course_id = e.course_id
    ) THEN %(modules)s
    ELSE (e.id * 7) %% (%(modules)s + 1)
END
"""


@dataclass
class Fixture:
    """What was generated, and what the measurements need."""

    counts: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    popular_course_id: int = 1
    popular_course_learners: int = 0
    next_external_id: int = 1


@dataclass
class Completion:
    user_id: int
    course_id: int
    completed_at: datetime
    completed_on: date
    enrolled_at: datetime


class Generator:
    def __init__(self, scale: Scale, loader: PgLoader, zone: ZoneInfo, prefix: str) -> None:
        self.scale = scale
        self.loader = loader
        self.zone = zone
        self.prefix = prefix
        self.rng = random.Random(20261122)
        self.now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
        self.today = datetime.now(UTC).astimezone(zone).date()
        self.fixture = Fixture()
        self.org_full: list[str] = []
        self.user_name: dict[int, str] = {}
        self.user_org: dict[int, int | None] = {}
        self.course_title: list[str] = []
        self.course_hours: list[int] = []
        self.course_document: list[str] = []

    # helpers

    @property
    def teacher_ids(self) -> range:
        return range(FIRST_TEACHER_ID, FIRST_TEACHER_ID + self.scale.teachers)

    def utc(self, day: date, seconds: int) -> datetime:
        """A local moment (``seconds`` after local midnight of ``day``) as naive UTC."""
        local = datetime.combine(day, clock(), tzinfo=self.zone) + timedelta(seconds=seconds)
        return local.astimezone(UTC).replace(tzinfo=None)

    def past_day(self, days: int) -> date:
        return self.today - timedelta(days=self.rng.randrange(days))

    def load(self, table: str, rows: Iterable[dict[str, Any]]) -> int:
        """``COPY`` rows given as {column: value}, every row with the same columns in order."""
        iterator = iter(rows)
        first = next(iterator, None)
        if first is None:
            return 0
        started = time.perf_counter()
        values = (tuple(row.values()) for row in itertools.chain([first], iterator))
        count = self.loader.copy(table, tuple(first), values)
        self._account(table, count, started)
        return count

    def sql(self, label: str, statement: str, params: dict[str, Any]) -> int:
        started = time.perf_counter()
        count = self.loader.run(statement, params)
        self._account(label, count, started)
        return count

    def _account(self, label: str, count: int, started: float) -> None:
        self.fixture.counts[label] = self.fixture.counts.get(label, 0) + count
        elapsed = time.perf_counter() - started
        self.fixture.seconds[label] = self.fixture.seconds.get(label, 0.0) + elapsed

    # organizations, subjects and people

    def organizations(self) -> None:
        created = self.now - timedelta(days=HISTORY_DAYS + 60)

        def rows() -> Iterator[dict[str, Any]]:
            for n in range(1, self.scale.organizations + 1):
                if n % 5 == 0:
                    kind, short, what = "kindergarten", f"МБДОУ д/с № {n}", "дошкольное"
                    full = f"Детский сад № {n}"
                elif n % 13 == 0:
                    kind, short, what = "supplementary", f"МБУ ДО ЦДТ № {n}", "дополнительного"
                    full = f"Центр детского творчества № {n}"
                else:
                    kind, short, what = "school", f"МБОУ СОШ № {n}", "общеобразовательное"
                    full = f"Средняя общеобразовательная школа № {n}"
                full = f"Муниципальное бюджетное {what} учреждение «{full}»"
                self.org_full.append(full)
                yield {
                    "id": n,
                    "full_name": full,
                    "short_name": short,
                    "kind": kind,
                    "municipality": "Энский район",
                    "created_at": created,
                }

        self.load("organizations", rows())
        self.load("subjects", ({"id": i, "name": s} for i, s in enumerate(SUBJECTS, 1)))

    def users(self, password_hash: str) -> None:
        rng = self.rng
        created = self.now - timedelta(days=HISTORY_DAYS + 30)

        def user(
            user_id: int,
            email: str,
            names: tuple[str, str, str],
            position: str,
            role: str,
            **kw: Any,
        ) -> dict[str, Any]:
            full = " ".join(names)
            org = kw.get("org")
            self.user_name[user_id] = full
            self.user_org[user_id] = org
            return {
                "id": user_id,
                "email": email,
                "last_name": names[0],
                "first_name": names[1],
                "patronymic": names[2],
                "position": position,
                "role": role,
                "organization_id": org,
                "password_hash": password_hash,
                "session_token": secrets.token_urlsafe(24),
                "is_active": kw.get("active", True),
                "must_change_password": False,
                "created_at": created,
                "search_text": folded(f"{full} {email}"),
            }

        def rows() -> Iterator[dict[str, Any]]:
            yield user(
                MANAGER_ID,
                MANAGER_EMAIL,
                ("Руководова", "Римма", "Петровна"),
                "начальник управления",
                "manager",
            )
            yield user(
                METHODIST_ID,
                METHODIST_EMAIL,
                ("Методистова", "Мария", "Ивановна"),
                "методист",
                "methodist",
            )
            for user_id in self.teacher_ids:
                female = rng.random() < 0.85
                last = rng.choice(LAST_NAMES) + ("а" if female else "")
                first = rng.choice(FIRST_F if female else FIRST_M)
                middle = rng.choice(PATRONYMICS_M)
                if female:
                    middle = middle[:-2] + "на"
                # A few teachers have no organization (they make a row of their own).
                org = None if rng.random() < 0.005 else rng.randrange(self.scale.organizations) + 1
                yield user(
                    user_id,
                    f"t{user_id}@bench.ru",
                    (last, first, middle),
                    rng.choice(POSITIONS),
                    "teacher",
                    org=org,
                    active=rng.random() > 0.01,
                )

        self.load("users", rows())

        def subjects() -> Iterator[dict[str, Any]]:
            for user_id in self.teacher_ids:
                for subject in rng.sample(range(1, len(SUBJECTS) + 1), 1 + (rng.random() < 0.2)):
                    yield {"user_id": user_id, "subject_id": subject}

        self.load("user_subjects", subjects())

    # courses

    def courses(self) -> None:
        rng = self.rng
        modules = self.scale.modules

        def courses() -> Iterator[dict[str, Any]]:
            for c in range(1, self.scale.courses + 1):
                topic = COURSE_TOPICS[(c - 1) % len(COURSE_TOPICS)]
                title = f"{topic} (поток {(c - 1) // len(COURSE_TOPICS) + 1})"
                hours = rng.choice((16, 18, 24, 36, 72))
                document = "qualification" if c % 4 else "participation"
                self.course_title.append(title)
                self.course_hours.append(hours)
                self.course_document.append(document)
                created = self.now - timedelta(days=HISTORY_DAYS + 60 - c)
                yield {
                    "id": c,
                    "title": title,
                    "annotation": "",
                    "goals": "",
                    "audience_levels": "[]",
                    "audience_positions": "",
                    "hours": hours,
                    "format": "distance",
                    "document_type": document,
                    "status": "published",
                    "sequential": False,
                    "created_by_id": METHODIST_ID,
                    "created_at": created,
                    "published_at": created + timedelta(days=3),
                }

        def modules_of_courses() -> Iterator[dict[str, Any]]:
            for c in range(1, self.scale.courses + 1):
                for p in range(modules):
                    yield {
                        # Dense ids: module p of course c is (c - 1) * modules + p + 1.
                        "id": (c - 1) * modules + p + 1,
                        "course_id": c,
                        "position": p,
                        "title": f"{p + 1}. {MODULE_TOPICS[p % len(MODULE_TOPICS)]}",
                        "content_html": "<p>Содержание модуля.</p>",
                        "video_url": "",
                        "hours": None,
                        "criterion": "opened",
                        "required": True,
                        "pass_mark": 70,
                        "max_attempts": 3,
                        "shuffle": True,
                    }

        self.load("courses", courses())
        self.load("modules", modules_of_courses())

    def enrolments_and_completions(self) -> None:
        """Enrolments (course popularity 1/(rank + 10)), completions among them, certificates."""
        rng = self.rng
        scale = self.scale
        weights = list(
            itertools.accumulate(1 / (r + COURSE_RANK_OFFSET) for r in range(scale.courses))
        )
        total = weights[-1]
        per_teacher = ENROLMENTS_PER_COMPLETION * scale.completions / scale.teachers
        low, high = max(1, round(per_teacher) - 3), round(per_teacher) + 3
        pairs: list[tuple[int, int]] = []
        for user_id in self.teacher_ids:
            wanted = min(rng.randint(low, high), scale.courses)
            chosen: set[int] = set()
            while len(chosen) < wanted:
                chosen.add(bisect.bisect(weights, rng.random() * total) + 1)
            pairs.extend((user_id, course) for course in sorted(chosen))
        if len(pairs) < scale.completions:
            raise RuntimeError(f"{len(pairs)} enrolments for {scale.completions} completions")
        done = set(rng.sample(range(len(pairs)), scale.completions))
        completions: list[Completion] = []
        enrolments: list[tuple[datetime, int, int, bool]] = []
        for index, (user_id, course) in enumerate(pairs):
            if index in done:
                day = self.past_day(HISTORY_DAYS)
                completed_at = self.utc(day, rng.randrange(8 * 3600, 21 * 3600))
                enrolled_at = completed_at - timedelta(seconds=rng.randrange(10 * DAY, 90 * DAY))
                completions.append(Completion(user_id, course, completed_at, day, enrolled_at))
                enrolments.append((enrolled_at, user_id, course, True))
            else:
                enrolled_at = self.now - timedelta(seconds=rng.randrange(HISTORY_DAYS * DAY))
                enrolments.append((enrolled_at, user_id, course, rng.random() > 0.05))
        # Ids in time order, as the site writes them.
        enrolments.sort()
        completions.sort(key=lambda c: c.completed_at)
        learners = [0] * (scale.courses + 1)
        for _at, _user, course, _active in enrolments:
            learners[course] += 1
        self.fixture.popular_course_id = max(range(1, scale.courses + 1), key=learners.__getitem__)
        self.fixture.popular_course_learners = learners[self.fixture.popular_course_id]

        self.load(
            "enrollments",
            (
                {
                    "id": n,
                    "course_id": course,
                    "user_id": user_id,
                    "enrolled_at": at,
                    "active": active,
                    "withdrawn_at": None if active else at + timedelta(days=30),
                }
                for n, (at, user_id, course, active) in enumerate(enrolments, 1)
            ),
        )
        self.load(
            "course_completions",
            (
                {
                    "id": n,
                    "user_id": c.user_id,
                    "course_id": c.course_id,
                    "completed_at": c.completed_at,
                    "completed_on": c.completed_on,
                    "hours": self.course_hours[c.course_id - 1],
                }
                for n, c in enumerate(completions, 1)
            ),
        )
        sequences: dict[int, int] = {}

        def certificates() -> Iterator[dict[str, Any]]:
            for n, c in enumerate(completions, 1):
                year = c.completed_on.year
                sequence = sequences[year] = sequences.get(year, 0) + 1
                number = f"{self.prefix}-{year}-{sequence:05d}"
                name = self.user_name[c.user_id]
                org = self.user_org[c.user_id]
                org_name = self.org_full[org - 1] if org else ""
                title = self.course_title[c.course_id - 1]
                yield {
                    "id": n,
                    "number": number,
                    "year": year,
                    "sequence": sequence,
                    "completion_id": n,
                    "user_id": c.user_id,
                    "course_id": c.course_id,
                    "document_type": self.course_document[c.course_id - 1],
                    "full_name": name,
                    "organization_name": org_name,
                    "course_title": title,
                    "hours": self.course_hours[c.course_id - 1],
                    "started_on": c.enrolled_at.date(),
                    "completed_on": c.completed_on,
                    "issued_at": c.completed_at,
                    "status": "valid",
                    "revoke_reason": "",
                    "search_text": folded(f"{number} {name} {org_name} {title}"),
                }

        self.load("certificates", certificates())
        self.load(
            "certificate_sequences",
            ({"year": y, "last_value": v} for y, v in sorted(sequences.items())),
        )

    # external training

    def external_rows(
        self, count: int, first_id: int, *, verified_share: float, source: str
    ) -> Iterator[dict[str, Any]]:
        rng = self.rng
        for n in range(first_id, first_id + count):
            user_id = rng.choice(self.teacher_ids)
            ends_on = self.past_day(HISTORY_DAYS)
            roll = rng.random()
            status = "verified" if roll < verified_share else ("pending", "returned")[roll > 0.97]
            created = min(
                self.utc(ends_on, 12 * 3600) + timedelta(days=rng.randrange(1, 20)), self.now
            )
            reviewed = None if status == "pending" else min(created + timedelta(days=2), self.now)
            yield {
                "id": n,
                "user_id": user_id,
                "provider": rng.choice(PROVIDERS),
                "programme": rng.choice(PROGRAMMES),
                "hours": rng.choice((16, 18, 24, 36, 72, 108)),
                "starts_on": ends_on - timedelta(days=rng.randrange(5, 60)),
                "ends_on": ends_on,
                "document_type": "удостоверение о повышении квалификации",
                "document_number": f"{rng.randrange(10**9, 10**10)}",
                "scan_name": "",
                "scan_kind": "",
                "scan_content_type": "",
                "scan_size": 0,
                "scan_sha256": "",
                "status": status,
                "review_comment": "Не читается скан" if status == "returned" else "",
                "reviewed_by_id": METHODIST_ID if reviewed else None,
                "reviewed_at": reviewed,
                "created_by_id": user_id if source == "teacher" else METHODIST_ID,
                "created_at": created,
                "source": source,
            }

    def external(self) -> None:
        rows = self.external_rows(
            self.scale.external, 1, verified_share=VERIFIED_SHARE, source="teacher"
        )
        self.fixture.next_external_id = self.load("external_trainings", rows) + 1

    # materials

    def materials(self) -> None:
        rng = self.rng
        material_rows = []
        file_rows = []
        subject_rows = []
        statuses = ("published",) * 17 + ("review", "draft", "archived")
        for m in range(1, self.scale.materials + 1):
            title = f"{rng.choice(MATERIAL_TITLES)}: {rng.choice(COURSE_TOPICS)} ({m})"
            uploader = rng.choice(self.teacher_ids)
            created = self.now - timedelta(seconds=rng.randrange(EVENT_DAYS * DAY))
            status = rng.choice(statuses)
            published = created + timedelta(days=2) if status in ("published", "archived") else None
            material_rows.append(
                {
                    "id": m,
                    "title": title,
                    "sort_title": folded(title)[:500],
                    "annotation": "",
                    "material_type": rng.choice(MATERIAL_TYPES),
                    "keywords": "",
                    "authors": self.user_name[uploader],
                    "year": created.year,
                    "usage_terms": "",
                    "organization_id": self.user_org[uploader],
                    "uploaded_by_id": uploader,
                    "status": status,
                    "review_comment": "",
                    "download_count": 0,
                    "created_at": created,
                    "updated_at": created,
                    "published_at": published,
                    "search_text": folded(title),
                    "index_state": "indexed",
                    "index_error": "",
                }
            )
            sha = secrets.token_hex(32)
            file_rows.append(
                {
                    # One file per material, with the material's id: file events name it.
                    "id": m,
                    "material_id": m,
                    "lineage_id": m,
                    "version": 1,
                    "is_current": True,
                    "storage_key": sha,
                    "sha256": sha,
                    "size": rng.randrange(50_000, 20_000_000),
                    "kind": "pdf",
                    "content_type": "application/pdf",
                    "original_name": f"material-{m}.pdf",
                    "uploaded_by_id": uploader,
                    "uploaded_at": created,
                    "download_count": 0,
                    "text_status": "full",
                    "text_reason": "",
                }
            )
            subject_rows.append({"material_id": m, "subject_id": rng.randrange(len(SUBJECTS)) + 1})
        self.load("materials", material_rows)
        self.load("stored_files", file_rows)
        self.load("material_subjects", subject_rows)

    # generated inside PostgreSQL

    def progress(self) -> None:
        log("generating module progress in SQL")
        self.sql("module_progress", PROGRESS_SQL, {"modules": self.scale.modules, "now": self.now})

    def events(self) -> None:
        scale = self.scale
        start = self.now - timedelta(days=EVENT_DAYS)
        params = {
            "modules": scale.modules,
            "start": start,
            "step": EVENT_DAYS * DAY / scale.events,
            "enrolments": self.fixture.counts["enrollments"],
            "first_teacher": FIRST_TEACHER_ID,
            "teachers": scale.teachers,
            "materials": scale.materials,
        }
        self.loader.run("SELECT setseed(0.42)")
        started = time.perf_counter()
        with self.loader.indexes_dropped("access_events"):
            for low in range(1, scale.events + 1, EVENT_CHUNK):
                high = min(low + EVENT_CHUNK - 1, scale.events)
                log(f"access events {low:,}–{high:,} of {scale.events:,}")
                self.sql("access_events: insert", EVENTS_SQL, {**params, "low": low, "high": high})
            indexes_from = time.perf_counter()
            log("building the indexes of access_events")
        self.fixture.seconds["access_events: indexes"] = time.perf_counter() - indexes_from
        self.fixture.seconds["access_events"] = time.perf_counter() - started
        self.fixture.counts["access_events"] = self.fixture.counts["access_events: insert"]

    def run(self, password_hash: str) -> Fixture:
        log("generating people, courses, completions, external records, materials")
        self.organizations()
        self.users(password_hash)
        self.courses()
        self.enrolments_and_completions()
        self.external()
        self.materials()
        self.progress()
        self.events()
        log("VACUUM ANALYZE, CHECKPOINT")
        started = time.perf_counter()
        self.loader.finish(
            words(
                "organizations subjects users courses modules enrollments module_progress "
                "course_completions certificates external_trainings materials stored_files "
                "access_events"
            )
        )
        self.fixture.seconds["VACUUM ANALYZE, CHECKPOINT"] = time.perf_counter() - started
        return self.fixture


# --- timing the pages ---------------------------------------------------------------------


@dataclass
class Page:
    key: str
    label: str
    url: str
    ms: list[float] = field(default_factory=list)
    body_kb: float = 0.0
    table_rows: int = 0

    @property
    def median(self) -> float:
        return statistics.median(self.ms)

    @property
    def p95(self) -> float:
        ordered = sorted(self.ms)
        return ordered[max(0, -(-95 * len(ordered) // 100) - 1)]  # nearest rank


@dataclass
class Statement:
    ms: float
    sql: str
    parameters: Any
    rows: int
    # Run on a server-side cursor (``yield_per``): rows are fetched after the execute
    # returns, so the listener sees neither their time nor their number.
    streamed: bool = False


class QueryLog:
    """Every statement the engine runs while active: its time and the rows it returned."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.statements: list[Statement] = []

    def _before(self, conn: Any, cursor: Any, sql: str, params: Any, *_: Any) -> None:
        conn.info.setdefault("bench_started", []).append(time.perf_counter())

    def _after(self, conn: Any, cursor: Any, sql: str, params: Any, context: Any, *_: Any) -> None:
        elapsed = (time.perf_counter() - conn.info["bench_started"].pop()) * 1000
        options = getattr(context, "execution_options", None) or {}
        streamed = bool(options.get("stream_results") or options.get("yield_per"))
        selects = sql.lstrip().upper().startswith(("SELECT", "WITH"))
        rows = max(cursor.rowcount, 0) if selects and not streamed else 0
        self.statements.append(Statement(elapsed, sql, params, rows, streamed))

    def __enter__(self) -> QueryLog:
        event.listen(self.engine, "before_cursor_execute", self._before)
        event.listen(self.engine, "after_cursor_execute", self._after)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._before)
        event.remove(self.engine, "after_cursor_execute", self._after)


def rerun(engine: Engine, statement: Statement) -> Statement:
    """A streamed statement run again on an ordinary cursor: its whole time and rows."""
    with engine.connect() as conn:
        started = time.perf_counter()
        rows = len(conn.exec_driver_sql(statement.sql, statement.parameters).fetchall())
        elapsed = (time.perf_counter() - started) * 1000
        conn.rollback()
    return Statement(elapsed, statement.sql, statement.parameters, rows, streamed=True)


@dataclass
class Timed:
    """One distinct statement of a page: medians over the profiled requests."""

    ms: float
    rows: float
    sample: Statement


@dataclass
class Profile:
    """A page requested a few more times with every statement timed (medians over requests)."""

    page: Page
    statements: float
    sql_ms: float
    rows: float
    by_sql: list[Timed]  # slowest first

    @property
    def slowest(self) -> Timed:
        return self.by_sql[0]


def get_ms(client: FlaskClient, url: str) -> float:
    started = time.perf_counter()
    reply = client.get(url)
    elapsed = (time.perf_counter() - started) * 1000
    if reply.status_code != 200:
        raise RuntimeError(f"GET {url} answered {reply.status_code}")
    return elapsed


def time_pages(client: FlaskClient, pages: list[Page], runs: int) -> None:
    """Warm every page up, then request them in turns, the order rotated every run."""
    for page in pages:
        for _ in range(WARMUP_REQUESTS):
            get_ms(client, page.url)
        body = client.get(page.url).get_data()
        page.body_kb = len(body) / 1024
        page.table_rows = max(0, body.count(b"<tr") - body.count(b"<thead"))
    for run in range(runs):
        shift = run % len(pages)
        for page in pages[shift:] + pages[:shift]:
            page.ms.append(get_ms(client, page.url))
        log(f"run {run + 1}/{runs}: " + ", ".join(f"{p.key} {p.ms[-1]:.0f}" for p in pages))


def profile(engine: Engine, client: FlaskClient, page: Page) -> Profile:
    requests: list[list[Statement]] = []
    for _ in range(PROFILE_REQUESTS):
        with QueryLog(engine) as query_log:
            get_ms(client, page.url)
        requests.append(query_log.statements)
    requests = [[rerun(engine, s) if s.streamed else s for s in r] for r in requests]
    samples: dict[str, Statement] = {}
    per_request: list[dict[str, tuple[float, int]]] = []
    for statements in requests:
        sums: dict[str, tuple[float, int]] = {}
        for statement in statements:
            ms, rows = sums.get(statement.sql, (0.0, 0))
            sums[statement.sql] = (ms + statement.ms, rows + statement.rows)
            samples.setdefault(statement.sql, statement)
        per_request.append(sums)
    by_sql = [
        Timed(
            statistics.median(sums.get(sql, (0.0, 0))[0] for sums in per_request),
            statistics.median(sums.get(sql, (0.0, 0))[1] for sums in per_request),
            sample,
        )
        for sql, sample in samples.items()
    ]
    by_sql.sort(key=lambda t: t.ms, reverse=True)
    return Profile(
        page=page,
        statements=statistics.median(len(r) for r in requests),
        sql_ms=statistics.median(sum(s.ms for s in r) for r in requests),
        rows=statistics.median(sum(s.rows for s in r) for r in requests),
        by_sql=by_sql,
    )


def explain(engine: Engine, statement: Statement) -> str:
    with engine.connect() as conn:
        result = conn.exec_driver_sql(
            "EXPLAIN (ANALYZE, BUFFERS) " + statement.sql, statement.parameters
        )
        lines = [str(row[0]) for row in result]
        conn.rollback()
    return "\n".join(lines)


def one_line(sql: str, width: int = 110) -> str:
    flat = " ".join(sql.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def report_pages(
    pages: list[Page], profiles: dict[str, Profile], runs: int, scale_label: str
) -> None:
    print()
    print(f"== pages: {scale_label}; median and p95 of {runs} warm runs, ms")
    print(
        f"{'page':<44}{'median':>8}{'p95':>8}{'min':>8}{'stmts':>7}{'SQL ms':>8}"
        f"{'rows→py':>9}{'KB':>6}{'<tr>':>6}  goal"
    )
    for page in pages:
        prof = profiles[page.key]
        verdict = "ok" if page.median < GOAL_PAGE_MS else "MISSED"
        print(
            f"{page.label:<44}{page.median:>8.1f}{page.p95:>8.1f}{min(page.ms):>8.1f}"
            f"{prof.statements:>7.0f}{prof.sql_ms:>8.1f}{prof.rows:>9.0f}{page.body_kb:>6.0f}"
            f"{page.table_rows:>6}  < {GOAL_PAGE_MS:g}: {verdict}"
        )
    print()
    print(
        f"== the statements of each page that take at least {SHOWN_SHARE:.0%} of its SQL time "
        f"({PROFILE_REQUESTS} profiled requests, medians; 'rows→py' = rows returned to Python; "
        "'streamed' = a server-side cursor, timed by running it again)"
    )
    for page in pages:
        prof = profiles[page.key]
        for timed in prof.by_sql:
            if timed.ms < SHOWN_SHARE * prof.sql_ms:
                break
            streamed = " streamed" if timed.sample.streamed else ""
            print(
                f"{page.key:<14}{timed.ms:>8.1f} ms{timed.rows:>7.0f} rows{streamed:<9}  "
                f"{one_line(timed.sample.sql, 74)}"
            )


def print_plans(
    engine: Engine, pages: list[Page], profiles: dict[str, Profile], every: bool
) -> None:
    """The plan of the slowest statement of the slowest page (with ``every``, of every page)."""
    slowest = max(pages, key=lambda p: p.median)
    for page in pages:
        if not every and page is not slowest:
            continue
        timed = profiles[page.key].slowest
        parameters = ", ".join(f"{k}={v}" for k, v in (timed.sample.parameters or {}).items())
        print()
        print(
            f"== plan of the slowest statement of {page.key}"
            f"{' (the slowest page)' if page is slowest else ''}: {timed.ms:.1f} ms in the page"
        )
        print(one_line(timed.sample.sql, 5000))
        print(f"parameters: {parameters}")
        print(explain(engine, timed.sample))


# --- the export through a real site -------------------------------------------------------


def count_xlsx_rows(path: Path) -> int:
    """Data rows of the first sheet, counted in its XML without loading it."""
    pattern = b"<row "
    with zipfile.ZipFile(path) as archive:
        sheet = sorted(n for n in archive.namelist() if n.startswith("xl/worksheets/sheet"))[0]
        count = 0
        tail = b""
        with archive.open(sheet) as fh:
            while chunk := fh.read(1024 * 1024):
                buffer = tail + chunk
                count += buffer.count(pattern)
                tail = buffer[-(len(pattern) - 1) :]
    return count - 1  # the header


def count_csv_rows(path: Path) -> int:
    with open(path, "rb") as fh:
        return sum(chunk.count(b"\r\n") for chunk in iter(lambda: fh.read(1024 * 1024), b"")) - 1


@dataclass
class ExportResult:
    fmt: str
    rows: int
    bytes: int
    seconds: float
    baseline_mb: float
    peak_mb: float
    cpu_s: float

    @property
    def growth_mb(self) -> float:
        return self.peak_mb - self.baseline_mb


def export_period(today: date) -> tuple[date, date]:
    """The longest period the reports accept: five years up to today."""
    from app.reports.queries import max_period_start

    return max_period_start(today), today


def rows_in_export(app: Flask, start: date, end: date) -> int:
    from app.accounts.models import User
    from app.reports import queries as reports

    with app.app_context():
        manager = db.session.execute(select(User).where(User.email == MANAGER_EMAIL)).scalar_one()
        filters = reports.ReportFilters(reports.Period(start, end))
        count = reports.count_rows(reports.completions_query(manager, filters))
        db.session.remove()
        return count


def top_up(generator: Generator, missing: int) -> int:
    """Verified external records imported by a methodist: rows for the export to reach its size."""
    if missing <= 0:
        return 0
    log(f"adding {missing:,} verified external records for the export")
    first = generator.fixture.next_external_id
    rows = generator.external_rows(missing, first, verified_share=1.0, source="import")
    count = generator.load("external_trainings", rows)
    generator.fixture.next_external_id = first + count
    generator.loader.finish(["external_trainings"])
    return count


def measure_export(
    database: PgDatabase, workdir: Path, start: date, end: date, warm_from: date
) -> tuple[list[ExportResult], float]:
    """The completions report over ``start``–``end`` downloaded from a gunicorn worker, as
    XLSX then CSV, its RSS sampled; returns the results and the idle RSS after warm-up."""
    env = {
        **os.environ,
        "APP_ENV": "development",
        "DATABASE_URL": database.url,
        "INSTANCE_PATH": str(workdir / "site-instance"),
        "SECRET_KEY": secrets.token_hex(32),
        "INDEX_WORKER_THREAD": "0",
    }
    site = Site("reports", env, workdir, server="gunicorn", threads=1)
    results: list[ExportResult] = []
    try:
        log(f"starting the site (gunicorn -w 1) on port {site.port}")
        site.start()
        client = Client(site.port)
        client.login(MANAGER_EMAIL, PASSWORD)
        base = f"/reports/completions?from={start.isoformat()}&to={end.isoformat()}"
        warm = f"/reports/completions?from={warm_from.isoformat()}&to={end.isoformat()}"
        # Warm-up: the page, and a small export of each format (imports, pools, caches).
        client.request("GET", base)
        for fmt in ("xlsx", "csv"):
            with open(workdir / f"warm.{fmt}", "wb") as sink:
                client.download(f"{warm}&format={fmt}", sink.fileno())
        idle_mb = rss_mb(site.worker_pid)
        for fmt in ("xlsx", "csv"):
            path = workdir / f"export.{fmt}"
            log(f"downloading the {fmt.upper()} export")
            with open(path, "wb") as sink, ProcessWatch(site.worker_pid) as watch:
                seconds, size = client.download(f"{base}&format={fmt}", sink.fileno())
            reading = watch.reading
            assert reading is not None
            rows = count_xlsx_rows(path) if fmt == "xlsx" else count_csv_rows(path)
            results.append(
                ExportResult(
                    fmt, rows, size, seconds, reading.before_mb, reading.peak_mb, reading.cpu_s
                )
            )
            path.unlink()
        return results, idle_mb
    finally:
        site.stop()


def report_exports(results: list[ExportResult], idle_mb: float, start: date, end: date) -> None:
    print()
    print(
        f"== export: /reports/completions {start.isoformat()}…{end.isoformat()} from a gunicorn "
        f"worker (sync, 1 thread); worker RSS idle after warm-up {idle_mb:.1f} MB"
    )
    print(
        f"{'format':<8}{'rows':>10}{'MB':>8}{'seconds':>9}{'rows/s':>9}{'CPU s':>7}"
        f"{'RSS before':>11}{'peak':>8}{'growth':>8}  goal"
    )
    for r in results:
        verdict = "ok" if r.growth_mb < GOAL_EXPORT_GROWTH_MB else "MISSED"
        print(
            f"{r.fmt.upper():<8}{r.rows:>10,}{r.bytes / 1024 / 1024:>8.1f}{r.seconds:>9.1f}"
            f"{r.rows / r.seconds:>9,.0f}{r.cpu_s:>7.1f}{r.baseline_mb:>11.1f}{r.peak_mb:>8.1f}"
            f"{r.growth_mb:>8.1f}  "
            + (f"< {GOAL_EXPORT_GROWTH_MB:g} MB: {verdict}" if r.fmt == "xlsx" else "(CSV, info)")
        )


# --- main ---------------------------------------------------------------------------------


def print_generation(fixture: Fixture, total_s: float, events_mb: float, order: float) -> None:
    print()
    print(f"== data generated and loaded in {total_s:.1f} s (PostgreSQL)")
    print(f"{'table':<34}{'rows':>12}{'seconds':>10}")
    for key, seconds in fixture.seconds.items():
        rows = fixture.counts.get(key)
        print(f"{key:<34}{'' if rows is None else f'{rows:,}':>12}{seconds:>10.1f}")
    print(
        f"access_events on disk with its indexes: {events_mb:,.0f} MB; correlation of ``at`` "
        f"with the physical order: {order:.3f} (appended in time order: near 1)"
    )


def pages_for(fixture: Fixture) -> list[Page]:
    return [
        Page("dashboard", "dashboard /reports/ (this year)", "/reports/"),
        Page("completions", "completions /reports/completions", "/reports/completions"),
        Page("register", "register /reports/register", "/reports/register"),
        Page(
            "module_access",
            f"module access, course {fixture.popular_course_id} "
            f"({fixture.popular_course_learners:,} learners)",
            f"/reports/module-access?course={fixture.popular_course_id}",
        ),
        Page("materials", "materials /reports/materials", "/reports/materials"),
        Page("organizations", "organizations /reports/organizations", "/reports/organizations"),
    ]


def run(args: argparse.Namespace, scale: Scale, workdir: Path, database: PgDatabase) -> int:
    logging.basicConfig(level=logging.WARNING)  # keeps Alembic's INFO lines out
    database.create()
    app = create_app(
        TestConfig(instance_path=workdir / "instance"), SQLALCHEMY_DATABASE_URI=database.url
    )
    app.test_client_class = BenchClient
    try:
        log(f"migrating {database.name}")
        with app.app_context():
            from flask_migrate import upgrade

            upgrade()
            password_hash = generate_password_hash(
                PASSWORD, method=app.config["PASSWORD_HASH_METHOD"]
            )
            zone = ZoneInfo(app.config["TIMEZONE"])
            prefix = str(app.config["CERTIFICATE_PREFIX"])
            version = str(db.session.execute(text("SHOW server_version")).scalar_one())
            engine = db.engine
            db.session.remove()
            engine.dispose()
        loader = PgLoader(database.dbapi_url)
        try:
            started = time.perf_counter()
            generator = Generator(scale, loader, zone, prefix)
            fixture = generator.run(password_hash)
            generation_s = time.perf_counter() - started
            order = loader.scalar(
                "SELECT correlation FROM pg_stats"
                " WHERE tablename = 'access_events' AND attname = 'at'"
            )
            events_mb = loader.table_mb("access_events")
            print_generation(fixture, generation_s, events_mb, float(order or 0))

            load_before = os.getloadavg()[0]
            client = app.test_client()
            reply = client.post("/login", data={"email": MANAGER_EMAIL, "password": PASSWORD})
            if reply.status_code != 302:
                raise RuntimeError(f"sign-in of the manager failed: {reply.status_code}")
            pages = pages_for(fixture)
            runs = args.runs or scale.runs
            log(f"timing {len(pages)} pages, {runs} runs each")
            time_pages(client, pages, runs)
            log("profiling the statements of each page")
            profiles = {page.key: profile(engine, client, page) for page in pages}
            load_after = os.getloadavg()[0]
            label = (
                f"PostgreSQL {version.split()[0]}, {scale.teachers:,} teachers, "
                f"{fixture.counts['access_events']:,} events"
            )
            report_pages(pages, profiles, runs, label)
            print(
                f"machine: {os.cpu_count()} CPUs, load average {load_before:.1f} before and "
                f"{load_after:.1f} after the page timings"
            )
            print_plans(engine, pages, profiles, args.explain)
            slowest = max(pages, key=lambda p: p.median)

            start, end = export_period(generator.today)
            before = rows_in_export(app, start, end)
            added = top_up(generator, (args.export_rows or scale.export_rows) - before)
            expected = before + added
        finally:
            loader.close()
        warm_from = end - timedelta(days=30)
        exports, idle_mb = measure_export(database, workdir, start, end, warm_from)
        report_exports(exports, idle_mb, start, end)
        xlsx = exports[0]
        print(
            f"export rows: {before:,} in the base data, {added:,} verified external records "
            f"added for the export; {xlsx.rows:,} rows in the XLSX (expected {expected:,})"
        )
        if xlsx.rows != expected:
            raise RuntimeError(f"the XLSX holds {xlsx.rows} rows, expected {expected}")

        page_ms = {page.key: round(page.median, 1) for page in pages}
        max_rows = max(prof.rows for prof in profiles.values())
        csv_result = exports[1]
        pairs: dict[str, object] = {
            "teachers": scale.teachers,
            "events": fixture.counts["access_events"],
            **{f"{key}_ms": value for key, value in page_ms.items()},
            "export_rows": xlsx.rows,
            "export_rss_growth_mb": round(xlsx.growth_mb, 1),
            "goal_pages_ok": all(page.median < GOAL_PAGE_MS for page in pages),
            "goal_export_memory_ok": xlsx.growth_mb < GOAL_EXPORT_GROWTH_MB,
            "courses": scale.courses,
            "completions": fixture.counts["course_completions"],
            "external": scale.external,
            "generate_s": round(generation_s, 1),
            "slowest_page": slowest.key,
            "slowest_p95_ms": round(slowest.p95, 1),
            "export_seconds": round(xlsx.seconds, 1),
            "export_mb": round(xlsx.bytes / 1024 / 1024, 1),
            "export_rss_before_mb": round(xlsx.baseline_mb, 1),
            "export_rss_peak_mb": round(xlsx.peak_mb, 1),
            "csv_export_seconds": round(csv_result.seconds, 1),
            "csv_export_rss_growth_mb": round(csv_result.growth_mb, 1),
            "max_rows_to_python": int(max_rows),
            "goal_sql_aggregation_ok": max_rows <= MAX_ROWS_TO_PYTHON,
        }
        print()
        print(" ".join(f"{key}={value}" for key, value in pairs.items()))
        return 0
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument(
        "--quick", action="store_true", help="2,000 teachers, 300,000 events, 50,000-row export"
    )
    parser.add_argument(
        "--pg-url",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
        help="a database on the server where the bench creates (and drops) its own",
    )
    parser.add_argument("--runs", type=int, default=0, help="timed runs per page")
    parser.add_argument(
        "--export-rows", type=int, default=0, help="rows of the export (default 200,000)"
    )
    parser.add_argument("--explain", action="store_true", help="plans for every page")
    parser.add_argument("--keep", action="store_true", help="keep the database and temp folder")
    args = parser.parse_args(argv)
    if args.runs < 0 or args.export_rows < 0:
        parser.error("--runs and --export-rows must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    scale = QUICK if args.quick else FULL
    workdir = Path(tempfile.mkdtemp(prefix="bench-reports-"))
    database = PgDatabase(args.pg_url, "bench_reports", args.keep)
    try:
        with terminated_as_interrupt():
            return run(args, scale, workdir, database)
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    finally:
        try:
            database.drop()
        except Exception as exc:  # the run's outcome stands; say what is left behind
            log(f"could not drop database {database.name}: {exc}")
        if args.keep:
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
