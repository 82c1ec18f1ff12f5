"""Closing one's account from the app: `GET /api/v1/me/closure` (what would be erased now
and what a legal hold keeps, with its date), `POST /api/v1/me/closure` (close it)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from jejak.core.api_errors import ApiError, ErrorOut
from jejak.erasure import service
from jejak.people.access import is_visitor
from jejak.people.errors import Reason

router = Router(tags=["erasure"])


class HeldOut(Schema):
    # The class of data ("checkins", "lab_results", "designations", "person").
    data_class: str
    reason: str
    count: int
    # The day it goes; null: when the open case or investigation is closed.
    until: dt.date | None


class ErasurePreviewOut(Schema):
    erase_now: dict[str, int]
    # "delete", or "deactivate" while something held still points at the account.
    account: str
    held: list[HeldOut]


class AccountClosureIn(Schema):
    confirm: bool


class AccountClosureOut(Schema):
    request: str
    status: str
    requested_at: dt.datetime
    deadline: dt.datetime
    held: list[HeldOut]


def _held(rows: list[dict[str, Any]]) -> list[HeldOut]:
    return [
        HeldOut(
            data_class=row["class"],
            reason=row["reason"],
            count=row["count"],
            until=dt.date.fromisoformat(row["until"]) if row["until"] else None,
        )
        for row in rows
    ]


def _visitor(request: HttpRequest) -> Any:
    if not is_visitor(request.user):
        raise ApiError(403, Reason.VISITOR_ONLY.value, str(Reason.VISITOR_ONLY.label))
    return request.user


@router.get("/closure", response={200: ErasurePreviewOut, 403: ErrorOut})
def closure_preview(request: HttpRequest) -> ErasurePreviewOut:
    found = service.preview(_visitor(request))
    return ErasurePreviewOut(
        erase_now=found["erase_now"], account=found["account"], held=_held(found["held"])
    )


@router.post("/closure", response={202: AccountClosureOut, 400: ErrorOut, 403: ErrorOut})
def close_account(request: HttpRequest, payload: AccountClosureIn) -> Status[AccountClosureOut]:
    account = _visitor(request)
    if not payload.confirm:
        raise ApiError(400, "confirmation_required", _("Konfirmasi penutupan akun diperlukan."))
    done = service.request_closure(account, ip=request.META.get("REMOTE_ADDR"))
    return Status(
        202,
        AccountClosureOut(
            request=done.public_id,
            status=done.status,
            requested_at=done.requested_at,
            deadline=done.deadline,
            held=_held(done.holds),
        ),
    )
