from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "jejak.accounts"
    verbose_name = _("Akun")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from jejak.core.reencryption import reencrypt_requested

        reencrypt_requested.connect(_reencrypt, dispatch_uid="accounts.phones")
        _register_retention()
        # The staff session clock starts at sign-in (its receiver lives with the rest of it).
        from jejak.accounts import checks, middleware  # noqa: F401


def _reencrypt(sender: Any, **kwargs: Any) -> tuple[str, int]:
    from jejak.accounts.reencryption import reencrypt_phones

    return "phones", reencrypt_phones()


def _register_retention() -> None:
    from jejak.accounts import retention as accounts
    from jejak.core import retention

    retention.register(
        "sign-in-codes", setting=accounts.OTP_SETTING, purge=accounts.purge_sign_in_codes
    )
    retention.register(
        "login-attempts", setting=accounts.LOGIN_SETTING, purge=accounts.purge_login_attempts
    )
    retention.register(
        "api-tokens", setting=accounts.TOKENS_SETTING, purge=accounts.purge_ended_tokens
    )
    retention.register(
        "sessions", setting="SESSION_COOKIE_AGE", purge=accounts.purge_expired_sessions
    )
    retention.register(
        "admin-log", setting=accounts.ADMIN_LOG_SETTING, purge=accounts.purge_admin_log
    )
