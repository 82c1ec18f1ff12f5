"""What the people a breach touched are told (UU 27/2022 Art. 46 (2): which data, when and
how, and the handling and recovery), in each account's language, and how it went.

One template, `breach_notice`, for SMS (short: what, when, where to read more) and the
in-app message (everything), rendered by the outbox in the recipient's language. The
officer's own text (description, cause, measures) goes as written.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Count
from django.template import Context, engines
from django.utils import timezone, translation
from django.utils.text import format_lazy

from jejak.breaches.models import Breach, DataClass
from jejak.core.public_url import public_base_url
from jejak.notifications.models import Channel, Message, Status
from jejak.people.models import Person, Relation

if TYPE_CHECKING:
    from jejak.accounts.models import User

TEMPLATE = "breach_notice"
CHANNELS = (Channel.SMS, Channel.INAPP)


def breach_ref(breach: Breach) -> str:
    """The outbox `ref` of a breach's notices (their delivery status on its page)."""
    return f"breaches.breach:{breach.pk}"


def language_of(account: User | None) -> str:
    """The account's language when it keeps one (a `language` attribute naming one of
    LANGUAGES), else the site's (Indonesian)."""
    stored = str(getattr(account, "language", "") or "")
    known = {code for code, _name in settings.LANGUAGES}
    return stored if stored in known else str(settings.LANGUAGE_CODE)


def notice_context(breach: Breach, person: Person | None = None) -> dict[str, Any]:
    """What a notice says. Labels stay lazy: the outbox renders them in the recipient's
    language."""
    local = timezone.localtime
    labels = [DataClass(v).label for v in breach.data_classes if v in DataClass.values]
    return {
        "title": breach.title,
        "reference": breach.public_id,
        "discovered": local(breach.discovered_at),
        "occurred_from": local(breach.occurred_from) if breach.occurred_from else None,
        "occurred_to": local(breach.occurred_to) if breach.occurred_to else None,
        "classes": labels,
        # One lazy string: the `join` filter cannot join lazy labels without escaping.
        "classes_text": format_lazy(", ".join("{}" for _ in labels), *labels),
        "description": breach.description,
        "cause": breach.cause,
        "measures": breach.measures,
        "public_url": public_base_url(),
        # Whom to ask (UU 27/2022): the controller's data protection officer.
        "controller": settings.JEJAK_CONTROLLER_NAME,
        "dpo_name": settings.JEJAK_DPO_NAME,
        "dpo_email": settings.JEJAK_DPO_EMAIL,
        "dpo_phone": settings.JEJAK_DPO_PHONE,
        # A dependant's notice reaches the account holder: say whom it is about (first
        # name only), or a parent cannot tell two identical messages apart.
        "for_name": _dependant_name(person),
    }


def _dependant_name(person: Person | None) -> str:
    if person is None or person.relation == Relation.SELF or not person.full_name:
        return ""
    return str(person.full_name).split()[0]


def preview(breach: Breach, language: str | None = None) -> dict[str, str]:
    """The notice as a holder of the account would read it, per channel, for the page
    (no person's data: a notice about the account holder)."""
    context = Context(notice_context(breach), autoescape=False)
    engine = engines["django"].engine  # type: ignore[attr-defined]
    out = {}
    with translation.override(language or settings.LANGUAGE_CODE):
        for name in ("subject", Channel.SMS, Channel.INAPP):
            template = engine.get_template(f"notifications/messages/{TEMPLATE}.{name}.txt")
            out[str(name)] = (
                " ".join(template.render(context).split())
                if name == "subject"
                else (template.render(context).strip())
            )
    return out


def delivery_counts(breach: Breach) -> dict[str, dict[str, int]]:
    """Messages of the breach's notices by channel and status ("sent", "pending" ...)."""
    counts: dict[str, Counter[str]] = {str(c): Counter() for c in CHANNELS}
    rows = (
        Message.objects.filter(ref=breach_ref(breach))
        .order_by()
        .values_list("channel", "status")
        .annotate(n=Count("id"))
    )
    for channel, status, n in rows:
        counts.setdefault(channel, Counter())[_bucket(status)] += n
    return {channel: dict(c) for channel, c in counts.items()}


def _bucket(status: str) -> str:
    if status == Status.SENT:
        return "sent"
    if status == Status.GAVE_UP:
        return "failed"
    return "pending"
