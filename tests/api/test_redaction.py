"""The citizen's name, phone and ID number, written in every digit form (full-width, Arabic-Indic,
Devanagari, mathematical, Chinese numerals, spaced out), in the title, the description and the
timeline notes: a co-handler and a department whose part ended see none of it, through the API,
in their queue and in their notices, and the Prefect artifacts never carry it; the lead and the
center see the matter as typed. Only the lead resolves, over HTTP too."""

from __future__ import annotations

import json

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

from tests.api.conftest import SQLITE_ONLY, Api
from tests.digits import forms, traces

pytestmark = SQLITE_ONLY

NAME, PHONE, ID_NUMBER = "欧阳娜娜", "13987654321", "11010519491231002X"
PHONES, IDS = forms(PHONE), forms(ID_NUMBER)


def clean(text: str, where: str) -> None:
    found = traces(text, name=NAME, phone=PHONE, id_number=ID_NUMBER)
    assert not found, f"{found} in {where}: {text[:600]}"


def test_personal_data_in_any_digit_form_reaches_only_the_center_and_the_lead(api: Api) -> None:
    hotline = api.token(channel="hotline")
    center, hrss, justice, police = (
        api.token(d) for d in ("center", "hrss", "justice", "public_security")
    )
    description = "；".join(
        [f"{NAME}反映工地拖欠工资"]
        + [f"电话（{form}）{written}" for form, written in PHONES.items()]
        + [f"身份证（{form}）{written}" for form, written in IDS.items()]
    )
    submitted = api.submit(
        hotline,
        last_name="欧阳",
        first_name="娜娜",
        phone=PHONE,
        description=description,
        extra={
            "attribute[title]": f"{NAME}讨薪{PHONES['full-width']}",
            "attribute[id_number]": ID_NUMBER,
        },
    )
    assert submitted.status_code == 201, submitted.text
    number = submitted.json()[0]["service_request_id"]
    for token in (hrss, justice, police):
        assert api.post(f"/api/matters/{number}/acknowledge", token=token).status_code == 200
    queue = api.get("/api/matters", token=justice)
    assert number in queue.text
    clean(queue.text, "the co-handler's queue")
    notes = [
        (hrss, "progress", f"已约谈{NAME}，回电{PHONES['chinese numerals']}"),
        (justice, "report", f"{NAME}身份证{IDS['full-width spaced']}，电话{PHONES['devanagari']}"),
    ]
    for token, action, note in notes:
        done = api.post(f"/api/matters/{number}/{action}", token=token, json={"note": note})
        assert done.status_code == 200, done.text
    # public security hands its part back: from now on it is a former holder
    back = api.post(
        f"/api/matters/{number}/return",
        token=police,
        json={"reason": f"{NAME}（{PHONES['arabic-indic']}）所述不属本部门"},
    )
    assert back.status_code == 200, back.text

    # a co-handler cannot resolve, over HTTP either, and nothing changes
    before = api.counts(number)
    refused = api.post(
        f"/api/matters/{number}/resolve",
        token=justice,
        json={"outcome": "mediated", "note": "协办单位想办结"},
    )
    assert refused.status_code == 409, refused.text
    assert "主办" in refused.json()["message"], refused.text
    assert api.counts(number) == before

    # the co-handler and the former holder: nothing, in any form, anywhere in the view
    for token, role in ((justice, "co"), (police, "former")):
        view = api.get(f"/api/matters/{number}", token=token)
        assert view.status_code == 200 and view.json()["your_role"] == role
        clean(view.text, f"the {role} view")
        notes_seen = [e["note"] for e in view.json()["events"] if e["note"]]
        assert len(notes_seen) >= 3  # the notes are there, redacted, not dropped

    # the lead and the center see what was typed
    for token in (hrss, center):
        view = api.get(f"/api/matters/{number}", token=token).json()
        assert view["citizen"]["masked"] is False
        assert PHONES["full-width"] in view["title"] and IDS["devanagari"] in view["description"]
        assert any(note in (e["note"] or "") for e in view["events"] for _, _, note in notes)

    # every department's notice, and the center's mails
    hooks = [r for r in api.world.http.requests if r.path.startswith("/dept/")]
    assert {"/dept/justice", "/dept/public_security", "/dept/hrss"} <= {r.path for r in hooks}
    for hook in hooks:
        clean(json.dumps(hook.json, ensure_ascii=False), f"the notice to {hook.path}")
    for mail in api.world.smtp.messages:
        clean(mail.subject + (mail.text or "") + (mail.html or ""), "a mail to the center")

    # the timeline artifact the supervisors read in the Prefect UI, drawn by the engine
    api.world.ok("worker", "--once")
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[f"matter-{number.lower()}"]))
        )
    assert artifacts
    for artifact in artifacts:
        clean(str(artifact.data) + str(artifact.description), "the timeline artifact")
