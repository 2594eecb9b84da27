"""What a coordinator reads in the Prefect UI: every served deployment has its own name, one audience tag, and a
Run form whose every field has a Chinese title and description; money is a decimal string; free text refuses
an ID-shaped number before the server stores a run."""

from __future__ import annotations

import re
from typing import Any

import pytest
from prefect.utilities.schema_tools.validation import ValidationError, validate

from runtime.deployments import deployments

CJK = re.compile(r"[\u4e00-\u9fff]")
AUDIENCES = {"coordinator", "supervisor", "operations"}
ISSUE_INPUT = "张三丰 520527195003040115 stable"  # issue 15: typed into a follow-up's outcome


@pytest.fixture(scope="module")
def served() -> dict[str, Any]:
    return {f"{d.flow_name}/{d.name}": d for d in deployments()}


def test_every_deployment_has_its_own_name_and_one_audience(served: dict[str, Any]) -> None:
    assert len(served) == len(deployments()), "no two deployments share flow and name"
    names = [d.name for d in served.values()]
    assert len(set(names)) == len(names), "each deployment's own name is distinct too"
    assert "county" not in names
    for key, d in served.items():
        assert len(AUDIENCES & set(d.tags)) == 1, key
    coordinator = {k for k, d in served.items() if "coordinator" in d.tags}
    assert {"confirm-diagnosis/confirm", "discharge-case/discharge", "settle-discharge/settle"} <= coordinator
    assert "county-demo/demo" not in coordinator and "operations" in served["flush-events/outbox"].tags


def test_every_parameter_has_a_chinese_title_and_description(served: dict[str, Any]) -> None:
    for key, d in served.items():
        properties = d._parameter_openapi_schema.properties
        for name, prop in properties.items():
            assert CJK.search(prop.get("title", "")), f"{key}: {name} has no Chinese title"
            assert CJK.search(prop.get("description", "")), f"{key}: {name} has no Chinese description"
    confirm = served["confirm-diagnosis/confirm"]._parameter_openapi_schema.properties
    assert confirm["case_id"]["title"].startswith("病例编号")
    assert confirm["confirmed_on"]["title"] == "确诊日期 (YYYY-MM-DD)"
    assert "ICD-10" in confirm["icd10"]["title"]


def test_money_is_a_decimal_string(served: dict[str, Any]) -> None:
    schema = served["discharge-case/discharge"]._parameter_openapi_schema.model_dump_for_openapi()
    total = schema["properties"]["total_cost"]
    assert total["title"] == "出院医疗总费用 (元)"
    assert total["type"] == "string" and "anyOf" not in total
    params = {"case_id": 31, "discharged_on": "2017-04-25", "total_cost": "38734.00"}
    validate(params, schema, raise_on_error=True)
    for bad in (38734.0, "38734.001", "3,000"):
        with pytest.raises(ValidationError):
            validate({**params, "total_cost": bad}, schema, raise_on_error=True)


@pytest.mark.parametrize(
    ("deployment", "field"),
    [
        ("record-follow-up/follow-up", "outcome"),
        ("import-screenings/import", "csv_path"),
        ("screen-patient/screen", "method"),
        ("export-ledger/ledger", "out_dir"),
        ("confirm-diagnosis/confirm", "actor"),
    ],
)
def test_the_server_refuses_free_text_holding_an_id_number(served: dict[str, Any], deployment: str, field: str) -> None:
    """The check the Prefect server runs (enforce_parameter_schema) before it creates, and stores, a run."""
    d = served[deployment]
    schema = d._parameter_openapi_schema.model_dump_for_openapi()
    assert d.enforce_parameter_schema
    required = {
        "case_id": 31,
        "followed_on": "2017-06-01",
        "patient_id": 12,
        "icd10": "I10",
        "screened_on": "2017-03-02",
    }
    base = {k: v for k, v in required.items() if k in schema["properties"]}
    for text in (ISSUE_INPUT, "/data/５２０５２７１９５００３０４０１１Ｘ.csv", "52052719500304011X"):
        with pytest.raises(ValidationError):
            validate({**base, field: text}, schema, raise_on_error=True)


def test_system_actors_cannot_be_picked_in_a_coordinators_form(served: dict[str, Any]) -> None:
    for key, d in served.items():
        actor = d._parameter_openapi_schema.properties.get("actor")
        if "coordinator" in d.tags and actor is not None:
            assert "coordinator" in actor["enum"], key
            assert not {"system", "demo", "nightly", "events"} & set(actor["enum"]), key
    triggered = [k for k, d in served.items() if "event-triggered" in d.tags]
    assert len(triggered) == 3  # on-triaged, on-discharged (settle), waiting-on-discharged (refer the waiting)
    assert all("actor" not in served[k]._parameter_openapi_schema.properties for k in triggered)


@pytest.mark.parametrize(
    "args",
    [
        ["follow-up", "31", "2017-06-01", "--outcome", ISSUE_INPUT],
        ["confirm", "31", "2017-04-10", "--actor", "520527195003040115"],
    ],
)
def test_the_cli_refuses_it_without_repeating_it(args: list[str]) -> None:
    from typer.testing import CliRunner

    import cli.app

    result = CliRunner().invoke(cli.app.app, args)
    assert result.exit_code == 2
    assert "520527195003040115" not in result.output and "张三丰" not in result.output
