"""The message catalogue: every refusal code has Chinese and English words with the same
parameters, every raise site names a code the catalogue knows, and the words come out right."""

from __future__ import annotations

import ast
import string
from pathlib import Path

import pytest

import messages
from messages.catalogue import MESSAGES
from messages.labels import LABELS
from models.config import load_config
from models.lookup import area_code, category_code, department_code
from models.refusals import Code, ConfigError, Issue, Refused

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("models", "service", "api", "whistle", "tasks", "flows", "engine", "notifications")
RAISERS = {"Refused", "NotFound", "TransitionRefused", "ConfigError", "Invalid", "Refusal"}
CODE_NAMES = {"Code", "RefusalCode"}  # how the enum is imported where it is used
SAMPLE = load_config(ROOT / "config")


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def sources() -> list[Path]:
    return [p for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))]


# --- the catalogue itself -----------------------------------------------------------------------


@pytest.mark.parametrize("code", list(Code), ids=str)
def test_every_code_has_both_languages(code: Code) -> None:
    assert code.value in MESSAGES, f"{code} has no words in messages/catalogue.py"
    zh, en = MESSAGES[code.value]
    assert zh.strip() and en.strip()
    if zh != "{problems}":  # the field problems' own words are the whole message
        assert not zh.isascii(), f"{code}: the Chinese words are not Chinese: {zh!r}"


@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_both_languages_take_the_same_parameters(key: str) -> None:
    zh, en = MESSAGES[key]
    assert fields(zh) == fields(en), key


@pytest.mark.parametrize("kind", sorted(LABELS))
def test_every_label_has_both_languages(kind: str) -> None:
    for value, (zh, en) in LABELS[kind].items():
        assert zh and en, (kind, value)


def test_every_code_is_used_somewhere() -> None:
    text = "\n".join(p.read_text(encoding="utf-8") for p in sources())
    unused = [c.name for c in Code if f"Code.{c.name}" not in text]
    assert not unused, f"codes nobody raises: {unused}"


# --- every raise site -----------------------------------------------------------------------------


def _called(node: ast.Call) -> str | None:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _codes(
    expr: ast.expr, parameters: dict[str, str], tables: dict[str, list[str]] | None = None
) -> list[str] | None:
    """The Code members an argument can be, or None when it is not a code at all."""
    if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name):
        if expr.value.id in CODE_NAMES:
            return [expr.attr]
        if expr.attr == "code":  # passing on a refusal's own code (exc.code)
            return []
    if isinstance(expr, ast.IfExp):
        body, orelse = (
            _codes(expr.body, parameters, tables),
            _codes(expr.orelse, parameters, tables),
        )
        return None if body is None or orelse is None else body + orelse
    if isinstance(expr, ast.Name) and parameters.get(expr.id) == "Code":
        return []  # a parameter typed Code (models/lookup.py passes the kind's unknown-code)
    root = expr
    while isinstance(root, ast.Subscript):
        root = root.value
    if root is not expr and isinstance(root, ast.Name) and root.id in (tables or {}):
        return (tables or {})[root.id]  # a module's table of codes, e.g. pydantic type → Code
    return None


def _tables(tree: ast.Module) -> dict[str, list[str]]:
    """Module-level tables annotated with Code, and the members written in them."""
    found = {}
    for node in tree.body:
        if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)):
            continue
        if node.value and "Code" in ast.unparse(node.annotation):
            found[node.target.id] = [
                n.attr
                for n in ast.walk(node.value)
                if isinstance(n, ast.Attribute)
                and isinstance(n.value, ast.Name)
                and n.value.id in CODE_NAMES
            ]
    return found


def _parameters(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> dict[str, str]:
    """The annotated parameters of the function a node is in."""
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.FunctionDef):
            return {a.arg: ast.unparse(a.annotation) for a in node.args.args if a.annotation}
    return {}


def raise_sites() -> list[tuple[str, list[str] | None]]:
    """(file:line, the codes it can raise) of every refusal and field problem in the source."""
    found = []
    for path in sources():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        tables = _tables(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name, where = _called(node), f"{path.relative_to(ROOT)}:{node.lineno}"
            position = 0 if name in RAISERS else 1 if name == "Issue" else None
            if position is None:
                continue
            codes = None
            if len(node.args) > position:
                codes = _codes(node.args[position], _parameters(node, parents), tables)
            found.append((where, codes))
    return found


def test_every_raise_site_names_a_known_code() -> None:
    sites = raise_sites()
    assert len(sites) > 100, "the scan finds the refusals"
    for where, codes in sites:
        assert codes is not None, f"{where}: a refusal without a Code (a sentence?)"
        unknown = [c for c in codes if c not in Code.__members__]
        assert not unknown, f"{where}: unknown code(s) {unknown}"


def test_the_scan_catches_a_sentence() -> None:
    tree = ast.parse('raise Refused("no such thing")')
    call = next(n for n in ast.walk(tree) if isinstance(n, ast.Call))
    assert _codes(call.args[0], {}) is None
    tree = ast.parse("raise Refused(Code.no_such_code)")
    call = next(n for n in ast.walk(tree) if isinstance(n, ast.Call))
    assert _codes(call.args[0], {}) == ["no_such_code"]
    assert "no_such_code" not in Code.__members__


# --- rendering ----------------------------------------------------------------------------------


def test_a_department_typo_suggests_the_nearest() -> None:
    with pytest.raises(Refused) as caught:
        department_code(SAMPLE, "hrs")
    refused = caught.value
    assert refused.code is Code.unknown_department
    assert refused.params["suggestions"] == ["hrss"] and refused.field == "department"
    assert refused.message("en", SAMPLE).startswith("no such department `hrs` (did you mean hrss")
    assert refused.message("zh", SAMPLE) == "没有代码为“hrs”的单位（您是不是要找：hrss 人社？）"


@pytest.mark.parametrize(
    ("find", "text", "code"),
    [
        (department_code, "人社", "hrss"),
        (department_code, "hrss 人社", "hrss"),
        (department_code, "Justice Bureau", "justice"),
        (category_code, "拖欠工资", "wage_arrears"),
        (category_code, "wage_arrears 拖欠工资", "wage_arrears"),
        (area_code, "文苑社区", "T02V01"),
        (area_code, "T02V01 文苑社区", "T02V01"),
        (area_code, " T05 ", "T05"),
    ],
)
def test_codes_and_names_are_both_accepted(find: object, text: str, code: str) -> None:
    assert callable(find)
    assert find(SAMPLE, text) == code


def test_an_ambiguous_name_is_refused_with_the_candidates() -> None:
    from models.lookup import _find

    entries = [("T01V09", "新村", "Xincun"), ("T02V09", "新村", "Xincun")]
    with pytest.raises(Refused) as caught:
        _find(entries, "新村", "area", Code.unknown_area, "area")
    assert caught.value.code is Code.ambiguous
    assert caught.value.params["candidates"] == ["T01V09", "T02V09"]
    assert caught.value.message("zh") == "“新村”对应多个区域：T01V09、T02V09，请改用代码"


def test_field_problems_name_the_field_in_each_language() -> None:
    refused = Refused(
        Code.invalid_input,
        fields=[
            Issue("phone", Code.phone, {"value": "123"}),
            Issue("people", Code.at_least, {"limit": 1}),
        ],
    )
    assert refused.message("zh") == (
        "联系电话（phone）：“123”不是有效的电话号码（手机号为1开头的11位数字，固定电话如0472-1234567）"
        "；涉及人数（people）：不能小于1"
    )
    assert str(refused).startswith("phone: '123' is not a mainland phone number")
    assert refused.as_dict("en")["fields"][1] == {
        "field": "people",
        "code": "at_least",
        "params": {"limit": 1},
        "message": "must be at least 1",
    }


def test_a_typed_value_is_never_echoed_at_length() -> None:
    refused = Refused(Code.unknown_channel, value="x" * 10_000, known=["walk_in"])
    assert len(refused.message("zh")) < 100 and "…" in refused.message("zh")


def test_a_refusal_survives_pickling() -> None:
    import pickle

    refused = Refused(Code.not_assigned, number="M20261126-0001", department="hrss")
    again = pickle.loads(pickle.dumps(refused))
    assert (type(again), again.code, again.params) == (Refused, refused.code, refused.params)
    assert str(again) == str(refused)


def test_config_errors_speak_chinese_too(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "nowhere")
    assert caught.value.code is Code.config_folder_missing
    assert caught.value.message("zh") == f"{tmp_path / 'nowhere'}：配置文件夹不存在"


def test_a_missing_parameter_does_not_hide_the_refusal() -> None:
    assert (
        messages.render("not_assigned", {"number": "M1"}, "zh")
        == "M1：{department}不是该事项的承办单位"
    )


def test_the_labels_the_timeline_and_run_names_use() -> None:
    from service.read import labels

    assert labels.step_label("received") == "受理" and labels.step_label("urging") == "催办"
    assert labels.step_label("notified", "en") == "notified"
    assert [labels.level_label(v) for v in ("reminder", "urging", "supervision", "circulated")] == [
        "提醒",
        "催办",
        "督办",
        "通报",
    ]
    assert labels.actor_name(SAMPLE, "system") == "系统"
    assert labels.actor_name(SAMPLE, "citizen") == "反映人"
    assert labels.actor_name(SAMPLE, "center") == "区社会治理中心"
    assert labels.actor_name(SAMPLE, "hrss") == "人社"
    assert labels.recipients_named(SAMPLE, ["hrss/head", "center/leadership", "justice"]) == (
        "人社主要负责同志、区社会治理中心领导、司法"
    )
    assert labels.department_name(SAMPLE, "natural_resources") == "自然资源"
    assert labels.area_name(SAMPLE, "T02V01") == "文苑社区"
    assert labels.coded(labels.area_name(SAMPLE, "T02V01"), "T02V01") == "T02V01 文苑社区"
    assert labels.category_name(SAMPLE, "wage_arrears", "en") == "Wage arrears"
    assert labels.stage_label("handling") == "办理"
