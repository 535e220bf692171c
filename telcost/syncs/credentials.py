"""Provider credentials, encrypted at rest with keys of their own.

TELCOST_CREDENTIALS_KEYS is a list of Fernet keys (MultiFernet): the first encrypts, every one
decrypts, so a new key goes first and the old one stays until `telcost rotate_credentials` has
re-encrypted everything. The keys are unrelated to TELCOST_SECRET_KEY: a leaked or default
secret key no longer opens the credentials.

Before, the key was SHA-256 of TELCOST_CREDENTIALS_KEY or TELCOST_SECRET_KEY. Such credentials
open only while TELCOST_CREDENTIALS_LEGACY_SECRET holds that secret (decrypt-only), for the one
rotation after an upgrade.
"""

import base64
import hashlib
import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

UNREADABLE = (
    "the stored credentials cannot be decrypted with the configured "
    "TELCOST_CREDENTIALS_KEYS: add the key they were sealed with, or store them again"
)


def _fernet() -> MultiFernet:
    keys = [Fernet(key) for key in settings.TELCOST_CREDENTIALS_KEYS]
    if legacy := settings.TELCOST_CREDENTIALS_LEGACY_SECRET:
        keys.append(Fernet(base64.urlsafe_b64encode(hashlib.sha256(legacy.encode()).digest())))
    return MultiFernet(keys)


def credentials_encrypt(credentials: dict) -> str:
    return _fernet().encrypt(json.dumps(credentials).encode()).decode() if credentials else ""


def credentials_decrypt(token: str) -> dict:
    """The credentials; ValueError (UNREADABLE) when no configured key opens them."""
    if not token:
        return {}
    try:
        return json.loads(_fernet().decrypt(token.encode()))
    except InvalidToken:
        raise ValueError(UNREADABLE) from None


def credentials_reencrypt(token: str) -> str:
    """The same credentials sealed with the first key; ValueError when no key opens them."""
    if not token:
        return ""
    try:
        return _fernet().rotate(token.encode()).decode()
    except InvalidToken:
        raise ValueError(UNREADABLE) from None
