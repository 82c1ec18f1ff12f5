from typing import Any

from django import template

register = template.Library()


@register.filter
def attr(obj: Any, name: str) -> Any:
    """`{{ counts|attr:"issued" }}`: read a named field, for tables whose columns are data."""
    return getattr(obj, name, "")
