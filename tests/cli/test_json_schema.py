"""`leakhunt diff -f json` and `leakhunt hunt -f json` follow one documented
schema (docs/leakhunt-output.schema.json): what holds grown objects is the
same `cluster` and `container` object in both, never prose."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "docs" / "leakhunt-output.schema.json").read_text(encoding="utf-8"))

APP = """
import leakhunt
SESSIONS = {}
a = leakhunt.snapshot("a", graph=True, path="snaps")
for i in range(50):
    SESSIONS[f"u{i}"] = {"user": i}
b = leakhunt.snapshot("b", graph=True, path="snaps")
"""

TARGET = """
class Order:
    pass

_ORDERS = []

def action():
    _ORDERS.append(Order())
"""


def _run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1", "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        [sys.executable, *map(str, args)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        cwd=cwd,
        timeout=300,
        check=False,
    )


def _validator(kind: str) -> Any:
    schema = {**SCHEMA, "$ref": f"#/$defs/{kind}"}
    schema.pop("oneOf")
    return jsonschema.Draft202012Validator(schema)


def test_the_schema_is_a_valid_json_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_diff_json_follows_the_schema(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(APP, encoding="utf-8")
    assert _run("app.py", cwd=tmp_path).returncode == 0
    snaps = sorted((tmp_path / "snaps").iterdir())
    r = _run("-m", "leakhunt", "diff", *snaps, "-f", "json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    _validator("diff").validate(doc)
    (dicts,) = [t for t in doc["types"] if t["type"] == "dict"]
    (held,) = dicts["retainers"]
    assert held["path"] == "module __main__ -> .SESSIONS -> [*] -> dict"
    assert held["container"]["path"] == "module __main__ -> .SESSIONS"
    assert (held["container"]["length_a"], held["container"]["length_b"]) == (0, 50)
    # AND the cluster's number, and the dicts new in B (50 sessions, a few
    # made by the snapshot's own machinery at most) by (address, type, size)
    assert held["cluster"] == 1
    assert dicts["new"] - dicts["deleted"] == dicts["count_delta"]
    assert dicts["new"] >= 50 and dicts["new_size"] >= 50 * 64
    assert doc["selection"]["types"] == [] and doc["selection"]["modules"] == []


def test_diff_json_with_filters_follows_the_schema(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(APP, encoding="utf-8")
    assert _run("app.py", cwd=tmp_path).returncode == 0
    snaps = sorted((tmp_path / "snaps").iterdir())
    r = _run("-m", "leakhunt", "diff", *snaps, "-f", "json", "--module", "builtins", "--type",
             "nope.Nothing", cwd=tmp_path)  # fmt: skip
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    _validator("diff").validate(doc)
    assert doc["selection"]["types"] == ["nope.Nothing"]
    assert doc["selection"]["modules"] == ["builtins"]
    assert doc["types"] and all("." not in t["type"] for t in doc["types"])


def test_hunt_json_follows_the_schema_with_the_same_cluster_object(tmp_path: Path) -> None:
    (tmp_path / "orders.py").write_text(TARGET, encoding="utf-8")
    r = _run("-m", "leakhunt", "hunt", "orders.py", "-n", "5", "--warmup", "1", "-f", "json",
             cwd=tmp_path)  # fmt: skip
    assert r.returncode == 1, r.stderr
    doc = json.loads(r.stdout)
    _validator("hunt").validate(doc)
    (leak,) = [x for x in doc["leaks"] if x["type"] == "orders.Order"]
    (cluster,) = leak["clusters"]
    _validator("cluster").validate(cluster)
    assert cluster["path"] == "module orders -> ._ORDERS -> [*] -> orders.Order"
    assert leak["retainers"] == [cluster["path"]]
    assert leak["container"] == cluster["container"]
    assert leak["container"]["path"] == "module orders -> ._ORDERS"
    assert (leak["allocated_at"]["line"], leak["allocated_at"]["function"]) == (8, "action")


def test_prose_is_refused_where_structure_is_promised() -> None:
    # a container given as a sentence (what hunt printed before) is not valid
    cluster = {"count_a": 0, "count_b": 1, "size_a": 0, "size_b": 8, "path": "m -> .x",
               "container": "the list at m -> .x grew by 1 item", "retained": None}  # fmt: skip
    with pytest.raises(jsonschema.ValidationError):
        _validator("cluster").validate(cluster)
