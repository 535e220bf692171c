"""The OpenAPI schema describes the API (issue 14.2): every operation declares its answers.

Quick and static; tests/test_api_fuzz.py then holds the live server to what is declared.
"""

import pytest

from telcost.api import api


@pytest.fixture(scope="module")
def schema():
    return api.get_openapi_schema()


def _operations(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield f"{method.upper()} {path}", operation


def _resolve(schema, node):
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def test_every_operation_declares_its_success_shape_and_its_errors(schema):
    undeclared = []
    for name, operation in _operations(schema):
        responses = operation["responses"]
        success = [status for status in responses if str(status).startswith("2")]
        with_body = [s for s in success if str(s) != "204"]  # 204: No Content, nothing to declare
        if not success or not all(responses[s].get("content") for s in with_body):
            undeclared.append(f"{name}: no success body declared")
        for status in (400, 401):
            if status not in responses and str(status) not in responses:
                undeclared.append(f"{name}: {status} not declared")
        for status, response in responses.items():
            if not str(status).startswith("2"):
                body = _resolve(schema, response["content"]["application/json"]["schema"])
                if body.get("required") != ["error"]:
                    undeclared.append(f"{name}: {status} is not the error shape")
    assert not undeclared, "\n".join(undeclared)
    assert len(list(_operations(schema))) >= 29


def _body_properties(schema, name):
    operation = dict(_operations(schema))[name]
    content = operation["requestBody"]["content"]
    body = _resolve(schema, next(iter(content.values()))["schema"])
    return body, {key: _resolve(schema, value) for key, value in body["properties"].items()}


@pytest.mark.parametrize(
    ("operation", "field", "values"),
    [
        ("POST /api/customers", "kind", ["standard", "rateplan"]),
        (
            "POST /api/exports",
            "kind",
            ["cdrs", "cost_centers", "totals", "devices", "reconciliation", "chargeback"],
        ),
        ("POST /api/exports", "format", ["xlsx", "csv"]),
        ("POST /api/sync-profiles", "provider", ["file_drop", "http_api", "routit"]),
        (
            "POST /simaction/simcard/modify-addons/{customer_id}",
            "addonsAction",
            ["activate", "cancel"],
        ),
        (
            "POST /simaction/simcard/modify-addons/{customer_id}",
            "addon_type",
            ["data_boost", "eu_roaming", "world_roaming"],
        ),
    ],
)
def test_enums_are_declared(schema, operation, field, values):
    _, properties = _body_properties(schema, operation)
    assert properties[field]["enum"] == values


def test_dates_have_their_format_and_the_upload_its_file(schema):
    _, export = _body_properties(schema, "POST /api/exports")
    assert export["cycle_start_date"]["format"] == "date"
    _, partner = _body_properties(schema, "POST /api/partners/{customer_id}/recalculate")
    assert partner["start_date"]["format"] == partner["end_date"]["format"] == "date"
    _, sync = _body_properties(schema, "POST /sync-profile/manual-sync")
    assert sync["date"]["pattern"].startswith("^[0-9]{4}-[0-9]{2}")
    totals = dict(_operations(schema))["GET /api/customers/{customer_id}/totals"]
    [month] = [p for p in totals["parameters"] if p["name"] == "month"]
    assert month["schema"]["pattern"] == "^[0-9]{4}-[0-9]{2}$"
    upload, _ = _body_properties(schema, "POST /api/customers/{customer_id}/cdr-imports")
    assert upload["required"] == ["file"]
