"""schemathesis against /api/openapi.json through the WSGI app: zero server errors and zero undocumented
responses (status codes, content types and bodies all as the schema declares). Bounded so it runs in about a minute."""

from __future__ import annotations

import itertools

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from gongzhi.api import tokens
from gongzhi.api.tests.factories import partner
from gongzhi.cases.tests.factories import world

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def token(db):
    w = world()
    w.submit()
    _p, raw = partner(w.jurisdiction)
    _t, staff = tokens.create_token(name="staff tool", user=w.steward)  # the staff actions act as a user
    return raw, staff


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_api_conforms_to_its_schema(token):
    from gongzhi.wsgi import application

    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)
    calls: list[int] = []
    for operation, mode in itertools.product(schema.get_all_operations(), GenerationMode):
        op = operation.ok()

        @settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(case=op.as_strategy(generation_mode=mode))
        def run(case):
            for auth in (f"Bearer {token[0]}", f"Bearer {token[1]}", None):
                headers = {"Authorization": auth} if auth else {}
                response = case.call(headers=headers)
                calls.append(response.status_code)
                # Raises (and Hypothesis shrinks and reports) on a 5xx or anything the schema does not declare.
                case.validate_response(response, checks=CHECKS, headers=headers)

        run()
    assert len(calls) > 100 and {200, 201, 400, 401, 404, 409, 422} <= set(calls), sorted(set(calls))
