"""Provider credentials are sealed with keys of their own (TELCOST_CREDENTIALS_KEYS), never with
one derived from TELCOST_SECRET_KEY; keys rotate, and credentials a key cannot open say so."""

import base64
import hashlib
import json

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import CommandError

from telcost.syncs.credentials import credentials_decrypt, credentials_encrypt
from telcost.syncs.models import SyncProfile
from telcost.syncs.providers import provider_for

pytestmark = pytest.mark.django_db

OLD_KEY, NEW_KEY = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def sealed_with_sha256_of(secret: str, credentials: dict) -> str:
    """How credentials were sealed before: Fernet(SHA-256(TELCOST_SECRET_KEY))."""
    key = base64.urlsafe_b64encode(hashlib.sha256(secret.encode()).digest())
    return Fernet(key).encrypt(json.dumps(credentials).encode()).decode()


def test_credentials_cannot_be_opened_with_a_key_derived_from_the_secret_key(settings):
    sealed = credentials_encrypt({"api_key": "key-acme"})
    for secret in (settings.SECRET_KEY, "telcost-insecure-development-key-change-me"):
        key = base64.urlsafe_b64encode(hashlib.sha256(secret.encode()).digest())
        with pytest.raises(Exception):  # noqa: B017 - any failure to open is the point
            Fernet(key).decrypt(sealed.encode())
    assert (
        Fernet(settings.TELCOST_CREDENTIALS_KEYS[0]).decrypt(sealed.encode())
        == b'{"api_key": "key-acme"}'
    )


def test_the_first_key_seals_and_every_key_opens(settings):
    settings.TELCOST_CREDENTIALS_KEYS = [OLD_KEY]
    old = credentials_encrypt({"api_key": "old"})
    settings.TELCOST_CREDENTIALS_KEYS = [NEW_KEY, OLD_KEY]
    new = credentials_encrypt({"api_key": "new"})
    assert credentials_decrypt(old) == {"api_key": "old"} and credentials_decrypt(new) == {
        "api_key": "new"
    }
    settings.TELCOST_CREDENTIALS_KEYS = [NEW_KEY]
    assert credentials_decrypt(new) == {"api_key": "new"}
    with pytest.raises(ValueError, match="cannot be decrypted"):
        credentials_decrypt(old)


def test_the_old_secret_opens_credentials_only_when_configured_as_legacy(settings):
    sealed = sealed_with_sha256_of("the-old-secret-key", {"api_key": "legacy"})
    settings.TELCOST_CREDENTIALS_KEYS = [NEW_KEY]
    with pytest.raises(ValueError):
        credentials_decrypt(sealed)
    settings.TELCOST_CREDENTIALS_LEGACY_SECRET = "the-old-secret-key"
    assert credentials_decrypt(sealed) == {"api_key": "legacy"}
    assert Fernet(NEW_KEY).decrypt(credentials_encrypt({"a": 1}).encode()) == b'{"a": 1}', (
        "legacy never seals"
    )


def test_rotate_credentials_reseals_every_profile_with_the_first_key(settings, customer, capsys):
    settings.TELCOST_CREDENTIALS_KEYS = [OLD_KEY]
    current = SyncProfile.objects.create(
        customer=customer,
        name="current",
        provider="http_api",
        settings={"base_url": "http://x"},
        credentials_encrypted=credentials_encrypt({"api_key": "k1"}),
    )
    legacy = SyncProfile.objects.create(
        customer=customer,
        name="legacy",
        provider="http_api",
        settings={"base_url": "http://x"},
        credentials_encrypted=sealed_with_sha256_of("old-secret", {"api_key": "k2"}),
    )
    empty = SyncProfile.objects.create(
        customer=customer, name="file", provider="file_drop", settings={"path": "/tmp"}
    )
    settings.TELCOST_CREDENTIALS_KEYS = [NEW_KEY, OLD_KEY]
    settings.TELCOST_CREDENTIALS_LEGACY_SECRET = "old-secret"
    call_command("rotate_credentials")
    assert "2 re-encrypted" in capsys.readouterr().out
    settings.TELCOST_CREDENTIALS_KEYS = [NEW_KEY]
    settings.TELCOST_CREDENTIALS_LEGACY_SECRET = ""
    for profile, expected in ((current, {"api_key": "k1"}), (legacy, {"api_key": "k2"})):
        profile.refresh_from_db()
        assert credentials_decrypt(profile.credentials_encrypted) == expected
    empty.refresh_from_db()
    assert empty.credentials_encrypted == ""
    call_command("rotate_credentials")  # again: nothing breaks, the same plain text
    current.refresh_from_db()
    assert credentials_decrypt(current.credentials_encrypted) == {"api_key": "k1"}


def test_rotate_credentials_names_the_profiles_no_key_opens(settings, customer, capsys):
    settings.TELCOST_CREDENTIALS_KEYS = [OLD_KEY]
    lost = SyncProfile.objects.create(
        customer=customer,
        name="lost",
        provider="http_api",
        settings={"base_url": "http://x"},
        credentials_encrypted=credentials_encrypt({"api_key": "k"}),
    )
    before = lost.credentials_encrypted
    settings.TELCOST_CREDENTIALS_KEYS = [NEW_KEY]
    with pytest.raises(CommandError, match=f"sync profile {lost.pk}"):
        call_command("rotate_credentials")
    lost.refresh_from_db()
    assert lost.credentials_encrypted == before, "what cannot be opened is left as it was"


def test_a_routit_profile_never_opens_credentials(settings, customer):
    profile = SyncProfile.objects.create(
        customer=customer,
        name="routit",
        provider="routit",
        credentials_encrypted=sealed_with_sha256_of("gone", {"x": 1}),
    )
    assert provider_for(profile) is not None


def test_an_http_api_profile_whose_credentials_no_key_opens_is_a_permanent_provider_error(
    settings, customer
):
    from telcost.integrations.providers import ProviderError

    profile = SyncProfile.objects.create(
        customer=customer,
        name="api",
        provider="http_api",
        settings={"base_url": "http://127.0.0.1:9"},
        credentials_encrypted=sealed_with_sha256_of("gone", {"x": 1}),
    )
    with pytest.raises(ProviderError) as raised:
        provider_for(profile)
    assert not raised.value.transient and "TELCOST_CREDENTIALS_KEYS" in str(raised.value)
