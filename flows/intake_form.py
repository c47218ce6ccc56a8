"""The intake deployment: a clerk registers a matter (受理) from the Prefect UI's "Run" form.

Prefect keeps every run's parameters, and this form's parameters hold a citizen's name, phone
and ID number. So the run's first step takes them out: it replaces the run's stored parameters
with the same form with every personal and free-text field cleared, and only then checks the
form and writes the matter (citizen included) to the store. Whatever happens next (a refusal, a
crash), Prefect no longer holds them. A refused form is therefore gone and is filled in again;
running a cleared form again (the UI's "Retry") is refused, so a form never makes two matters.

The flow does not validate its parameters on entry (`validate_parameters=False`): a validation
error there would fail the run before the first step, leaving the form in Prefect.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from prefect import flow
from pydantic import BaseModel

from service.forms import IntakeForm, cleared
from tasks.intake import label_run, take_in
from tasks.matter import refer_by_rules
from tasks.notices import deliver_notices


@flow(name="intake form", validate_parameters=False, retries=0)
def intake_form(form: IntakeForm) -> dict[str, Any]:
    """受理登记：在 Prefect 界面登记一件事项，并按规则分流、通知承办单位。

    Args:
        form: 受理登记表。群众个人信息只存入事项库，登记后立即从本次运行的参数中清除。
    """
    values = form.model_dump() if isinstance(form, BaseModel) else dict(form)
    now = datetime.now(UTC)
    number = take_in(values, cleared(values), now)
    lead = refer_by_rules(number, now)
    deliver_notices(number, now)
    label_run(number)  # after referral, so the run carries the lead's tag too
    return {"number": number, "referred": lead is not None}
