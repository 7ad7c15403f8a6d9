"""Benchmark: the Whoosh index against PostgreSQL full-text search, side by side.

    .venv/bin/python bench/search.py [--quick | --large] [--docs N] [--procs N]

Generates a Russian corpus (inflected forms of real words drawn from
pymorphy3's dictionary, Zipf-distributed like natural text; bodies of 3-8 KB
of UTF-8), indexes it with ``SearchIndex.rebuild`` and into a PostgreSQL table
(``russian`` configuration, GIN index), then times the first results page
(20 hits, snippets, exact total and counts for six facets, restricted to
published documents) for 1-, 2- and 3-word queries on both.

PostgreSQL: ``--pg-url`` (default postgresql://postgres@127.0.0.1:5432/test);
the script creates its table in a schema of its own (test suites that reset
``public`` in the same database cannot drop it mid-run) and drops both. The last line printed is
``key=value`` pairs.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from search_index import IndexDocument, SearchIndex, SearchRequest
from search_index.schema import FACET_FIELDS

# Common words of teaching materials first, then a long tail from the dictionary.
CORE_LEMMAS = """
учитель урок школа методический рекомендация ребёнок развитие программа образование
деятельность ученик задание проект математика литература занятие организация педагог опыт
знание навык игра книга класс предмет работа метод форма результат оценка процесс система
компетенция воспитание культура язык история география физика химия биология музыка искусство
технология чтение письмо слово текст вопрос ответ тема цель задача план материал пособие
учебник тетрадь доска экран компьютер сеть ресурс курс модуль семинар конференция конкурс
олимпиада выставка экскурсия праздник родитель семья друг коллектив группа команда директор
методист психолог логопед библиотека музей театр спорт здоровье питание безопасность дорога
природа вода лес город село район область страна мир время год месяц неделя день утро вечер
человек люди дети новый современный важный интересный активный творческий самостоятельный
практический научный русский английский родной основной общий дополнительный начальный
средний старший младший изучать читать писать решать думать говорить знать понимать развивать
формировать использовать применять создавать проводить организовывать планировать оценивать
анализировать идти работать играть учить объяснять показывать сравнивать наблюдать
исследование эксперимент лаборатория практикум контроль диагностика мониторинг аттестация
квалификация стандарт требование условие среда пространство возможность способность интерес
мотивация успех качество уровень этап шаг пример образец схема таблица рисунок карта модель
""".strip().split()

SUBJECTS = [
    "Математика",
    "Русский язык",
    "Литература",
    "Физика",
    "Химия",
    "Биология",
    "История",
    "Обществознание",
    "География",
    "Информатика",
    "Английский язык",
    "Музыка",
    "ИЗО",
    "Технология",
    "Физкультура",
    "ОБЖ",
    "Начальные классы",
    "Дошкольное образование",
    "Астрономия",
    "Психология",
]
TYPES = [
    "Конспект урока",
    "Методические рекомендации",
    "Презентация",
    "Рабочая программа",
    "Сборник",
    "Нормативный документ",
    "Электронный учебник",
    "Опыт работы",
]
LEVELS = ["ДО", "НОО", "ООО", "СОО", "ДОП"]
ORGANIZATIONS = [f"МБОУ СОШ № {n}" for n in range(1, 41)] + [
    f"МБДОУ детский сад № {n}" for n in range(1, 21)
]
COLLECTIONS = [f"Банк опыта {year}" for year in range(2015, 2026)] + [
    "Лучшие практики",
    "Инклюзия",
    "Одарённые дети",
    "Цифровая школа",
]
FIRST_NAMES = [
    "Анна",
    "Елена",
    "Ольга",
    "Татьяна",
    "Ирина",
    "Наталья",
    "Мария",
    "Сергей",
    "Андрей",
    "Дмитрий",
    "Светлана",
    "Галина",
    "Людмила",
    "Николай",
]
SURNAMES = [
    "Иванова",
    "Петрова",
    "Смирнова",
    "Кузнецова",
    "Попова",
    "Соколова",
    "Лебедева",
    "Новикова",
    "Морозова",
    "Волкова",
    "Соловьёва",
    "Васильева",
    "Зайцева",
]


def build_vocabulary(size: int, rng: random.Random) -> list[str]:
    """Word forms in descending frequency: core lemmas' forms, then the tail."""
    import pymorphy3

    morph = pymorphy3.MorphAnalyzer()
    lemmas = list(dict.fromkeys(CORE_LEMMAS))
    tail: list[str] = []
    for prefix in (
        "по",
        "пр",
        "ра",
        "со",
        "ко",
        "ст",
        "на",
        "об",
        "пе",
        "от",
        "ма",
        "ви",
        "ка",
        "де",
        "за",
        "ре",
        "ли",
        "то",
        "бе",
        "ве",
        "го",
        "ду",
        "жи",
        "ми",
    ):
        seen = 0
        for word, tag, normal, *_ in morph.iter_known_word_parses(prefix):
            if tag.POS in ("NOUN", "ADJF", "VERB", "INFN") and normal == word and len(word) > 4:
                tail.append(word)
                seen += 1
                if seen >= 220:
                    break
    rng.shuffle(tail)
    lemmas += [word for word in tail if word not in lemmas]
    forms: list[str] = []
    seen_forms: set[str] = set()
    for lemma in lemmas:
        parse = morph.parse(lemma)[0]
        lexeme = [form.word for form in parse.lexeme][:12]
        rng.shuffle(lexeme)
        for form in lexeme:
            if form not in seen_forms:
                seen_forms.add(form)
                forms.append(form)
        if len(forms) >= size:
            break
    # Interleave so the most frequent forms come from many lemmas.
    rng.shuffle(forms)
    core = [f for f in forms if morph.parse(f)[0].normal_form in set(CORE_LEMMAS)]
    rest = [f for f in forms if f not in set(core)]
    return core + rest


class Corpus:
    def __init__(self, count: int, seed: int = 42) -> None:
        self.rng = random.Random(seed)
        self.count = count
        self.vocabulary = build_vocabulary(20_000, self.rng)
        ranks = range(1, len(self.vocabulary) + 1)
        self.cum_weights = list(itertools.accumulate(1.0 / (r**1.05) for r in ranks))

    def words(self, n: int) -> list[str]:
        return self.rng.choices(self.vocabulary, cum_weights=self.cum_weights, k=n)

    def sentence(self, low: int, high: int) -> str:
        words = self.words(self.rng.randint(low, high))
        words[0] = words[0].capitalize()
        return " ".join(words) + "."

    def body(self) -> str:
        target = self.rng.randint(3 * 1024, 8 * 1024)
        parts: list[str] = []
        size = 0
        while size < target:
            sentence = self.sentence(6, 18)
            parts.append(sentence)
            size += len(sentence.encode("utf-8")) + 1
        return " ".join(parts)

    def documents(self) -> Iterator[IndexDocument]:
        rng = self.rng
        start = datetime(2015, 1, 1, tzinfo=UTC)
        for number in range(1, self.count + 1):
            created = start + timedelta(minutes=rng.randrange(11 * 365 * 24 * 60))
            filters = {
                "subject": [rng.choice(SUBJECTS)],
                "type": [rng.choice(TYPES)],
                "level": [rng.choice(LEVELS)],
                "organization": [rng.choice(ORGANIZATIONS)],
                "collection": [rng.choice(COLLECTIONS)] if rng.random() < 0.3 else [],
                "year": [str(created.year)],
                "status": ["published" if rng.random() < 0.9 else "draft"],
            }
            yield IndexDocument(
                id=f"material:{number}",
                kind="material",
                title=self.sentence(4, 10).rstrip("."),
                annotation=self.sentence(20, 40),
                keywords=", ".join(self.words(rng.randint(3, 6))),
                authors=f"{rng.choice(SURNAMES)} {rng.choice(FIRST_NAMES)}",
                body=self.body(),
                filters=filters,
                created=created,
                downloads=int(rng.paretovariate(1.2)) - 1,
            )

    def phrases(self, count: int) -> list[str]:
        """Quoted pairs of adjacent words taken from generated text."""
        found = []
        for _ in range(count):
            words = self.sentence(6, 10).rstrip(".").lower().split()
            start = self.rng.randrange(len(words) - 1)
            found.append(f'"{words[start]} {words[start + 1]}"')
        return found

    def queries(self, words: int, count: int) -> list[str]:
        # People search for content words, neither the commonest nor hapaxes.
        pool = self.vocabulary[30:3000]
        weights = [1.0 / (r**0.8) for r in range(1, len(pool) + 1)]
        return [" ".join(self.rng.choices(pool, weights=weights, k=words)) for _ in range(count)]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


# -- PostgreSQL ---------------------------------------------------------------------

PG_COLUMNS = (
    "id",
    "title",
    "annotation",
    "keywords",
    "authors",
    "body",
    "subject",
    "type",
    "level",
    "organization",
    "collection",
    "year",
    "status",
    "created",
    "downloads",
)


def pg_load(url: str, table: str, docs: list[IndexDocument]) -> dict[str, float]:
    import psycopg

    timings: dict[str, float] = {}
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {table.split('.')[0]} CASCADE")
        conn.execute(f"CREATE SCHEMA {table.split('.')[0]}")
        conn.execute(
            f"""CREATE TABLE {table} (
                id text PRIMARY KEY, title text, annotation text, keywords text, authors text,
                body text, subject text, type text, level text, organization text,
                collection text, year text, status text, created timestamptz, downloads int,
                tsv tsvector GENERATED ALWAYS AS (
                    setweight(to_tsvector('russian', coalesce(title, '')), 'A') ||
                    setweight(to_tsvector('russian', coalesce(keywords, '')), 'B') ||
                    setweight(to_tsvector('russian', coalesce(annotation, '')), 'B') ||
                    setweight(to_tsvector('russian', coalesce(authors, '')), 'C') ||
                    setweight(to_tsvector('russian', coalesce(body, '')), 'D')
                ) STORED)"""
        )
        started = time.perf_counter()
        with (
            conn.cursor() as cur,
            cur.copy(f"COPY {table} ({', '.join(PG_COLUMNS)}) FROM STDIN") as copy,
        ):
            for doc in docs:
                f = doc.filters
                copy.write_row(
                    (
                        doc.id,
                        doc.title,
                        doc.annotation,
                        doc.keywords,
                        doc.authors,
                        doc.body,
                        f["subject"][0],
                        f["type"][0],
                        f["level"][0],
                        f["organization"][0],
                        (f["collection"] or [None])[0],
                        f["year"][0],
                        f["status"][0],
                        doc.created,
                        doc.downloads,
                    )
                )
        timings["load"] = time.perf_counter() - started
        started = time.perf_counter()
        conn.execute(f"CREATE INDEX ON {table} USING gin (tsv)")
        conn.execute(f"CREATE INDEX ON {table} (status)")
        conn.execute(f"ANALYZE {table}")
        timings["index"] = time.perf_counter() - started
    return timings


def pg_page(conn: Any, table: str, q: str) -> tuple[int, list[str]]:
    """First page, snippets, total and facet counts: what the app's page needs."""
    from psycopg import sql

    parser = "plainto_tsquery"
    if q.startswith('"'):
        parser, q = "phraseto_tsquery", q.strip('"')

    fields = [sql.Identifier(field) for field in FACET_FIELDS if field != "status"]
    page = sql.SQL(
        """WITH query AS (SELECT {parser}('russian', %(q)s) AS q),
        matched AS (
            SELECT d.id, d.title, d.body, ts_rank_cd(d.tsv, query.q) AS rank
            FROM {table} d, query WHERE d.tsv @@ query.q AND d.status = 'published'),
        top AS (SELECT * FROM matched ORDER BY rank DESC, id LIMIT 20)
        SELECT top.id, ts_headline('russian', top.title, query.q),
               ts_headline('russian', top.body, query.q, 'MaxFragments=1, MaxWords=35')
        FROM top, query ORDER BY top.rank DESC, top.id"""
    ).format(table=sql.Identifier(*table.split(".")), parser=sql.Identifier(parser))
    facets = sql.SQL(
        """SELECT {fields}, count(*) FROM {table}
        WHERE tsv @@ {parser}('russian', %(q)s) AND status = 'published'
        GROUP BY GROUPING SETS ({sets}, ())"""
    ).format(
        fields=sql.SQL(", ").join(fields),
        table=sql.Identifier(*table.split(".")),
        parser=sql.Identifier(parser),
        sets=sql.SQL(", ").join(sql.SQL("({})").format(field) for field in fields),
    )
    with conn.cursor() as cur:
        cur.execute(page, {"q": q})
        hits = [row[0] for row in cur.fetchall()]
        cur.execute(facets, {"q": q})
        total = 0
        for row in cur.fetchall():
            if all(value is None for value in row[:-1]):
                total = max(total, row[-1])
    return total, hits


# -- the run ------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="2,000 documents")
    size.add_argument("--large", action="store_true", help="100,000 documents")
    size.add_argument("--docs", type=int, help="any number of documents")
    parser.add_argument(
        "--procs",
        type=int,
        default=os.cpu_count() or 1,
        help="processes for index building (default: all cores)",
    )
    parser.add_argument("--queries", type=int, default=100, help="queries per word count")
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--no-pg", action="store_true", help="skip PostgreSQL")
    parser.add_argument("--keep", help="build the index in this folder and keep it")
    args = parser.parse_args()
    count = args.docs or (2_000 if args.quick else 100_000 if args.large else 10_000)

    started = time.perf_counter()
    corpus = Corpus(count)
    docs = list(corpus.documents())
    body_bytes = [len(doc.body.encode("utf-8")) for doc in docs]
    body_chars = [len(doc.body) for doc in docs]
    print(
        f"corpus: {count} documents, bodies {min(body_bytes)}-{max(body_bytes)} bytes "
        f"(mean {statistics.mean(body_bytes):.0f} bytes, {statistics.mean(body_chars):.0f} chars), "
        f"vocabulary {len(corpus.vocabulary)} forms, generated in "
        f"{time.perf_counter() - started:.1f} s"
    )

    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-search-"))
    results: dict[str, Any] = {"docs": count, "procs": args.procs}
    index = SearchIndex(str(folder / "index"))
    try:
        load_before = os.getloadavg()[0]
        cpu_before = os.times()
        started = time.perf_counter()
        index.rebuild(docs, procs=args.procs)
        build = time.perf_counter() - started
        cpu_after = os.times()
        cpu = sum(cpu_after[:4]) - sum(cpu_before[:4])
        results["whoosh_build_s"] = round(build, 1)
        results["whoosh_docs_per_s"] = round(count / build)
        results["whoosh_docs_per_cpu_s"] = round(count / cpu)
        size_mb = (
            sum(f.stat().st_size for f in (folder / "index").rglob("*") if f.is_file()) / 2**20
        )
        print(
            f"whoosh: built in {build:.1f} s = {count / build:.0f} docs/s "
            f"({args.procs} processes; {cpu:.1f} CPU-s = {count / cpu:.0f} docs per CPU-second; "
            f"load average {load_before:.1f} before), {size_mb:.0f} MB on disk"
        )

        schema = f"bench_search_{os.getpid()}"
        table = f"{schema}.docs"
        pg_conn = None
        try:
            if not args.no_pg:
                import psycopg

                pg_conn = psycopg.connect(args.pg_url, autocommit=True)
                timings = pg_load(args.pg_url, table, docs)
                pg_total = timings["load"] + timings["index"]
                results["pg_build_s"] = round(pg_total, 1)
                results["pg_docs_per_s"] = round(count / pg_total)
                print(
                    f"postgres: COPY {timings['load']:.1f} s + GIN index {timings['index']:.1f} s "
                    f"= {count / pg_total:.0f} docs/s"
                )
            del docs

            restrict = {"status": ["published"]}
            # Warm-up: open searchers, load columns and caches on both sides.
            for q in corpus.queries(1, 20):
                index.search(SearchRequest(q=q, restrict=restrict))
                if pg_conn is not None:
                    pg_page(pg_conn, table, q)
            print(
                f"{'':14}{'whoosh p50':>11}{'p95':>9}{'max':>9}   "
                f"{'postgres p50':>12}{'p95':>9}{'max':>9}   {'hits/q':>7}"
            )
            for words in (1, 2, 3, 0):
                # 0 stands for two-word phrases in quotes.
                if words:
                    queries = corpus.queries(words, args.queries)
                else:
                    queries = corpus.phrases(args.queries)
                whoosh_ms: list[float] = []
                pg_ms: list[float] = []
                totals: list[int] = []
                for q in queries:
                    t0 = time.perf_counter()
                    page = index.search(SearchRequest(q=q, restrict=restrict))
                    whoosh_ms.append((time.perf_counter() - t0) * 1000)
                    totals.append(page.total)
                    if pg_conn is not None:
                        t0 = time.perf_counter()
                        pg_page(pg_conn, table, q)
                        pg_ms.append((time.perf_counter() - t0) * 1000)
                key = f"{words}w" if words else "phrase"
                results[f"whoosh_p50_{key}"] = round(percentile(whoosh_ms, 0.5), 1)
                results[f"whoosh_p95_{key}"] = round(percentile(whoosh_ms, 0.95), 1)
                line = (
                    f"{f'{words}-word query' if words else 'quoted phrase':14}"
                    f"{percentile(whoosh_ms, 0.5):9.1f}ms"
                    f"{percentile(whoosh_ms, 0.95):7.1f}ms{max(whoosh_ms):7.1f}ms"
                )
                if pg_ms:
                    results[f"pg_p50_{key}"] = round(percentile(pg_ms, 0.5), 1)
                    results[f"pg_p95_{key}"] = round(percentile(pg_ms, 0.95), 1)
                    results[f"ratio_p95_{key}"] = round(
                        percentile(whoosh_ms, 0.95) / percentile(pg_ms, 0.95), 2
                    )
                    line += (
                        f"   {percentile(pg_ms, 0.5):10.1f}ms{percentile(pg_ms, 0.95):7.1f}ms"
                        f"{max(pg_ms):7.1f}ms"
                    )
                print(f"{line}   {statistics.mean(totals):7.0f}")
        finally:
            if pg_conn is not None:
                pg_conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
                pg_conn.close()
    finally:
        index.close()
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    results["load_avg"] = round(os.getloadavg()[0], 1)
    print(f"machine: {os.cpu_count()} cores, load average now {os.getloadavg()[0]:.1f}")
    print(" ".join(f"{key}={value}" for key, value in results.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
