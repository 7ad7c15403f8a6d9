"""Benchmark: course tracking at district scale, each page beside the same page when empty.

    .venv/bin/python bench/courses.py [--quick] [--sqlite] [--pg-url URL] [--runs N]
                                      [--explain] [--keep]

The goal (from the issue): with 5,000 teachers, 50 courses of 20 modules and
2 million access events, recording an access event adds under 5 ms to a module
request (median); the progress matrix of a 1,000-teacher course renders in
under 300 ms; a teacher's "Моё обучение" in under 100 ms -- each beside the
same page for an empty course, as a ratio, and as absolute medians.

What it does:

* creates a database of its own -- on PostgreSQL (default) a new database
  ``bench_courses_<pid>`` on the server of ``--pg-url``, dropped at the end,
  also on failure or Ctrl-C; with ``--sqlite`` a file in a temporary folder --
  and builds the schema with the app's own migrations inside
  ``create_app(TestConfig(instance_path=<tmp>), SQLALCHEMY_DATABASE_URI=…)``;
* generates the data with bulk loads (PostgreSQL ``COPY`` through psycopg,
  foreign-key triggers off while loading and the secondary indexes of
  ``access_events`` rebuilt after it; SQLite ``executemany`` in batches of
  10,000): 5,000 teachers in 30 organizations sharing one precomputed password
  hash, 50 published courses of 20 modules (criterion "opened", two "studied"
  ones; the last two optional), one "big" course of 1,000 learners and 100 in
  each other one, ``ModuleProgress`` rows, completions and certificates that
  agree with 2,000,000 ``AccessEvent`` rows (opens, time-on-page beacons and
  "studied" confirmations over the past year, inserted in time order as the
  site would). A 51st course with 20 modules and nobody enrolled is the empty
  one. ``--quick``: 500 teachers, 10 courses, big course 200, 100,000 events;
* signs in through ``POST /login`` with Flask's test client, in process, each
  request in an app context of its own as in a server, warms every page up and
  then alternates each measured page with its baseline (medians of 30 runs,
  ``--quick`` 15):

  1. the module page ``/courses/<big>/modules/<m>`` of a learner of the big
     course, which records the open (an event, the progress upsert and the
     completion check), beside the same page with ``record_module_open``
     patched in this process to check access only (the app's view always
     records); the cost of recording is the median of the paired differences.
     For reference also the course page ``/courses/<big>`` and, called
     directly in a fresh session each time, ``learning.record_module_open``
     and ``learning.check_can_open`` (the part a page that does not record
     would still do);
  2. the progress matrix ``/courses/<big>/matrix`` (first page of 50 of the
     1,000 learners) as a methodist, beside the matrix of the empty course;
  3. "Моё обучение" ``/learning`` of a teacher in 8 courses (3 completed with
     certificates), beside that of a teacher in none;
  4. the matrix export of the big course, every learner, as XLSX and CSV;

  for 2 and 3 also the services alone (``progress.matrix``,
  ``my_learning.my_learning``: queries and ORM without the template), so the
  share of rendering shows;
* profiles 5 more requests of each page with SQLAlchemy cursor listeners
  (statements, commits, time in SQL, the slowest statement text; medians) and,
  with ``--explain``, prints the plan of each page's slowest SELECT
  (``EXPLAIN (ANALYZE, BUFFERS)`` on PostgreSQL, ``EXPLAIN QUERY PLAN`` on SQLite).

Other processes on the machine show up in every figure: the load average
before and after the measurements is printed beside them.

Times are milliseconds. The last line printed is ``key=value`` pairs.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import secrets
import shutil
import signal
import sqlite3
import statistics
import sys
import tempfile
import time
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, func, select, text
from sqlalchemy.engine import Engine
from werkzeug.security import generate_password_hash

from app import create_app
from app.accounts.models import User
from app.courses import learning, my_learning, progress
from app.courses.models import Course, Module
from app.extensions import db
from app.materials.access_events import AccessEvent, AccessKind
from bench.pg_support import BenchClient, PgDatabase, PgLoader, folded, log
from config import TestConfig

GOAL_RECORD_MS = 5.0
GOAL_MATRIX_MS = 300.0
GOAL_LEARNING_MS = 100.0

PASSWORD = "bench-pass-1"
METHODIST_EMAIL = "methodist@bench.ru"
LEARNER_EMAIL = "learner@bench.ru"
IDLE_EMAIL = "idle@bench.ru"

DAY = 86_400
YEAR = 365 * DAY
BATCH = 10_000
STUDIED_POSITIONS = (4, 11)  # 0-based positions of the "studied" modules
OPTIONAL_TAIL = 2  # the last modules of a course are optional
LEARNER_COURSES = 8  # the "Моё обучение" teacher: the big course and 7 more
LEARNER_BIG_PROGRESS = 10  # modules the learner has opened in the big course
MEASURED_POSITION = 2  # the module the learner opens again and again (criterion "opened")
BEACON_SECONDS = (15, 300)
SECONDS_BITS = 9  # beacon seconds are below 512
KIND_BITS = 2
KINDS = (
    AccessKind.MODULE_OPEN.value,
    AccessKind.MODULE_TIME.value,
    AccessKind.MODULE_STUDIED.value,
)


@dataclass(frozen=True)
class Scale:
    teachers: int
    organizations: int
    courses: int
    modules: int
    big: int  # learners of the big course
    per_course: int  # learners of every other course
    events: int
    runs: int
    export_runs: int


FULL = Scale(5000, 30, 50, 20, 1000, 100, 2_000_000, 30, 3)
QUICK = Scale(500, 30, 10, 20, 200, 50, 100_000, 15, 2)


# --- names and texts ----------------------------------------------------------------------


def words(text: str, separator: str | None = None) -> tuple[str, ...]:
    return tuple(text.split(separator))


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
FATHERS = words(
    "Иван Пётр Сергей Андрей Владимир Николай Александр Михаил Виктор Юрий Борис Геннадий"
)
PATRONYMIC_M = {"Пётр": "Петрович", "Юрий": "Юрьевич", "Николай": "Николаевич"}
POSITIONS = words(
    "учитель математики|учитель русского языка и литературы|учитель начальных классов|"
    "учитель истории|учитель физики|учитель биологии|учитель английского языка|воспитатель|"
    "педагог дополнительного образования|учитель информатики|педагог-психолог|учитель-логопед",
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
    "Практикум|Цифровые инструменты|Оценивание|Рефлексия|Разбор кейсов|Работа с родителями|"
    "Итоговое задание",
    "|",
)
PARAGRAPH = (
    "<p>Педагог проектирует учебное занятие так, чтобы каждый обучающийся понимал цель "
    "работы, видел критерии оценивания и получал обратную связь. В модуле разобраны приёмы "
    "организации групповой работы, формирующее оценивание и примеры заданий из практики "
    "учителей района.</p>"
)


def patronymic(father: str, female: bool) -> str:
    if father in PATRONYMIC_M:
        male = PATRONYMIC_M[father]
    elif father.endswith("й"):
        male = father[:-1] + "евич"
    else:
        male = father + "ович"
    return male[:-2] + "на" if female else male


# --- the database of the run --------------------------------------------------------------


class Database:
    """A database of this run: a new PostgreSQL database, or a SQLite file in ``workdir``."""

    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        self.sqlite = bool(args.sqlite)
        self.path = workdir / "bench.sqlite3"
        self.pg = None if self.sqlite else PgDatabase(args.pg_url, "bench_courses", args.keep)
        self.url = f"sqlite:///{self.path}" if self.pg is None else self.pg.url
        self.name = str(self.path) if self.pg is None else self.pg.name

    @property
    def dbapi_url(self) -> str:
        assert self.pg is not None
        return self.pg.dbapi_url

    def create(self) -> None:
        if self.pg is not None:
            self.pg.create()

    def drop(self) -> None:
        if self.pg is not None:
            self.pg.drop()


# --- bulk loading -------------------------------------------------------------------------


def _sqlite_value(value: Any) -> Any:
    """Values as SQLAlchemy stores them in SQLite (naive UTC text for timestamps)."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    return value


class SqliteLoader:
    finish_label = "WAL checkpoint (no ANALYZE)"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=OFF")  # this connection only: the load

    def copy(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        # Table and column names are this file's own constants.
        marks = ", ".join("?" * len(columns))
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608
        count = 0
        batch: list[tuple[Any, ...]] = []
        self.conn.execute("BEGIN")
        for row in rows:
            batch.append(tuple(_sqlite_value(v) for v in row))
            if len(batch) >= BATCH:
                self.conn.executemany(sql, batch)
                count += len(batch)
                batch.clear()
        if batch:
            self.conn.executemany(sql, batch)
            count += len(batch)
        self.conn.execute("COMMIT")
        return count

    @contextmanager
    def indexes_dropped(self, table: str) -> Iterator[None]:
        definitions = self.conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ?"
            " AND sql IS NOT NULL",
            (table,),
        ).fetchall()
        for name, _sql in definitions:
            self.conn.execute(f'DROP INDEX "{name}"')
        yield
        for _name, sql in definitions:
            self.conn.execute(sql)

    def finish(self, tables: Sequence[str]) -> None:
        # The app never runs ANALYZE on SQLite, so neither does the bench: plans as in use.
        self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def table_mb(self, table: str) -> float:
        return self.path.stat().st_size / 1024 / 1024

    def close(self) -> None:
        self.conn.close()


# --- the data -----------------------------------------------------------------------------


@dataclass
class Fixture:
    """What was generated, and the ids the measurements use."""

    learner_id: int = 0
    idle_id: int = 0
    big_course_id: int = 0
    empty_course_id: int = 0
    module_id: int = 0
    learner_courses: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


@dataclass
class Progress:
    """Module progress rows as parallel lists (index = row id - 1)."""

    user: list[int] = field(default_factory=list)
    module: list[int] = field(default_factory=list)
    course: list[int] = field(default_factory=list)
    first: list[int] = field(default_factory=list)  # offsets in seconds from the start
    last: list[int] = field(default_factory=list)
    visits: list[int] = field(default_factory=list)
    seconds: list[int] = field(default_factory=list)
    studied: list[int | None] = field(default_factory=list)
    completed: list[int | None] = field(default_factory=list)
    open_at: array[int] = field(default_factory=lambda: array("q"))
    open_row: array[int] = field(default_factory=lambda: array("q"))
    studied_rows: list[int] = field(default_factory=list)


class Generator:
    def __init__(
        self, scale: Scale, loader: PgLoader | SqliteLoader, zone: ZoneInfo, prefix: str
    ) -> None:
        self.scale = scale
        self.loader = loader
        self.zone = zone
        self.prefix = prefix
        self.rng = random.Random(20240901)
        self.now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
        self.start = self.now - timedelta(seconds=YEAR)
        self.fixture = Fixture()
        self.org_names: list[str] = []
        self.user_names: dict[int, str] = {}
        self.user_org: dict[int, int] = {}
        self.course_hours: list[int] = []
        self.course_titles: list[str] = []
        self.starts_on: date = self.start.date()

    def at(self, offset: int) -> datetime:
        return self.start + timedelta(seconds=offset)

    def local_day(self, moment: datetime) -> date:
        return moment.replace(tzinfo=UTC).astimezone(self.zone).date()

    def load(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        started = time.perf_counter()
        count = self.loader.copy(table, columns, rows)
        self.fixture.counts[table] = count
        self.fixture.seconds[table] = time.perf_counter() - started

    # organizations and people

    def organizations(self) -> None:
        rows = []
        for n in range(1, self.scale.organizations + 1):
            if n % 5 == 0:
                kind, short = "kindergarten", f"МБДОУ д/с № {n}"
                full = f"Муниципальное бюджетное дошкольное образовательное учреждение «Детский сад № {n}»"  # noqa: E501
            else:
                kind, short = "school", f"МБОУ СОШ № {n}"
                full = f"Муниципальное бюджетное общеобразовательное учреждение «Средняя общеобразовательная школа № {n}»"  # noqa: E501
            self.org_names.append(full)
            rows.append((n, full, short, kind, "Энский район", self.start))
        self.load(
            "organizations",
            ("id", "full_name", "short_name", "kind", "municipality", "created_at"),
            rows,
        )

    def users(self, password_hash: str) -> None:
        rng = self.rng
        scale = self.scale

        def rows() -> Iterator[tuple[Any, ...]]:
            names = ("Методистова", "Мария", "Ивановна")
            yield self._user(
                1, METHODIST_EMAIL, names, "методист", "methodist", None, password_hash
            )
            for i in range(scale.teachers):
                user_id = i + 2
                female = rng.random() < 0.85
                last = rng.choice(LAST_NAMES) + ("а" if female else "")
                first = rng.choice(FIRST_F if female else FIRST_M)
                middle = patronymic(rng.choice(FATHERS), female)
                email = {0: LEARNER_EMAIL, 1: IDLE_EMAIL}.get(i, f"t{user_id}@bench.ru")
                org = i % scale.organizations + 1
                self.user_names[user_id] = f"{last} {first} {middle}"
                self.user_org[user_id] = org
                yield self._user(
                    user_id,
                    email,
                    (last, first, middle),
                    rng.choice(POSITIONS),
                    "teacher",
                    org,
                    password_hash,
                )

        self.load(
            "users",
            words(
                "id email last_name first_name patronymic position role organization_id "
                "password_hash session_token is_active must_change_password created_at "
                "search_text"
            ),
            rows(),
        )
        self.fixture.learner_id, self.fixture.idle_id = 2, 3

    def _user(
        self,
        user_id: int,
        email: str,
        names: tuple[str, str, str],
        position: str,
        role: str,
        org: int | None,
        password_hash: str,
    ) -> tuple[Any, ...]:
        full = " ".join(names)
        return (
            user_id,
            email,
            *names,
            position,
            role,
            org,
            password_hash,
            secrets.token_urlsafe(24),
            True,
            False,
            self.start,
            folded(f"{full} {email}"),
        )

    # courses and modules

    def course_count(self) -> int:
        return self.scale.courses + 1  # the last one is the empty course

    def module_id(self, course_index: int, position: int) -> int:
        return course_index * self.scale.modules + position + 1

    def criterion(self, position: int) -> str:
        return "studied" if position in STUDIED_POSITIONS else "opened"

    def required(self, position: int) -> bool:
        return position < self.scale.modules - OPTIONAL_TAIL

    def courses(self) -> None:
        rng = self.rng
        today = self.now.date()
        rows = []
        for c in range(self.course_count()):
            empty = c == self.course_count() - 1
            topic = COURSE_TOPICS[c % len(COURSE_TOPICS)]
            title = f"{topic} (без слушателей)" if empty else f"{topic}, поток {c + 1}"
            if c == 0:
                title = f"{topic} (для всех педагогов района)"
            hours = rng.choice((16, 18, 24, 36, 72))
            self.course_titles.append(title)
            self.course_hours.append(hours)
            rows.append(
                (
                    c + 1,
                    title,
                    f"Курс повышения квалификации: {topic.lower()}.",
                    "Совершенствование профессиональных компетенций педагогов.",
                    json.dumps(["school", "preschool"]),
                    "учителя, воспитатели",
                    hours,
                    "distance",
                    "qualification",
                    self.starts_on,
                    today + timedelta(days=rng.randint(20, 200)),
                    "published",
                    False,
                    1,
                    self.start,
                    self.start + timedelta(days=1),
                )
            )
        self.load(
            "courses",
            words(
                "id title annotation goals audience_levels audience_positions hours format "
                "document_type starts_on ends_on status sequential created_by_id created_at "
                "published_at"
            ),
            rows,
        )
        self.load(
            "course_authors",
            ("course_id", "user_id"),
            [(c + 1, 1) for c in range(self.course_count())],
        )
        content = "<h2>Содержание модуля</h2>" + PARAGRAPH * 6
        self.load(
            "modules",
            words(
                "id course_id position title content_html video_url hours criterion required "
                "pass_mark max_attempts shuffle"
            ),
            (
                (
                    self.module_id(c, p),
                    c + 1,
                    p,
                    f"Модуль {p + 1}. {MODULE_TOPICS[p % len(MODULE_TOPICS)]}",
                    content,
                    "",
                    2,
                    self.criterion(p),
                    self.required(p),
                    70,
                    3,
                    True,
                )
                for c in range(self.course_count())
                for p in range(self.scale.modules)
            ),
        )
        self.fixture.big_course_id = 1
        self.fixture.empty_course_id = self.course_count()
        self.fixture.module_id = self.module_id(0, MEASURED_POSITION)

    # enrolments, progress, completions

    def learners(self) -> dict[int, list[tuple[int, int | None]]]:
        """Course index -> [(user id, forced number of modules opened or None)]."""
        rng = self.rng
        scale = self.scale
        learner = self.fixture.learner_id
        pool = list(range(4, scale.teachers + 2))
        plan: dict[int, list[tuple[int, int | None]]] = {}
        forced = {0: LEARNER_BIG_PROGRESS}
        extra = min(LEARNER_COURSES, scale.courses) - 1
        for n, c in enumerate(range(1, extra + 1)):
            # Three completed courses, the others part way through.
            forced[c] = scale.modules if n < 3 else 2 + 4 * (n - 3)
        for c in range(scale.courses):
            size = scale.big if c == 0 else scale.per_course
            chosen = rng.sample(pool, min(len(pool), size - (1 if c in forced else 0)))
            plan[c] = [(u, None) for u in chosen]
            if c in forced:
                plan[c].insert(rng.randrange(len(plan[c]) + 1), (learner, forced[c]))
        self.fixture.learner_courses = len(forced)
        return plan

    def progress_and_enrolments(self) -> Progress:
        rng = self.rng
        scale = self.scale
        progress = Progress()
        enrolments: list[tuple[Any, ...]] = []
        completions: list[tuple[Any, ...]] = []
        span_end = YEAR - 2 * DAY
        for c, people in self.learners().items():
            for user_id, forced in people:
                enrolled = rng.randint(0, YEAR - 60 * DAY)
                withdrawn = forced is None and rng.random() < 0.02
                enrolments.append(
                    (
                        len(enrolments) + 1,
                        c + 1,
                        user_id,
                        self.at(enrolled),
                        1 if c == 0 else None,
                        not withdrawn,
                        self.at(enrolled + 20 * DAY) if withdrawn else None,
                    )
                )
                if forced is not None:
                    opened = forced
                else:
                    roll = rng.random()
                    opened = (
                        0
                        if roll < 0.15
                        else scale.modules
                        if roll < 0.45
                        else rng.randint(1, scale.modules - 1)
                    )
                moment = enrolled + rng.randint(0, 3 * DAY)
                done_required = 0
                last_done = 0
                for p in range(opened):
                    moment = min(moment + rng.randint(600, 4 * DAY), span_end)
                    first = moment
                    visits = 1 + min(int(rng.expovariate(0.7)), 20)
                    later = [
                        rng.randint(first, min(first + 30 * DAY, span_end))
                        for _ in range(visits - 1)
                    ]
                    studied = None
                    if self.criterion(p) == "studied" and (p < opened - 1 or rng.random() < 0.5):
                        studied = first + rng.randint(60, 3600)
                    completed = first if self.criterion(p) == "opened" else studied
                    row = len(progress.user)
                    progress.user.append(user_id)
                    progress.module.append(self.module_id(c, p))
                    progress.course.append(c + 1)
                    progress.first.append(first)
                    progress.last.append(max([first, *later]))
                    progress.visits.append(visits)
                    progress.seconds.append(0)
                    progress.studied.append(studied)
                    progress.completed.append(completed)
                    for moment_of_open in (first, *later):
                        progress.open_at.append(moment_of_open)
                        progress.open_row.append(row)
                    if studied is not None:
                        progress.studied_rows.append(row)
                    if completed is not None and self.required(p):
                        done_required += 1
                        last_done = max(last_done, completed)
                total_required = sum(1 for p in range(scale.modules) if self.required(p))
                if done_required == total_required:
                    completions.append((user_id, c, enrolled, last_done))
        self.load(
            "enrollments",
            words("id course_id user_id enrolled_at enrolled_by_id active withdrawn_at"),
            enrolments,
        )
        self.completions(completions)
        return progress

    def completions(self, done: list[tuple[int, int, int, int]]) -> None:
        completion_rows = []
        certificate_rows = []
        sequences: dict[int, int] = {}
        for n, (user_id, c, enrolled, completed) in enumerate(sorted(done, key=lambda d: d[3])):
            moment = self.at(completed)
            day = self.local_day(moment)
            hours = self.course_hours[c]
            completion_rows.append((n + 1, user_id, c + 1, moment, day, hours))
            sequences[day.year] = sequences.get(day.year, 0) + 1
            number = f"{self.prefix}-{day.year}-{sequences[day.year]:05d}"
            name = self.user_names[user_id]
            org = self.org_names[self.user_org[user_id] - 1]
            title = self.course_titles[c]
            started = max(self.local_day(self.at(enrolled)), self.starts_on)
            certificate_rows.append(
                (
                    n + 1,
                    number,
                    day.year,
                    sequences[day.year],
                    n + 1,
                    user_id,
                    c + 1,
                    "qualification",
                    name,
                    org,
                    title,
                    hours,
                    started,
                    day,
                    moment,
                    "valid",
                    "",
                    folded(f"{number} {name} {org} {title}"),
                )
            )
        self.load(
            "course_completions",
            ("id", "user_id", "course_id", "completed_at", "completed_on", "hours"),
            completion_rows,
        )
        self.load(
            "certificates",
            words(
                "id number year sequence completion_id user_id course_id document_type full_name "
                "organization_name course_title hours started_on completed_on issued_at status "
                "revoke_reason search_text"
            ),
            certificate_rows,
        )
        self.load("certificate_sequences", ("year", "last_value"), sorted(sequences.items()))

    # events

    def events(self, progress: Progress) -> None:
        """Opens, beacons and confirmations, packed into sortable integers, then loaded in time
        order: ``at | kind | progress row | beacon seconds``."""
        rng = self.rng
        started = time.perf_counter()
        opens = len(progress.open_at)
        beacons = max(0, self.scale.events - opens - len(progress.studied_rows))
        row_bits = max(1, len(progress.user).bit_length())
        row_shift = SECONDS_BITS
        kind_shift = row_shift + row_bits
        at_shift = kind_shift + KIND_BITS
        weights = array("d", (0.2 + 1.6 * rng.random() for _ in range(opens)))
        total_weight = sum(weights) or 1.0
        keys: list[int] = []
        append = keys.append
        cumulative = 0.0
        given = 0
        for i in range(opens):
            row = progress.open_row[i]
            moment = progress.open_at[i]
            append((moment << at_shift) | (row << row_shift))
            cumulative += weights[i]
            target = round(beacons * cumulative / total_weight)
            count, given = target - given, target
            spent = 0
            for _ in range(count):
                seconds = rng.randint(*BEACON_SECONDS)
                spent += seconds
                beacon_at = min(moment + spent, YEAR - 60)
                append((beacon_at << at_shift) | (1 << kind_shift) | (row << row_shift) | seconds)
            progress.seconds[row] += spent
        for row in progress.studied_rows:
            studied = progress.studied[row]
            assert studied is not None
            append((studied << at_shift) | (2 << kind_shift) | (row << row_shift))
        keys.sort()
        self.fixture.seconds["events: generate"] = time.perf_counter() - started

        self.load(
            "module_progress",
            words(
                "id user_id module_id course_id first_access_at last_access_at visits seconds "
                "studied_at completed_at"
            ),
            (
                (
                    i + 1,
                    progress.user[i],
                    progress.module[i],
                    progress.course[i],
                    self.at(progress.first[i]),
                    self.at(progress.last[i]),
                    progress.visits[i],
                    progress.seconds[i],
                    None if progress.studied[i] is None else self.at(progress.studied[i]),
                    None if progress.completed[i] is None else self.at(progress.completed[i]),
                )
                for i in range(len(progress.user))
            ),
        )

        seconds_mask = (1 << SECONDS_BITS) - 1
        row_mask = (1 << row_bits) - 1
        start = self.start
        users, modules, courses = progress.user, progress.module, progress.course

        def rows() -> Iterator[tuple[Any, ...]]:
            for n, key in enumerate(keys, 1):
                row = (key >> row_shift) & row_mask
                kind = (key >> kind_shift) & 3
                yield (
                    n,
                    KINDS[kind],
                    users[row],
                    courses[row],
                    modules[row],
                    (key & seconds_mask) if kind == 1 else None,
                    start + timedelta(seconds=key >> at_shift),
                )

        started = time.perf_counter()
        with self.loader.indexes_dropped("access_events"):
            self.load(
                "access_events",
                ("id", "kind", "user_id", "course_id", "module_id", "seconds", "at"),
                rows(),
            )
            self.fixture.seconds["access_events: copy"] = self.fixture.seconds.pop("access_events")
            indexes_from = time.perf_counter()
        self.fixture.seconds["access_events: indexes"] = time.perf_counter() - indexes_from
        self.fixture.seconds["access_events"] = time.perf_counter() - started

    def run(self, password_hash: str) -> Fixture:
        self.organizations()
        self.users(password_hash)
        self.courses()
        progress = self.progress_and_enrolments()
        self.events(progress)
        started = time.perf_counter()
        self.loader.finish(
            words(
                "organizations users courses modules enrollments module_progress "
                "course_completions certificates access_events"
            )
        )
        self.fixture.seconds[self.loader.finish_label] = time.perf_counter() - started
        return self.fixture


# --- measuring ----------------------------------------------------------------------------


def signed_in(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    reply = client.post("/login", data={"email": email, "password": PASSWORD})
    if reply.status_code != 302:
        raise RuntimeError(f"sign-in of {email} failed: {reply.status_code}")
    return client


def get_ms(client: FlaskClient, url: str) -> float:
    started = time.perf_counter()
    reply = client.get(url)
    elapsed = (time.perf_counter() - started) * 1000
    if reply.status_code != 200:
        raise RuntimeError(f"GET {url} answered {reply.status_code}")
    return elapsed


@dataclass
class Series:
    label: str
    ms: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.ms)

    @property
    def p90(self) -> float:
        ordered = sorted(self.ms)
        return ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]


def alternate(
    runs: int, first: Callable[[], float], second: Callable[[], float], warmup: int = 3
) -> tuple[list[float], list[float]]:
    """Warm both up, then run them in turns, swapping which goes first every run."""
    for _ in range(warmup):
        first()
        second()
    a: list[float] = []
    b: list[float] = []
    for i in range(runs):
        if i % 2 == 0:
            a.append(first())
            b.append(second())
        else:
            b.append(second())
            a.append(first())
    return a, b


@contextmanager
def recording_patched_out(event_id: int) -> Iterator[None]:
    """The module view with ``record_module_open`` reduced to its access check."""
    original = learning.record_module_open

    def check_only(user: User, module: Module) -> int:
        learning.check_can_open(user, module)
        return event_id

    learning.record_module_open = check_only  # type: ignore[assignment]
    try:
        yield
    finally:
        learning.record_module_open = original  # type: ignore[assignment]


@dataclass
class Statement:
    ms: float
    sql: str
    parameters: Any


class QueryLog:
    """Every statement the engine runs while active, with its time, and the commits."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.statements: list[Statement] = []
        self.commits = 0

    def _before(
        self, conn: Any, cursor: Any, sql: str, params: Any, context: Any, many: bool
    ) -> None:
        conn.info.setdefault("bench_started", []).append(time.perf_counter())

    def _after(
        self, conn: Any, cursor: Any, sql: str, params: Any, context: Any, many: bool
    ) -> None:
        started = conn.info["bench_started"].pop()
        self.statements.append(Statement((time.perf_counter() - started) * 1000, sql, params))

    def _commit(self, conn: Any) -> None:
        self.commits += 1

    def __enter__(self) -> QueryLog:
        event.listen(self.engine, "before_cursor_execute", self._before)
        event.listen(self.engine, "after_cursor_execute", self._after)
        event.listen(self.engine, "commit", self._commit)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._before)
        event.remove(self.engine, "after_cursor_execute", self._after)
        event.remove(self.engine, "commit", self._commit)

    @property
    def total_ms(self) -> float:
        return sum(s.ms for s in self.statements)


@dataclass
class Profile:
    """A page requested a few more times with every statement timed; medians over requests."""

    label: str
    page_ms: float
    statements: float
    commits: float
    sql_ms: float
    # per distinct statement text: median time per request (summed within a request)
    by_sql: dict[str, float]
    samples: dict[str, Statement]

    def slowest(self, selects_only: bool = False) -> tuple[float, Statement] | None:
        pool = [
            (ms, self.samples[sql])
            for sql, ms in self.by_sql.items()
            if not selects_only or sql.lstrip().upper().startswith("SELECT")
        ]
        return max(pool, key=lambda item: item[0], default=None)


PROFILE_REQUESTS = 5


def profile(app: Flask, label: str, fetch: Callable[[], float]) -> Profile:
    with app.app_context():
        engine = db.engine
    fetch()
    logs: list[QueryLog] = []
    pages: list[float] = []
    for _ in range(PROFILE_REQUESTS):
        with QueryLog(engine) as query_log:
            pages.append(fetch())
        logs.append(query_log)
    samples: dict[str, Statement] = {}
    per_request: list[dict[str, float]] = []
    for query_log in logs:
        sums: dict[str, float] = {}
        for statement in query_log.statements:
            sums[statement.sql] = sums.get(statement.sql, 0.0) + statement.ms
            samples.setdefault(statement.sql, statement)
        per_request.append(sums)
    by_sql = {sql: statistics.median(sums.get(sql, 0.0) for sums in per_request) for sql in samples}
    return Profile(
        label=label,
        page_ms=statistics.median(pages),
        statements=statistics.median(len(q.statements) for q in logs),
        commits=statistics.median(q.commits for q in logs),
        sql_ms=statistics.median(q.total_ms for q in logs),
        by_sql=by_sql,
        samples=samples,
    )


def explain(app: Flask, statement: Statement) -> str:
    with app.app_context():
        engine = db.engine
    postgres = engine.dialect.name == "postgresql"
    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if postgres else "EXPLAIN QUERY PLAN "
    with engine.connect() as conn:
        result = conn.exec_driver_sql(prefix + statement.sql, statement.parameters)
        lines = [" | ".join(str(v) for v in row) for row in result]
        conn.rollback()
    return "\n".join(lines)


def one_line(sql: str, width: int = 110) -> str:
    flat = " ".join(sql.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def time_direct(app: Flask, fixture: Fixture, runs: int) -> tuple[list[float], list[float]]:
    """``record_module_open`` and ``check_can_open`` alone, each in a fresh session with the
    user, course and module loaded first, as the view has them."""

    def call(what: Callable[[User, Module], object]) -> float:
        with app.app_context():
            user = db.session.get(User, fixture.learner_id)
            course = db.session.get(Course, fixture.big_course_id)
            module = db.session.get(Module, fixture.module_id)
            assert user is not None and course is not None and module is not None
            started = time.perf_counter()
            what(user, module)
            elapsed = (time.perf_counter() - started) * 1000
            db.session.remove()
            return elapsed

    return alternate(
        runs,
        lambda: call(learning.record_module_open),
        lambda: call(learning.check_can_open),
    )


def time_services(app: Flask, fixture: Fixture, runs: int) -> dict[str, list[float]]:
    """The matrix and "my learning" services alone (queries and ORM, no template), each in a
    fresh session with the course or user loaded first."""

    def call(what: Callable[[], object]) -> float:
        started = time.perf_counter()
        what()
        return (time.perf_counter() - started) * 1000

    def matrix(course_id: int) -> float:
        with app.app_context():
            course = db.session.get(Course, course_id)
            assert course is not None
            elapsed = call(lambda: progress.matrix(course, None, 1, 50))
            db.session.remove()
            return elapsed

    def mine(user_id: int) -> float:
        with app.app_context():
            user = db.session.get(User, user_id)
            assert user is not None
            elapsed = call(lambda: my_learning.my_learning(user))
            db.session.remove()
            return elapsed

    big, empty = alternate(
        runs, lambda: matrix(fixture.big_course_id), lambda: matrix(fixture.empty_course_id)
    )
    learner, idle = alternate(runs, lambda: mine(fixture.learner_id), lambda: mine(fixture.idle_id))
    return {"matrix": big, "matrix_empty": empty, "learning": learner, "learning_empty": idle}


def count_events(app: Flask, fixture: Fixture) -> int:
    with app.app_context():
        return int(
            db.session.execute(
                select(func.count())
                .select_from(AccessEvent)
                .where(
                    AccessEvent.user_id == fixture.learner_id,
                    AccessEvent.module_id == fixture.module_id,
                    AccessEvent.kind == AccessKind.MODULE_OPEN,
                )
            ).scalar_one()
        )


def last_event_id(app: Flask, fixture: Fixture) -> int:
    with app.app_context():
        return int(
            db.session.execute(
                select(func.max(AccessEvent.id)).where(
                    AccessEvent.user_id == fixture.learner_id,
                    AccessEvent.module_id == fixture.module_id,
                )
            ).scalar_one()
        )


@dataclass
class Results:
    series: dict[str, Series] = field(default_factory=dict)
    record_diff: list[float] = field(default_factory=list)
    profiles: list[Profile] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    export_bytes: dict[str, int] = field(default_factory=dict)

    def add(self, key: str, label: str, values: list[float]) -> None:
        self.series[key] = Series(label, values)

    def median(self, key: str) -> float:
        return self.series[key].median


def measure(app: Flask, fixture: Fixture, runs: int, export_runs: int) -> Results:
    results = Results()
    learner = signed_in(app, LEARNER_EMAIL)
    idle = signed_in(app, IDLE_EMAIL)
    methodist = signed_in(app, METHODIST_EMAIL)
    big, empty, module_id = fixture.big_course_id, fixture.empty_course_id, fixture.module_id
    module_url = f"/courses/{big}/modules/{module_id}"

    # 1. the module page, recording, beside the same page with recording patched out
    log("measuring the module page")
    event_id = last_event_id(app, fixture)
    before = count_events(app, fixture)
    requests = 0

    def recorded() -> float:
        nonlocal requests
        requests += 1
        return get_ms(learner, module_url)

    def not_recorded() -> float:
        with recording_patched_out(event_id):
            return get_ms(learner, module_url)

    page, baseline = alternate(runs, recorded, not_recorded)
    recorded_events = count_events(app, fixture) - before
    if recorded_events != requests:
        raise RuntimeError(f"{requests} module requests recorded {recorded_events} events")
    results.notes.append(f"{requests} module requests recorded {recorded_events} open events")
    results.add("module", "module page (records the open)", page)
    results.add("module_base", "  same page, recording patched out", baseline)
    results.record_diff = [p - b for p, b in zip(page, baseline, strict=True)]
    course_page, _ = alternate(runs, lambda: get_ms(learner, f"/courses/{big}"), recorded, warmup=2)
    results.add("course_page", "  course page /courses/<big> (no recording)", course_page)
    record, check = time_direct(app, fixture, runs)
    results.add("record_direct", "  learning.record_module_open() alone", record)
    results.add("check_direct", "  learning.check_can_open() alone", check)

    # 2. the matrix of the big course beside that of the empty course
    log("measuring the progress matrix")
    matrix, matrix_empty = alternate(
        runs,
        lambda: get_ms(methodist, f"/courses/{big}/matrix"),
        lambda: get_ms(methodist, f"/courses/{empty}/matrix"),
    )
    shown = methodist.get(f"/courses/{big}/matrix").get_data(as_text=True).count("data-user-id=")
    results.notes.append(f"matrix page 1 shows {shown} learners")
    results.add("matrix", "progress matrix, big course, page 1", matrix)
    results.add("matrix_empty", "  matrix of the empty course", matrix_empty)
    services = time_services(app, fixture, runs)
    results.add("matrix_service", "  progress.matrix() alone, big course", services["matrix"])
    results.add(
        "matrix_empty_service", "  progress.matrix() alone, empty course", services["matrix_empty"]
    )

    # 3. "Моё обучение" of a teacher in several courses beside one in none
    log("measuring «Моё обучение»")
    mine, mine_empty = alternate(
        runs, lambda: get_ms(learner, "/learning"), lambda: get_ms(idle, "/learning")
    )
    body = learner.get("/learning").get_data(as_text=True)
    results.notes.append(
        f"«Моё обучение» shows {body.count('learning-card')} current courses and "
        f"{body.count('/certificates/')} certificate links"
    )
    results.add("learning", "«Моё обучение», teacher in 8 courses", mine)
    results.add("learning_empty", "  «Моё обучение», teacher in none", mine_empty)
    results.add(
        "learning_service", "  my_learning.my_learning() alone, 8 courses", services["learning"]
    )
    results.add(
        "learning_empty_service",
        "  my_learning.my_learning() alone, none",
        services["learning_empty"],
    )

    # 4. exports of the whole matrix
    log("measuring the matrix exports")
    for fmt in ("xlsx", "csv"):
        url = f"/courses/{big}/matrix/export?format={fmt}"
        results.export_bytes[fmt] = len(methodist.get(url).get_data())
        values = [get_ms(methodist, url) for _ in range(export_runs)]
        results.add(f"export_{fmt}", f"matrix export {fmt.upper()}, every learner", values)

    # profiles: one more request of each page, every statement timed
    log("profiling the statements of each page")
    results.profiles = [
        profile(app, "module page", recorded),
        profile(app, "module page, not recording", not_recorded),
        profile(app, "matrix", lambda: get_ms(methodist, f"/courses/{big}/matrix")),
        profile(app, "matrix, empty course", lambda: get_ms(methodist, f"/courses/{empty}/matrix")),
        profile(app, "«Моё обучение»", lambda: get_ms(learner, "/learning")),
        profile(app, "«Моё обучение», empty", lambda: get_ms(idle, "/learning")),
    ]
    return results


# --- the report ---------------------------------------------------------------------------


def print_generation(fixture: Fixture, database: str, total_s: float) -> None:
    print()
    print(f"== data: {database}; generated and loaded in {total_s:.1f} s")
    print(f"{'table':<40}{'rows':>12}{'seconds':>10}")
    for key, seconds in fixture.seconds.items():
        rows = fixture.counts.get(key)
        print(f"{key:<40}{'' if rows is None else f'{rows:,}':>12}{seconds:>10.1f}")


def report(
    results: Results, fixture: Fixture, scale: Scale, runs: int, database: str
) -> dict[str, object]:
    m = results.median
    record_ms = statistics.median(results.record_diff)
    print()
    print(
        f"== {database}: {scale.teachers:,} teachers, {scale.courses} courses × "
        f"{scale.modules} modules (+1 empty), {fixture.counts['access_events']:,} access events; "
        f"medians of {runs} runs, ms"
    )
    print(f"{'page':<48}{'median':>9}{'p90':>9}{'min':>9}{'beside':>9}{'ratio':>8}  goal")

    def row(key: str, beside: str | None = None, goal: str = "") -> None:
        series = results.series[key]
        base = results.series[beside].median if beside else None
        print(
            f"{series.label:<48}{series.median:>9.1f}{series.p90:>9.1f}{min(series.ms):>9.1f}"
            f"{'' if base is None else f'{base:.1f}':>9}"
            f"{'' if base is None else f'{series.median / base:.2f}':>8}  {goal}"
        )

    def verdict(value: float, limit: float) -> str:
        return f"< {limit:g}: {'ok' if value < limit else 'MISSED'}"

    row("module", "module_base")
    row("module_base")
    ordered = sorted(results.record_diff)
    print(
        f"{'  recording added (paired difference)':<48}{record_ms:>9.1f}"
        f"{ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]:>9.1f}"
        f"{ordered[0]:>9.1f}{'':>17}  {verdict(record_ms, GOAL_RECORD_MS)}"
    )
    row("course_page")
    row("record_direct")
    row("check_direct")
    row("matrix", "matrix_empty", verdict(m("matrix"), GOAL_MATRIX_MS))
    row("matrix_empty")
    row("matrix_service", "matrix_empty_service")
    row("matrix_empty_service")
    row("learning", "learning_empty", verdict(m("learning"), GOAL_LEARNING_MS))
    row("learning_empty")
    row("learning_service", "learning_empty_service")
    row("learning_empty_service")
    for fmt in ("xlsx", "csv"):
        row(f"export_{fmt}")
    print(
        f"exports: {scale.big:,} rows; XLSX {results.export_bytes['xlsx'] / 1024:.0f} KB, "
        f"CSV {results.export_bytes['csv'] / 1024:.0f} KB"
    )
    for note in results.notes:
        print(f"note: {note}")

    print()
    print(
        f"== statements per page: {PROFILE_REQUESTS} more requests each, every statement timed "
        "(medians; the timing listener adds its own overhead)"
    )
    print(f"{'page':<28}{'page ms':>9}{'stmts':>7}{'commits':>8}{'SQL ms':>8}  slowest statement")
    for prof in results.profiles:
        slowest = prof.slowest()
        print(
            f"{prof.label:<28}{prof.page_ms:>9.1f}{prof.statements:>7.0f}{prof.commits:>8.0f}"
            f"{prof.sql_ms:>8.1f}  "
            + (f"{slowest[0]:.1f} ms: {one_line(slowest[1].sql, 80)}" if slowest else "")
        )
    return {
        "record_ms": round(record_ms, 2),
        "record_direct_ms": round(m("record_direct"), 2),
        "check_direct_ms": round(m("check_direct"), 2),
        "module_page_ms": round(m("module"), 2),
        "module_baseline_ms": round(m("module_base"), 2),
        "module_ratio": round(m("module") / m("module_base"), 3),
        "course_page_ms": round(m("course_page"), 2),
        "matrix_ms": round(m("matrix"), 2),
        "matrix_empty_ms": round(m("matrix_empty"), 2),
        "matrix_ratio": round(m("matrix") / m("matrix_empty"), 3),
        "matrix_service_ms": round(m("matrix_service"), 2),
        "learning_ms": round(m("learning"), 2),
        "learning_empty_ms": round(m("learning_empty"), 2),
        "learning_ratio": round(m("learning") / m("learning_empty"), 3),
        "learning_service_ms": round(m("learning_service"), 2),
        "export_xlsx_ms": round(m("export_xlsx"), 1),
        "export_csv_ms": round(m("export_csv"), 1),
        "goal_record_ok": record_ms < GOAL_RECORD_MS,
        "goal_matrix_ok": m("matrix") < GOAL_MATRIX_MS,
        "goal_learning_ok": m("learning") < GOAL_LEARNING_MS,
    }


def print_plans(app: Flask, results: Results) -> None:
    print()
    print("== plans of each page's slowest SELECT")
    for prof in results.profiles:
        slowest = prof.slowest(selects_only=True)
        if slowest is None:
            continue
        ms, statement = slowest
        print(f"-- {prof.label}: {ms:.1f} ms")
        print(one_line(statement.sql, 400))
        print(explain(app, statement))


# --- main ---------------------------------------------------------------------------------


@contextmanager
def terminated_as_interrupt() -> Iterator[None]:
    """SIGTERM unwinds like Ctrl-C, so the database is dropped."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def database_label(app: Flask) -> str:
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            version = db.session.execute(text("SHOW server_version")).scalar_one()
            db.session.remove()
            return f"PostgreSQL {str(version).split()[0]}"
        return f"SQLite {sqlite3.sqlite_version}"


def run(args: argparse.Namespace, scale: Scale, workdir: Path, database: Database) -> int:
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
            db.session.remove()
            db.engine.dispose()
        label = database_label(app)
        loader: PgLoader | SqliteLoader = (
            SqliteLoader(database.path) if database.sqlite else PgLoader(database.dbapi_url)
        )
        try:
            log(f"generating: {scale}")
            started = time.perf_counter()
            fixture = Generator(scale, loader, zone, prefix).run(password_hash)
            generation_s = time.perf_counter() - started
            events_mb = loader.table_mb("access_events")
        finally:
            loader.close()
        print_generation(fixture, label, generation_s)
        print(
            f"access_events on disk: {events_mb:,.0f} MB"
            + (" (with indexes)" if not database.sqlite else " (whole database file)")
        )
        load_before = os.getloadavg()[0]
        results = measure(app, fixture, args.runs or scale.runs, scale.export_runs)
        load_after = os.getloadavg()[0]
        pairs: dict[str, object] = {
            "database": "sqlite" if database.sqlite else "postgresql",
            "teachers": scale.teachers,
            "courses": scale.courses,
            "modules": scale.modules,
            "big_course": scale.big,
            "events": fixture.counts["access_events"],
            "generate_s": round(generation_s, 1),
        }
        figures = report(results, fixture, scale, args.runs or scale.runs, label)
        print(
            f"machine: {os.cpu_count()} CPUs, load average {load_before:.1f} before and "
            f"{load_after:.1f} after the measurements (other processes share the CPUs)"
        )
        if args.explain:
            print_plans(app, results)
        pairs.update(figures)
        print()
        print(" ".join(f"{key}={value}" for key, value in pairs.items()))
        return 0
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument("--quick", action="store_true", help="500 teachers, 100,000 events")
    parser.add_argument("--sqlite", action="store_true", help="a SQLite file, not PostgreSQL")
    parser.add_argument(
        "--pg-url",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
        help="a database on the server where the bench creates (and drops) its own",
    )
    parser.add_argument("--runs", type=int, default=0, help="runs per measurement")
    parser.add_argument("--explain", action="store_true", help="plans of the slowest SELECTs")
    parser.add_argument("--keep", action="store_true", help="keep the database and temp folder")
    args = parser.parse_args(argv)
    if args.runs < 0:
        parser.error("--runs must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    scale = QUICK if args.quick else FULL
    workdir = Path(tempfile.mkdtemp(prefix="bench-courses-"))
    database = Database(args, workdir)
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
