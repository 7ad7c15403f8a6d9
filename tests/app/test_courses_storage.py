"""A module's file that the store cannot give: one Russian 503 page for teachers and staff."""

from __future__ import annotations

from io import BytesIO

from app.accounts.models import Role
from app.core.errors import StorageFailure
from app.courses import authoring, enrolment
from app.materials import files
from app.materials import services as materials
from tests.factories import login, make_course, make_user, pdf_bytes


def test_a_storage_failure_answers_503_with_the_russian_page(app, monkeypatch):
    methodist = make_user(Role.METHODIST, email="m@school.ru")
    teacher = make_user(Role.TEACHER, email="t@school.ru")
    course = make_course(methodist, modules=("opened",))
    module = course.modules[0]
    row = authoring.add_module_file(
        module, materials.Upload(BytesIO(pdf_bytes("Memo")), "памятка.pdf"), methodist
    )
    enrolment.enrol_self(teacher, course)

    def unavailable(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise StorageFailure("store is down")

    monkeypatch.setattr(files, "file_response", unavailable)
    base = f"/courses/{course.id}/modules/{module.id}/files/{row.id}"
    for user, url in ((teacher, base), (methodist, f"{base}/preview")):
        client = app.test_client()
        login(client, user)
        response = client.get(url)
        assert response.status_code == 503, url
        html = response.get_data(as_text=True)
        assert "Хранилище недоступно" in html and "Попробуйте позже" in html
        assert "store is down" not in html
