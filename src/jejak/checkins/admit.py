"""One request at its venue's locked occupancy: capacity and the with-parent rule
applied, then the answer the client gets (also stored for replays) and the rows to write."""

from __future__ import annotations

import datetime as dt
from typing import Any

from jejak.checkins.decision import apply_capacity_and_parents, stay_length
from jejak.checkins.models import (
    CheckIn,
    CheckoutMethod,
    new_public_id,
)
from jejak.checkins.occupancy import Occupancy
from jejak.checkins.people_lock import LockedPerson
from jejak.checkins.plans import Plan
from jejak.people.models import Relation


def iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def person_key(person: LockedPerson) -> str:
    return "self" if person.relation == Relation.SELF else person.public_id


def checkout_json(checkin: CheckIn, person: LockedPerson) -> dict[str, Any]:
    return {
        "person": person_key(person),
        "action": "check_out",
        "checkin": checkin.public_id,
        "decision": str(checkin.decision),
        "reasons": list(checkin.reasons),
        "colour": checkin.colour,
        "colour_reasons": list(checkin.colour_reasons),
        "checked_in_at": iso(checkin.checked_in_at),
        "planned_checkout_at": iso(checkin.planned_checkout_at),
        "checked_out_at": iso(checkin.checked_out_at),
        "checkout_method": checkin.checkout_method,
        "notes": [],
    }


def admit(
    plan: Plan, here: Occupancy, out_rows: list[dict[str, Any]], now: dt.datetime
) -> tuple[dict[str, Any], list[CheckIn]]:
    """Capacity and the with-parent rule for one plan at its venue's locked occupancy;
    returns the request's result and its CheckIn rows (unsaved, the request unset)."""
    policy, venue, entries, scanned = plan.policy, plan.venue, plan.entries, plan.scanned
    capacity = policy.capacity_for(venue.capacity)
    planned = scanned + stay_length(policy, venue)
    # An offline scan uploaded after its stay was over is history, not occupancy.
    still_inside = planned > now
    admitted = apply_capacity_and_parents(
        entries,
        inside=here.inside,
        capacity=capacity if still_inside else 1 << 62,
    )
    if still_inside:
        here.inside += admitted
        if admitted and here.sweep_due_at is not None:
            here.sweep_due_at = min(here.sweep_due_at, planned)

    reference = policy.as_reference()
    in_rows = []
    values = []
    for e in entries:
        row: dict[str, Any] = {
            "person": person_key(e.person),
            "action": "check_in",
            "checkin": new_public_id(),
            "decision": str(e.decision),
            "reasons": [str(r) for r in e.reasons],
            "colour": e.colour,
            "colour_reasons": e.colour_reasons,
            "checked_in_at": scanned if e.admitted else None,
            "planned_checkout_at": planned if e.admitted else None,
            "checked_out_at": None if (still_inside or not e.admitted) else planned,
            "checkout_method": ""
            if (still_inside or not e.admitted)
            else CheckoutMethod.AUTOMATIC.value,
            "notes": [str(n) for n in e.notes],
        }
        values.append(
            CheckIn(
                public_id=row["checkin"],
                person_id=e.person.pk,
                account_id=plan.ask.account.pk,
                venue_id=venue.pk,
                entry_point_id=plan.entry_point.pk,
                # As decided: tracing scores an employee's contacts differently.
                visitor_type=e.visitor_type,
                decision=row["decision"],
                reasons=row["reasons"],
                colour=e.colour,
                colour_reasons=e.colour_reasons,
                rule_set=plan.rule_set,
                policy=reference,
                scanned_at=scanned,
                received_at=now,
                checked_in_at=row["checked_in_at"],
                planned_checkout_at=row["planned_checkout_at"],
                checked_out_at=row["checked_out_at"],
                checkout_method=row["checkout_method"],
            )
        )
        for key in ("checked_in_at", "planned_checkout_at", "checked_out_at"):
            row[key] = iso(row[key])
        in_rows.append(row)
    by_person = {r["person"]: r for r in in_rows + out_rows}
    data = {
        "venue": {"short_code": venue.short_code, "name": venue.name},
        "entry_point": {"name": plan.entry_point.name},
        "crowd": {"inside": here.inside, "capacity": capacity},
        "scanned_at": iso(scanned),
        "received_at": iso(now),
        "planned_checkout_at": iso(planned) if any(e.admitted for e in entries) else None,
        "rule_set": plan.rule_set,
        "policy": reference,
        "people": [by_person[person_key(p)] for p in plan.chosen],
    }
    return data, values
