"""Provider credentials, encrypted at rest with a key derived from the environment.

TELCOST_CREDENTIALS_KEY if set, else TELCOST_SECRET_KEY: one secret to keep.
"""

import base64
import hashlib
import json

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


def _fernet() -> Fernet:
    secret = settings.TELCOST_CREDENTIALS_KEY or settings.SECRET_KEY
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(secret.encode()).digest()))


def credentials_encrypt(credentials: dict) -> str:
    return _fernet().encrypt(json.dumps(credentials).encode()).decode() if credentials else ""


def credentials_decrypt(token: str) -> dict:
    if not token:
        return {}
    try:
        return json.loads(_fernet().decrypt(token.encode()))
    except InvalidToken:
        raise ValueError("the stored credentials cannot be decrypted with this key") from None
