from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register


@register(Tags.compatibility, deploy=True)
def map_tiles_attributed(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """A tile server's terms ask for its attribution on the map (OpenStreetMap's do)."""
    if not settings.JEJAK_MAP_TILE_URL or settings.JEJAK_MAP_TILE_ATTRIBUTION:
        return []
    return [
        Warning(
            "JEJAK_MAP_TILE_URL is set but JEJAK_MAP_TILE_ATTRIBUTION is empty: the map "
            "shows the tiles without the credit their provider requires.",
            hint="Set JEJAK_MAP_TILE_ATTRIBUTION to the provider's attribution text; see "
            "docs/configuration.md.",
            id="jejak.dashboards.W001",
        )
    ]
