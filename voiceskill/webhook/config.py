"""Webhook settings: from a dict, keyword arguments, or the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from typing import Any

from ..errors import VoiceskillError

MAX_BODY = 64 * 1024


@dataclass(frozen=True)
class WebhookConfig:
    """How the webhook authenticates platforms and maps sessions to carts."""

    catalog: str | None = None
    db: str | None = None
    basic_auth: tuple[str, str] | None = None
    """Dialogflow/Actions: HTTP basic auth (user, password); env VOICESKILL_WEBHOOK_AUTH=user:password."""
    secret_header: tuple[str, str] | None = None
    """Dialogflow/Actions: a header that must carry a shared secret; env VOICESKILL_WEBHOOK_SECRET=Name=value."""
    alexa_skill_ids: frozenset[str] = frozenset()
    """Alexa application ids accepted; env VOICESKILL_ALEXA_SKILL_IDS (comma-separated)."""
    alexa_verify: bool = True
    """Verify Alexa signatures; turn off only for local tests."""
    alexa_allow_sha1_signature: bool = False
    """Accept Alexa's legacy SHA-1 `Signature` header when `Signature-256` is absent (old test tools only)."""
    cart_per: str = "user"
    """`user`: a cart per platform user id (per session where there is none); `session`: per session."""
    ces: bool | None = None
    """Ask the effort question after a placed order; env VOICESKILL_CES=on|off (default off)."""
    desk_auth: tuple[tuple[str, str], ...] | None = None
    """The colleagues' desk at /desk/: their basic-auth logins (name, password), the name shown as who
    did what; env VOICESKILL_DESK_AUTH=anna:pw1,piet:pw2. None: no desk on this server."""
    max_body: int = MAX_BODY
    alexa_verifier: Any = field(default=None, compare=False)
    """An AlexaVerifier to use instead of the default one (tests inject their own CA)."""

    @classmethod
    def from_env(cls, **overrides: Any) -> "WebhookConfig":
        """Settings from VOICESKILL_* variables, then ``overrides`` (None values ignored)."""
        env = os.environ
        values: dict[str, Any] = {
            "catalog": env.get("VOICESKILL_CATALOG"), "db": env.get("VOICESKILL_DB"),
            "basic_auth": parse_pair(env.get("VOICESKILL_WEBHOOK_AUTH"), ":", "VOICESKILL_WEBHOOK_AUTH"),
            "secret_header": parse_pair(env.get("VOICESKILL_WEBHOOK_SECRET"), "=", "VOICESKILL_WEBHOOK_SECRET"),
            "alexa_skill_ids": frozenset(s for s in env.get("VOICESKILL_ALEXA_SKILL_IDS", "").split(",") if s),
            "desk_auth": parse_logins(env.get("VOICESKILL_DESK_AUTH"), "VOICESKILL_DESK_AUTH"),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls.from_dict(values)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> "WebhookConfig":
        known = {f.name for f in fields(cls)}
        unknown = set(raw) - known
        if unknown:
            raise VoiceskillError(f"unknown webhook setting(s): {', '.join(sorted(unknown))}")
        config = cls(**{k: v for k, v in raw.items() if v is not None})
        if config.cart_per not in ("user", "session"):
            raise VoiceskillError("cart_per must be 'user' or 'session'")
        return config


def parse_pair(text: str | None, sep: str, name: str) -> tuple[str, str] | None:
    if not text:
        return None
    left, found, right = text.partition(sep)
    if not found or not left or not right:
        raise VoiceskillError(f"{name} must look like left{sep}right")
    return left, right


def parse_logins(text: str | None, name: str) -> tuple[tuple[str, str], ...] | None:
    """`anna:pw1,piet:pw2` as ((anna, pw1), (piet, pw2)); None when empty."""
    if not text:
        return None
    logins = tuple(parse_pair(part.strip(), ":", name) for part in text.split(",") if part.strip())
    return tuple(p for p in logins if p) or None
