"""Credentials kept in a service's database (mailbox passwords, channel AES keys) are
encrypted with Fernet (AES-128-CBC + HMAC-SHA256, from ``cryptography``).

The key is ``TRIPCARE_SECRETS_KEY`` (a Fernet key: 32 url-safe base64 bytes);
a local stack uses a public development key, which production refuses
(``runtime.settings``). Rotating means re-entering the credentials.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken


class SecretBoxError(ValueError):
    """A stored secret does not open with this key (another key wrote it)."""


class SecretBox:
    def __init__(self, key: str) -> None:
        self._fernet = Fernet(key.encode())

    def seal(self, plain: str) -> str:
        return self._fernet.encrypt(plain.encode()).decode()

    def open(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken as exc:
            raise SecretBoxError("stored secret does not open with this key") from exc
