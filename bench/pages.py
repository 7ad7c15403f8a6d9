"""Benchmark: the pages people open most, beside ``/healthz`` on the same gunicorn.

    .venv/bin/python bench/pages.py [--quick] [--materials N] [--rounds N] [--seconds S]
                                    [--clients N] [--pg URL] [--workdir DIR] [--keep]

The goal (from the issue): the logged-in catalog (``/materials`` as a teacher) at
least 0.25 of ``/healthz`` throughput on the same server, with 1,000 materials.

What it does:

* makes a throw-away instance folder with a SQLite database (or, with ``--pg``, a new
  PostgreSQL database on that server, dropped at the end), migrates it and seeds a
  district in-process through the models: 1,000 published materials (``--quick``:
  200) spread over 20 organizations, 10 subjects, 5 collections and all levels, each
  with one file (one stored object shared by all: content addressing makes that what
  the store would hold anyway), a teacher enrolled on three courses, with favourites,
  a methodist, a manager and an administrator; then rebuilds the search index;
* starts the real site in its own process group,
  ``gunicorn --no-control-socket -w 2 wsgi:app``, and signs each role in through
  ``/login`` with the CSRF token from the form (argon2id at production parameters);
* per round, measures each page for ``--seconds`` with ``--clients`` concurrent
  clients (threads, one new connection per request, as gunicorn's sync workers
  close them), then ``/healthz`` right after it, so every page has its own
  baseline taken under the same load of the machine; pages: the home page of each
  role, ``/materials`` (the catalog, as a teacher), a material page, and
  ``/search?q=урок``;
* reports per page the median over rounds of requests/s, p50 and p95 latency, and of
  the ratio to the ``/healthz`` beside it.

The last line is ``key=value`` pairs: ``<page>_rps``, ``<page>_ratio``,
``<page>_p95_ms`` for every page, ``healthz_rps``, ``materials``, ``goal_catalog_ratio``
and ``goal_catalog_ratio_ok``. Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.pg_support import PgDatabase, log
from bench.storage import BIN, Client, Site

GOAL_CATALOG_RATIO = 0.25
PASSWORD = "bench-pass-2024"
EMAILS = {
    "teacher": "teacher@bench.example",
    "methodist": "methodist@bench.example",
    "manager": "manager@bench.example",
    "admin": "admin@bench.example",
}
WORDS = [
    "урок",
    "конспект",
    "математика",
    "чтение",
    "проект",
    "оценивание",
    "рекомендации",
    "развитие",
    "речи",
    "программа",
    "внеурочная",
    "деятельность",
    "экология",
    "физика",
    "химия",
    "литература",
    "история",
    "практикум",
    "лабораторная",
    "работа",
    "олимпиада",
    "подготовка",
    "функциональная",
    "грамотность",
]


# --- the district -----------------------------------------------------------------


def _docx(text: str) -> bytes:
    from docx import Document

    document = Document()
    document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def seed(env: dict[str, str], materials: int) -> int:
    """Migrate and fill the database of ``env``; the id of one material to open."""
    os.environ.update(env)
    from flask_migrate import upgrade

    from app import create_app
    from app.accounts import directory
    from app.accounts import services as accounts
    from app.accounts.models import Role
    from app.core.models import utcnow
    from app.core.storage import get_store
    from app.courses import authoring
    from app.courses.enrolment import enrol_self
    from app.extensions import db
    from app.materials.models import (
        Collection,
        EducationLevel,
        Favourite,
        Material,
        MaterialStatus,
        MaterialType,
        StoredFile,
    )
    from app.search import indexing

    rng = random.Random(20240901)
    app = create_app()
    with app.app_context():
        upgrade()
        orgs = [
            directory.save_organization(
                directory.OrganizationData(
                    full_name=f"Муниципальное общеобразовательное учреждение «Школа № {n}»",
                    short_name=f"МОУ «Школа № {n}»",
                )
            )
            for n in range(1, 21)
        ]
        subjects = [
            directory.save_subject(name)
            for name in (
                "Математика", "Русский язык", "Литература", "Физика", "Химия",
                "Биология", "История", "География", "Информатика", "Английский язык",
            )
        ]  # fmt: skip
        people = {}
        for role, email in EMAILS.items():
            people[role] = accounts.create_user(
                accounts.UserData(
                    email=email,
                    last_name={"teacher": "Иванова", "methodist": "Петрова"}.get(role, "Сидоров"),
                    first_name="Анна",
                    role=getattr(Role, role.upper()),
                    organization_id=orgs[0].id,
                    subject_ids=[subjects[0].id],
                ),
                PASSWORD,
            )
        collections = [Collection(name=f"Коллекция {n}") for n in range(1, 6)]
        db.session.add_all(collections)
        stored = get_store().put(
            io.BytesIO(_docx("Конспект урока: " + " ".join(WORDS))),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        )
        levels = list(EducationLevel)
        types = list(MaterialType)
        methodist = people["methodist"]
        ids = []
        for n in range(materials):
            words = rng.sample(WORDS, 6)
            material = Material(
                status=MaterialStatus.PUBLISHED,
                material_type=types[n % len(types)],
                annotation=("Материал для педагогов: " + " ".join(words) + ". ") * 4,
                keywords=", ".join(words[:3]),
                authors="Петрова А. В., Сидоров И. И.",
                year=2015 + n % 10,
                organization=orgs[n % len(orgs)],
                uploaded_by=methodist,
                created_at=utcnow(),
                published_at=utcnow(),
                download_count=rng.randint(0, 500),
                subjects=rng.sample(subjects, 2),
                collections=[collections[n % len(collections)]],
            )
            material.set_title(f"{words[0].capitalize()} {words[1]}: {words[2]} (№ {n + 1})")
            material.levels = rng.sample(levels, 2)
            material.refresh_search_text()
            material.files.append(
                StoredFile(
                    storage_key=stored.key,
                    sha256=stored.sha256,
                    size=stored.size,
                    kind="docx",
                    content_type=stored.content_type,
                    original_name=f"материал-{n + 1}.docx",
                    uploaded_by=methodist,
                    text_status="none",  # nothing to extract: the bench times pages
                )
            )
            db.session.add(material)
            if n % 200 == 199:
                db.session.commit()
        db.session.commit()
        ids = list(db.session.execute(db.select(Material.id).order_by(Material.id)).scalars())
        teacher = people["teacher"]
        db.session.add_all(Favourite(user_id=teacher.id, material_id=i) for i in ids[:30])
        db.session.commit()
        for n in range(1, 4):
            course = authoring.create_course(
                authoring.CourseData(title=f"Курс повышения квалификации № {n}", hours=36),
                methodist,
            )
            authoring.add_module(
                course,
                authoring.ModuleData(title="Модуль 1", content_html="<p>Содержание</p>"),
                methodist,
            )
            authoring.set_status(course, "published", methodist)
            enrol_self(teacher, course)
        log(f"seeded {len(ids)} materials; rebuilding the search index")
        started = time.monotonic()
        indexing.reindex()
        log(f"index rebuilt in {time.monotonic() - started:.1f} s")
        db.session.remove()
        db.engine.dispose()
        return ids[len(ids) // 2]


# --- load ------------------------------------------------------------------------------


class Pages(Site):
    """The site as the issue runs it: two sync workers."""

    def command(self) -> list[str]:
        return [
            str(BIN / "gunicorn"),
            "--no-control-socket",
            "-w",
            "2",
            "--timeout",
            "120",
            "-b",
            f"127.0.0.1:{self.port}",
            self.app_spec,
        ]


@dataclass
class Sample:
    rps: float
    p50_ms: float
    p95_ms: float
    errors: int


def hammer(client: Client, path: str, seconds: float, clients: int) -> Sample:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def run() -> None:
        mine: list[float] = []
        bad = 0
        while time.monotonic() < deadline:
            started = time.perf_counter()
            reply = client.request("GET", path)
            mine.append(time.perf_counter() - started)
            if reply.status != 200:
                bad += 1
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    began = time.monotonic()
    threads = [threading.Thread(target=run) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    latencies.sort()

    def pct(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000

    return Sample(len(latencies) / elapsed, pct(0.50), pct(0.95), errors[0])


_WRK_REPORT = """
done = function(summary, latency, requests)
  io.write(string.format("BENCH %d %d %d %.3f %.3f\\n", summary.requests, summary.duration,
    summary.errors.status, latency:percentile(50) / 1000, latency:percentile(95) / 1000))
end
"""


def hammer_wrk(client: Client, path: str, seconds: float, clients: int) -> Sample:
    """The same load from ``wrk`` (C, one thread): the Python client threads above spend
    CPU of the same two cores reading each page, which penalises big pages beside the
    tiny ``/healthz``; wrk's share is small and the same for both."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_WRK_REPORT)
    # wrk takes whole seconds only.
    command = ["wrk", "-t1", f"-c{clients}", f"-d{max(1, round(seconds))}s", "-s", script.name]
    if client.cookies:
        cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
        command += ["-H", f"Cookie: {cookie}"]
    command.append(f"http://127.0.0.1:{client.port}{path}")
    try:
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(script.name)
    line = next(line for line in output.splitlines() if line.startswith("BENCH "))
    requests, duration_us, errors, p50, p95 = line.split()[1:]
    return Sample(int(requests) / (int(duration_us) / 1e6), float(p50), float(p95), int(errors))


@dataclass
class Page:
    key: str
    role: str
    path: str
    samples: list[Sample] = field(default_factory=list)
    baselines: list[Sample] = field(default_factory=list)

    def median(self, attr: str, of: str = "samples") -> float:
        return statistics.median(getattr(s, attr) for s in getattr(self, of))

    @property
    def ratio(self) -> float:
        return statistics.median(
            s.rps / b.rps for s, b in zip(self.samples, self.baselines, strict=True)
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="200 materials, 2 short rounds")
    parser.add_argument("--materials", type=int)
    parser.add_argument("--rounds", type=int)
    parser.add_argument("--seconds", type=float, help="per page and round")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients")
    parser.add_argument("--pg", metavar="URL", help="PostgreSQL server URL (a new database)")
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--keep", action="store_true", help="keep the work folder and database")
    parser.add_argument(
        "--client",
        choices=("wrk", "python"),
        default="wrk" if shutil.which("wrk") else "python",
        help="load generator: wrk (apt-get install wrk; the default when present) or threads",
    )
    args = parser.parse_args()
    load = hammer_wrk if args.client == "wrk" else hammer
    materials = args.materials or (200 if args.quick else 1000)
    rounds = args.rounds or (2 if args.quick else 5)
    seconds = args.seconds or (1.5 if args.quick else 4.0)

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench-pages-"))
    instance = workdir / "instance"
    instance.mkdir(parents=True, exist_ok=True)
    pg = PgDatabase(args.pg, "bench_pages", args.keep) if args.pg else None
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "STORAGE_URL", "SEARCH_INDEX_DIR", "APP_ENV"}
    }
    env.update(
        {
            "APP_ENV": "development",
            "INSTANCE_PATH": str(instance),
            "DATABASE_URL": f"sqlite:///{instance / 'bench.sqlite3'}",
            "STORAGE_URL": f"file://{instance / 'storage'}",
            "SEARCH_INDEX_DIR": str(instance / "search-index"),
            "SECRET_KEY": "bench-" + secrets.token_hex(16),
            "INDEX_WORKER_THREAD": "0",
            "PYTHONUNBUFFERED": "1",
        }
    )
    site = None
    try:
        if pg is not None:
            pg.create()
            env["DATABASE_URL"] = pg.url
        started = time.monotonic()
        material_id = seed(env, materials)
        log(f"seeding took {time.monotonic() - started:.1f} s")
        site = Pages("pages", env, workdir).start()
        sessions = {}
        for role, email in EMAILS.items():
            sessions[role] = Client(site.port)
            sessions[role].login(email, PASSWORD)
        pages = [
            Page(f"home_{role}", role, "/home") for role in ("teacher", "methodist", "manager")
        ]
        pages += [
            Page("home_admin", "admin", "/home"),
            Page("catalog", "teacher", "/materials"),
            Page("material", "teacher", f"/materials/{material_id}"),
            Page("search", "teacher", "/search?q=" + urllib.parse.quote("урок")),
        ]
        for page in pages:  # warm every worker's caches and check the page answers
            for _ in range(4):
                reply = sessions[page.role].request("GET", page.path)
                if reply.status != 200:
                    raise RuntimeError(f"{page.path} as {page.role} answered {reply.status}")
        anonymous = Client(site.port)
        for n in range(1, rounds + 1):
            for page in pages:
                page.samples.append(load(sessions[page.role], page.path, seconds, args.clients))
                page.baselines.append(load(anonymous, "/healthz", seconds, args.clients))
            log(
                f"round {n}/{rounds}: "
                + ", ".join(
                    f"{p.key} {p.samples[-1].rps:.0f}/{p.baselines[-1].rps:.0f}" for p in pages
                )
            )
    finally:
        if site is not None:
            site.stop()
        if pg is not None:
            pg.drop()
        if not args.keep and args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)

    database = "postgresql" if pg is not None else "sqlite"
    print(
        f"pages beside /healthz: {materials} materials, {database}, gunicorn -w 2, {args.client}, "
        f"{args.clients} clients, {rounds} rounds of {seconds:g} s per page (medians)"
    )
    print(
        f"{'page':<16}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'healthz':>9}{'ratio':>8}{'errors':>8}"
    )
    pairs: dict[str, str] = {}
    for page in pages:
        errors = sum(s.errors for s in page.samples)
        print(
            f"{page.key:<16}{page.median('rps'):>9.1f}{page.median('p50_ms'):>9.1f}"
            f"{page.median('p95_ms'):>9.1f}{page.median('rps', 'baselines'):>9.1f}"
            f"{page.ratio:>9.3f}{errors:>9d}"
        )
        pairs[f"{page.key}_rps"] = f"{page.median('rps'):.1f}"
        pairs[f"{page.key}_ratio"] = f"{page.ratio:.3f}"
        pairs[f"{page.key}_p95_ms"] = f"{page.median('p95_ms'):.1f}"
    healthz = statistics.median(b.rps for p in pages for b in p.baselines)
    catalog = next(p for p in pages if p.key == "catalog")
    ok = catalog.ratio >= GOAL_CATALOG_RATIO
    print(f"goal: catalog at >= {GOAL_CATALOG_RATIO} of /healthz: {catalog.ratio:.3f} -> {ok}")
    pairs.update(
        healthz_rps=f"{healthz:.1f}",
        materials=str(materials),
        database=database,
        client=args.client,
        goal_catalog_ratio=str(GOAL_CATALOG_RATIO),
        goal_catalog_ratio_ok=str(ok).lower(),
    )
    print(" ".join(f"{k}={v}" for k, v in pairs.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
