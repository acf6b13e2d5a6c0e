"""A department's part in a case (``DepartmentCase``): written by dispatch and whistle, once per pair, kept when the
case moves on; the migration rebuilds the same rows from the timeline and the co-handling tasks."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps as django_apps

from gongzhi.cases import services
from gongzhi.cases.models import DepartmentCase
from gongzhi.cases.tests.factories import world
from gongzhi.grid.tests.factories import DepartmentFactory

pytestmark = pytest.mark.django_db


def _rows() -> list[tuple[int, int, str]]:
    return list(
        DepartmentCase.objects.order_by("department_id", "case_id").values_list("department_id", "case_id", "via")
    )


def test_dispatch_and_whistle_record_the_departments_part_once_and_for_good():
    w = world()
    other = DepartmentFactory(jurisdiction=w.jurisdiction, name="区住建局")
    case = w.submit()
    services.triage(case=case, actor=w.dispatcher, category=w.category)
    services.dispatch(case=case, actor=w.dispatcher, department=w.department)
    services.return_case(case=case, actor=w.dept_staff, reason="不归本部门")
    services.dispatch(case=case, actor=w.dispatcher, department=w.department)  # again: still one row
    assert _rows() == [(w.department.pk, case.pk, "dispatched")]
    street = w.submit()
    services.triage(case=street, actor=w.dispatcher, category=w.category, level="street")
    services.whistle(case=street, actor=w.street_staff, departments=[w.department, other], task="联合执法")
    assert _rows() == sorted(
        [
            (w.department.pk, case.pk, "dispatched"),
            (w.department.pk, street.pk, "summoned"),
            (other.pk, street.pk, "summoned"),
        ]
    )
    # A dispatch to a unit or a person involves no department.
    unit = w.to_accepted()
    assert not DepartmentCase.objects.filter(case=unit).exists()


def test_the_migration_rebuilds_the_same_rows_from_the_timeline():
    test_dispatch_and_whistle_record_the_departments_part_once_and_for_good()
    written = list(
        DepartmentCase.objects.order_by("department_id", "case_id").values_list("department_id", "case_id", "via", "at")
    )
    DepartmentCase.objects.all().delete()
    migration = importlib.import_module("gongzhi.cases.migrations.0010_department_cases")
    migration.departments_cases(django_apps, None)
    rebuilt = list(
        DepartmentCase.objects.order_by("department_id", "case_id").values_list("department_id", "case_id", "via", "at")
    )
    assert rebuilt == written
