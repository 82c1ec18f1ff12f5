"""The rule-set document: its format, its validator and its evaluator. No database here.

A document (format "jejak-rules/1", specified in docs/screening.md) is an ordered list of
rules and a default:

    {"format": "jejak-rules/1",
     "default": {"colour": "merah", "reason": "not_vaccinated"},
     "rules": [
       {"when": [{"fact": "positive_case", "until_day": 10}],
        "colour": "hitam", "reason": "positive_isolation"},
       {"when": [{"fact": "age", "min": 18}, {"fact": "doses", "min": 3}],
        "colour": "hijau", "reason": "booster_complete"},
       ...]}

A rule matches when every condition in `when` holds. A condition names a fact (facts.py)
with its parameters, or combines conditions: {"all": [...]}, {"any": [...]}, {"not": {...}}.
The first matching rule decides the colour; every later matching rule of the same colour
adds its reason, so "hijau" says both "fully_vaccinated" and "negative_pcr" when both hold.
When no rule matches, the default decides.

A file to load also carries the set's identity (`slug`, `name`, `effective_from`,
`effective_until`); the stored document does not, the RuleSet row does.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from jejak.screening.facts import FACTS, Facts, FactSpec, Param
from jejak.screening.models import Colour, Reason

FORMAT = "jejak-rules/1"
DOCUMENT_KEYS = frozenset({"format", "description", "default", "rules"})
METADATA_KEYS = frozenset({"slug", "name", "effective_from", "effective_until"})
RULE_KEYS = frozenset({"when", "colour", "reason", "note"})
# Generous bounds that still stop a pasted document from costing real time to evaluate.
MAX_RULES = 200
MAX_DEPTH = 6
SLUG_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,49}")


@dataclass(frozen=True)
class Decision:
    colour: str
    reasons: tuple[str, ...]


# Validation: every problem found, each as "where: what", so an issuer fixes them in one go.


def validate_document(doc: object, *, allow_metadata: bool = True) -> list[str]:
    """Problems that make `doc` unusable as a rule set; an empty list means it is valid."""
    if not isinstance(doc, dict):
        return ["document: must be a JSON object"]
    problems: list[str] = []
    allowed = DOCUMENT_KEYS | METADATA_KEYS if allow_metadata else DOCUMENT_KEYS
    for key in sorted(set(doc) - allowed):
        if key in METADATA_KEYS:
            problems.append(f"{key}: set this in the rule set's own field, not in the document")
        else:
            problems.append(f"{key}: unknown key")
    if doc.get("format") != FORMAT:
        problems.append(f"format: must be {FORMAT!r}")
    if "description" in doc and not isinstance(doc["description"], str):
        problems.append("description: must be text")
    if allow_metadata:
        problems += _metadata_problems(doc)
    problems += _outcome_problems("default", doc.get("default"))
    rules = doc.get("rules")
    if not isinstance(rules, list) or not rules:
        problems.append("rules: must be a non-empty list")
    elif len(rules) > MAX_RULES:
        problems.append(f"rules: at most {MAX_RULES} rules")
    else:
        for i, rule in enumerate(rules):
            problems += _rule_problems(f"rules[{i}]", rule)
    return problems


def _metadata_problems(doc: Mapping[str, Any]) -> list[str]:
    problems = []
    if "slug" in doc and not (isinstance(doc["slug"], str) and SLUG_RE.fullmatch(doc["slug"])):
        problems.append("slug: lowercase letters, digits and hyphens, at most 50")
    if "name" in doc and not (isinstance(doc["name"], str) and 0 < len(doc["name"]) <= 150):
        problems.append("name: text of 1 to 150 characters")
    moments = {}
    for key in ("effective_from", "effective_until"):
        if doc.get(key) is None:
            continue
        try:
            moments[key] = parse_moment(doc[key])
        except ValueError:
            problems.append(f"{key}: an ISO date (2022-07-17) or date-time with offset")
    if len(moments) == 2 and moments["effective_until"] <= moments["effective_from"]:
        problems.append("effective_until: must be later than effective_from")
    return problems


def _outcome_problems(where: str, outcome: object) -> list[str]:
    if not isinstance(outcome, dict):
        return [f"{where}: must be an object with colour and reason"]
    problems = []
    for key in sorted(set(outcome) - {"colour", "reason", "note"}):
        problems.append(f"{where}.{key}: unknown key")
    problems += _colour_reason_problems(where, outcome)
    return problems


def _colour_reason_problems(where: str, outcome: Mapping[str, Any]) -> list[str]:
    problems = []
    if outcome.get("colour") not in Colour.values:
        problems.append(f"{where}.colour: one of {', '.join(Colour.values)}")
    if outcome.get("reason") not in Reason.values:
        problems.append(f"{where}.reason: unknown reason code {outcome.get('reason')!r}")
    return problems


def _rule_problems(where: str, rule: object) -> list[str]:
    if not isinstance(rule, dict):
        return [f"{where}: must be an object"]
    problems = [f"{where}.{key}: unknown key" for key in sorted(set(rule) - RULE_KEYS)]
    problems += _colour_reason_problems(where, rule)
    when = rule.get("when")
    if not isinstance(when, list) or not when:
        # An empty `when` would match everyone and hide every later rule: that is what
        # `default` is for.
        problems.append(f"{where}.when: must be a non-empty list of conditions")
    else:
        for i, condition in enumerate(when):
            problems += _condition_problems(f"{where}.when[{i}]", condition, depth=1)
    return problems


def _condition_problems(where: str, condition: object, *, depth: int) -> list[str]:
    if depth > MAX_DEPTH:
        return [f"{where}: nested deeper than {MAX_DEPTH}"]
    if not isinstance(condition, dict):
        return [f"{where}: must be an object"]
    if "fact" in condition:
        spec = FACTS.get(condition["fact"]) if isinstance(condition["fact"], str) else None
        if spec is None:
            return [f"{where}.fact: unknown fact {condition['fact']!r} (one of {', '.join(FACTS)})"]
        return _param_problems(where, spec, condition)
    if len(condition) != 1:
        return [f"{where}: needs a 'fact', or exactly one of 'all', 'any', 'not'"]
    ((op, operand),) = condition.items()
    if op == "not":
        return _condition_problems(f"{where}.not", operand, depth=depth + 1)
    if op in ("all", "any"):
        if not isinstance(operand, list) or not operand:
            return [f"{where}.{op}: must be a non-empty list of conditions"]
        problems = []
        for i, inner in enumerate(operand):
            problems += _condition_problems(f"{where}.{op}[{i}]", inner, depth=depth + 1)
        return problems
    return [f"{where}: needs a 'fact', or exactly one of 'all', 'any', 'not'"]


def _param_problems(where: str, spec: FactSpec, condition: Mapping[str, Any]) -> list[str]:
    params = {param.name: param for param in spec.params}
    problems = [
        f"{where}.{key}: {spec.name} takes no parameter {key!r}"
        for key in sorted(set(condition) - set(params) - {"fact"})
    ]
    for param in spec.params:
        if param.name in condition:
            problem = _value_problem(param, condition[param.name])
            if problem:
                problems.append(f"{where}.{param.name}: {problem}")
        elif param.required:
            problems.append(f"{where}.{param.name}: required by {spec.name}")
    if spec.one_of and not any(name in condition for name in spec.one_of):
        problems.append(f"{where}: {spec.name} needs {' or '.join(spec.one_of)}")
    low, high = condition.get("min"), condition.get("max")
    if isinstance(low, int) and isinstance(high, int) and low > high:
        problems.append(f"{where}: min is greater than max")
    return problems


def _value_problem(param: Param, value: object) -> str | None:
    if param.kind == "bool":
        return None if isinstance(value, bool) else "must be true or false"
    if param.kind == "choice":
        return None if value in param.choices else f"one of {', '.join(param.choices)}"
    # bool is an int in Python; `true` is not a number of hours.
    if not isinstance(value, int) or isinstance(value, bool):
        return "must be a whole number"
    if not param.minimum <= value <= param.maximum:
        return f"must be between {param.minimum} and {param.maximum}"
    return None


def parse_moment(value: object) -> dt.datetime:
    """An ISO date (midnight in Asia/Jakarta) or date-time (naive means Asia/Jakarta)."""
    if not isinstance(value, str):
        raise ValueError("not text")
    moment = dt.datetime.fromisoformat(value)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_default_timezone())
    return moment


def split_file(doc: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A loaded file's (identity, document to store)."""
    metadata = {key: doc[key] for key in METADATA_KEYS if key in doc}
    document = {key: value for key, value in doc.items() if key not in METADATA_KEYS}
    return metadata, document


# Evaluation. Documents are validated on every save path, so this trusts their shape.


def tables_used(document: Mapping[str, Any]) -> frozenset[str]:
    """The record tables the document's facts read (the rest need not be queried)."""
    tables: set[str] = set()

    def visit(condition: Mapping[str, Any]) -> None:
        if "fact" in condition:
            tables.update(FACTS[condition["fact"]].tables)
        elif "not" in condition:
            visit(condition["not"])
        else:
            for inner in next(iter(condition.values())):
                visit(inner)

    for rule in document["rules"]:
        for condition in rule["when"]:
            visit(condition)
    return frozenset(tables)


Test = Callable[[Facts], bool]
Evaluator = Callable[[Facts], Decision]


def evaluate(document: Mapping[str, Any], facts: Facts) -> Decision:
    """The colour and reasons the document gives a person with these facts."""
    return compile_document(document)(facts)


def compile_document(document: Mapping[str, Any]) -> Evaluator:
    """`evaluate` for one document as a function of the facts, with each condition's
    parameters merged with their defaults once (the check-in path keeps one per rule
    set, screening/service.py), not for every person screened."""
    rules = [
        (rule["colour"], rule["reason"], [_test(condition) for condition in rule["when"]])
        for rule in document["rules"]
    ]
    default = Decision(document["default"]["colour"], (document["default"]["reason"],))

    def run(facts: Facts) -> Decision:
        colour: str | None = None
        reasons: list[str] = []
        # Rules in order; once a rule gives a colour, only rules of that colour add reasons.
        for rule_colour, reason, tests in rules:
            if colour is not None and rule_colour != colour:
                continue
            if all(test(facts) for test in tests):
                colour = rule_colour
                if reason not in reasons:
                    reasons.append(reason)
        return default if colour is None else Decision(colour, tuple(reasons))

    return run


def _test(condition: Mapping[str, Any]) -> Test:
    if "fact" in condition:
        spec = FACTS[condition["fact"]]
        fact, params = spec.test, spec.with_defaults(condition)
        return lambda facts: fact(facts, params)
    if "not" in condition:
        inner = _test(condition["not"])
        return lambda facts: not inner(facts)
    if "all" in condition:
        every = [_test(c) for c in condition["all"]]
        return lambda facts: all(test(facts) for test in every)
    some = [_test(c) for c in condition["any"]]
    return lambda facts: any(test(facts) for test in some)
