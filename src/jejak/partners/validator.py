"""The library's request validator (OAUTH2_PROVIDER["OAUTH2_VALIDATOR_CLASS"]) with Jejak's
rules on top: only an approved partner's application may ask a citizen for consent, swap
a code or refresh a token, and a request must name at least one scope.

Each check is one of the validator's public methods, called by the library at the
authorization and token endpoints; the partner API checks the partner itself on every
call (auth.py)."""

from __future__ import annotations

from typing import Any

from oauth2_provider.oauth2_validators import OAuth2Validator

from jejak.partners.models import PartnerStatus


def approved(client: Any) -> bool:
    """Whether `client` (an application) belongs to an approved partner."""
    partner = getattr(client, "partner", None)
    return partner is not None and partner.status == PartnerStatus.APPROVED


class PartnerValidator(OAuth2Validator):
    def validate_client_id(self, client_id: str, request: Any, *args: Any, **kwargs: Any) -> bool:
        # The authorization endpoint: a pending or suspended partner's users are never
        # shown a consent page (the library answers invalid_client / unauthorized).
        return bool(super().validate_client_id(client_id, request, *args, **kwargs)) and approved(
            request.client
        )

    def authenticate_client(self, request: Any, *args: Any, **kwargs: Any) -> bool:
        # The token endpoint (confidential clients), revocation and introspection.
        return bool(super().authenticate_client(request, *args, **kwargs)) and approved(
            request.client
        )

    def authenticate_client_id(
        self, client_id: str, request: Any, *args: Any, **kwargs: Any
    ) -> bool:
        # The token endpoint for public clients (a phone app with PKCE and no secret).
        return bool(
            super().authenticate_client_id(client_id, request, *args, **kwargs)
        ) and approved(request.client)

    def validate_scopes(
        self,
        client_id: str,
        scopes: list[str],
        client: Any,
        request: Any,
        *args: Any,
        **kwargs: Any,
    ) -> bool:
        # No request for nothing: a token without scopes could do nothing, and the
        # consent page would ask the citizen to approve an empty list.
        return bool(scopes) and bool(
            super().validate_scopes(client_id, scopes, client, request, *args, **kwargs)
        )
