"""Whose personal data a message's text carries besides its recipient's own.

Most messages concern their recipient (a close contact's notice, a decision on their
request): reading them in one's own inbox is the owner's read. A few tell an officer
about someone else, e.g. a health officer's black-status alert names the person by masked
NIK. The app that writes such a template registers how to find the people it is about
from the messages' `ref` (in its `AppConfig.ready`: the outbox sits below those apps and
cannot ask them), and reading those messages is an audited read naming them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence

from jejak.notifications.models import Message

# refs -> {ref: the NIK blind indexes of the people that ref's messages are about}
Resolver = Callable[[Sequence[str]], dict[str, list[str]]]

_RESOLVERS: dict[str, Resolver] = {}


def register(template: str, resolver: Resolver) -> None:
    """Declare that messages of `template` carry the personal data of the people
    `resolver` finds from their refs."""
    _RESOLVERS[template] = resolver


def registered() -> frozenset[str]:
    return frozenset(_RESOLVERS)


def about(messages: Iterable[Message]) -> dict[int, list[str]]:
    """Message id -> the people (NIK blind indexes) its text is about, for messages of a
    registered template only; one query per template found, none otherwise."""
    refs: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for message in messages:
        if message.template in _RESOLVERS and message.ref:
            refs[message.template][message.ref].append(message.pk)
    found: dict[int, list[str]] = {}
    for template, by_ref in refs.items():
        keys = _RESOLVERS[template](sorted(by_ref))
        for ref, ids in by_ref.items():
            for pk in ids:
                found[pk] = list(keys.get(ref, []))
    return found
