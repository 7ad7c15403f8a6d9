"""Looking up what a course page names by id, for the person asking.

Each lookup checks the permission its page needs and raises ``NotFound`` (or
``PermissionDenied``; both answer 404) otherwise, so a page cannot forget the
check and a course one may not see is not revealed to exist.
"""

from __future__ import annotations

from app import permissions
from app.accounts.models import User
from app.core.errors import NotFound
from app.core.unit_of_work import check, found
from app.courses.models import Course, Module, ModuleFile, Question
from app.extensions import db


def get_course(course_id: int, user: User) -> Course:
    """A course the user may see (teachers: published ones, or archived ones they took)."""
    course = found(db.session.get(Course, course_id))
    check(permissions.can_view_course(user, course))
    return course


def staff_course(course_id: int, user: User) -> Course:
    """A course for any course staff member: the read-only builder and previews."""
    course = get_course(course_id, user)
    check(permissions.is_course_staff(user))
    return course


def editable_course(course_id: int, user: User) -> Course:
    """A course the user may change: its authors, its creator, administrators."""
    course = get_course(course_id, user)
    check(permissions.can_edit_course(user, course))
    return course


def enrolment_course(course_id: int, user: User) -> Course:
    """A course whose learners the user may enrol and withdraw."""
    course = get_course(course_id, user)
    check(permissions.can_manage_enrollments(user, course))
    return course


def progress_course(course_id: int, user: User) -> Course:
    """A course whose progress matrix, histories and documents the user may read."""
    course = get_course(course_id, user)
    check(permissions.can_view_progress(user, course))
    return course


def get_module(course: Course, module_id: int) -> Module:
    module = found(db.session.get(Module, module_id))
    if module.course_id != course.id:
        raise NotFound()
    return module


def module_file(module: Module, file_id: int) -> ModuleFile:
    return found(next((f for f in module.files if f.id == file_id), None))


def get_question(module: Module, question_id: int) -> Question:
    question = found(db.session.get(Question, question_id))
    if question.module_id != module.id:
        raise NotFound()
    return question
