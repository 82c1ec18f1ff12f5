"""The API's reference page (/api/v1/docs): Swagger UI from this site's own static files
(swagger-ui-dist from npm), never a CDN, and no inline script (the CSP allows none)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from ninja.openapi.docs import Swagger

if TYPE_CHECKING:
    from ninja import NinjaAPI


class LocalSwagger(Swagger):
    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        settings = {**self.settings, "url": self.get_openapi_url(api, kwargs)}
        return render(
            request,
            "core/api_docs.html",
            {"swagger_settings": settings, "title": api.title},
        )
