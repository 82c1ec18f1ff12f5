"""OAuth 2.0 for partner apps (the library's views, under its own namespace so its
server metadata finds them) and the citizen's page of connected partners."""

from django.urls import include, path
from oauth2_provider import views as oauth

from jejak.partners import views

oauth_patterns = [
    path("oauth/authorize/", views.AuthorizeView.as_view(), name="authorize"),
    path("oauth/token/", oauth.TokenView.as_view(), name="token"),
    path("oauth/revoke/", oauth.RevokeTokenView.as_view(), name="revoke-token"),
    path("oauth/introspect/", views.IntrospectView.as_view(), name="introspect"),
    # RFC 8414: at the root of the issuer.
    path(
        ".well-known/oauth-authorization-server",
        oauth.OAuthServerMetadataView.as_view(),
        name="oauth-server-metadata",
    ),
]

urlpatterns = [
    path("", include((oauth_patterns, "oauth2_provider"))),
    path("saya/mitra/", views.connections, name="partner_connections"),
    path(
        "saya/mitra/<int:connection_id>/putuskan/",
        views.disconnect,
        name="partner_disconnect",
    ),
]
