"""Talking to the Hub without leaking a token: every upload goes through :func:`hub_upload`, every message that could
carry a token through :func:`redact`. Below every stage, so a dataset, an adapter and a release push the same way."""

from __future__ import annotations

import os
import re
from typing import Any

TOKEN_ENV_VARS = ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HUGGINGFACE_HUB_TOKEN")
_TOKEN_PATTERN = re.compile(r"hf_[A-Za-z0-9]{8,}")


class PublishError(RuntimeError):
    """An upload failed; the message never contains a token."""


def redact(text: str, *secrets: str | None) -> str:
    """``text`` with Hub tokens (given ones, the ones in the environment, anything shaped like ``hf_...``)
    replaced by ``***``."""
    for secret in [*secrets, *(os.environ.get(name) for name in TOKEN_ENV_VARS)]:
        if secret and len(secret) >= 8:
            text = text.replace(secret, "***")
    return _TOKEN_PATTERN.sub("hf_***", text)


def hub_upload(upload: Any, token: str | None = None) -> Any:
    """Run ``upload()``; any failure comes back as a :class:`PublishError` with tokens redacted."""
    try:
        return upload()
    except Exception as error:  # noqa: BLE001 - whatever the Hub client raises, the token must not travel on
        raise PublishError(f"upload to the Hub failed: {redact(f'{type(error).__name__}: {error}', token)}") from None
