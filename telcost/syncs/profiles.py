"""Sync profiles as staff keep them: each provider's own fields, create, change, delete, and the
connection test.

The same checks hold for the API and the pages. Credentials are write-only: they are stored
encrypted (telcost.syncs.credentials), a change that leaves them out keeps them, and no answer
or page shows them (only whether they are set). A deleted profile stays as a row so its tasks
keep their history; nothing finds or runs it again (SyncProfile.objects leaves it out).
"""

from dataclasses import dataclass
from typing import Literal

import httpx
from django.conf import settings as django_settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from telcost.addons.limits import nina_request_slot_take
from telcost.audit.services import audit_soft_deleted
from telcost.core.cycles import cycle_start_of
from telcost.customers.models import Customer
from telcost.integrations.http import OutboundError, RefusedAddressError, public_address
from telcost.integrations.providers import ProviderError
from telcost.integrations.providers.file_drop import under_drop_root
from telcost.syncs.credentials import credentials_decrypt, credentials_encrypt
from telcost.syncs.models import SyncProfile
from telcost.syncs.providers import provider_for
from telcost.syncs.schedule import BadSchedule, schedule_checked

NAME_MAX = SyncProfile._meta.get_field("name").max_length
TEXT_MAX = 2000  # a path, a URL or a key


class SyncInputError(ValueError):
    """Input a profile cannot have; the message starts with the field it names ("settings.path:
    …") where there is one."""


@dataclass(frozen=True)
class ProviderField:
    """One field a provider's profile has: in `settings` (shown back) or `credentials` (never)."""

    name: str
    section: Literal["settings", "credentials"]
    label: str
    help: str
    kind: Literal["text", "url", "number", "secret"] = "text"
    required: bool = True

    @property
    def key(self) -> str:
        return f"{self.section}.{self.name}"


DEFAULT_TIMEOUT_S = 15
PROVIDER_FIELDS: dict[str, tuple[ProviderField, ...]] = {
    SyncProfile.Provider.FILE_DROP: (
        ProviderField(
            "path",
            "settings",
            _("Drop folder"),
            _("A folder under the drop root; every .csv file in it is read."),
        ),
    ),
    SyncProfile.Provider.HTTP_API: (
        ProviderField(
            "base_url",
            "settings",
            _("Base URL"),
            _("The provider's CDR API, e.g. https://cdr.provider.example/v1 (public addresses)."),
            kind="url",
        ),
        ProviderField(
            "timeout_s",
            "settings",
            _("Timeout (seconds)"),
            _("How long to wait for a page: more than 0, at most 300 (15 when empty)."),
            kind="number",
            required=False,
        ),
        ProviderField(
            "api_key",
            "credentials",
            _("API key"),
            _("Sent as a Bearer token; stored encrypted and never shown again."),
            kind="secret",
        ),
    ),
    # Routit is reached through the Nina API of the environment (NINA_API_URL, NINA_API_KEY) under
    # the customer's external reference: a profile of it has no fields of its own.
    SyncProfile.Provider.ROUTIT: (),
}


def provider_fields(provider: str, section: str) -> tuple[ProviderField, ...]:
    return tuple(f for f in PROVIDER_FIELDS.get(provider, ()) if f.section == section)


def _check_known_fields(provider: str, section: str, values) -> None:
    if not isinstance(values, dict):
        raise SyncInputError(f"{section}: must be an object")
    known = {f.name for f in provider_fields(provider, section)}
    for name in values:
        if name not in known:
            raise SyncInputError(f"{section}.{name}: not a field of a {provider} profile")
    for name, value in values.items():
        if isinstance(value, str) and len(value) > TEXT_MAX:
            raise SyncInputError(f"{section}.{name}: at most {TEXT_MAX} characters")


def sync_profile_settings_check(*, provider: str, settings: dict, credentials: dict) -> None:
    """SyncInputError naming the field, for settings a profile of the provider cannot have.

    For create and update alike. The paths and URLs are staff's to type, so they are held to
    the drop root and to public addresses (the provider checks both again when it connects).
    """
    if provider not in SyncProfile.Provider.values:
        raise SyncInputError(f"provider must be one of {', '.join(SyncProfile.Provider.values)}")
    _check_known_fields(provider, "settings", settings)
    _check_known_fields(provider, "credentials", credentials)
    if provider == "file_drop":
        path = settings.get("path", "")
        if not isinstance(path, str) or not path.strip():
            raise SyncInputError("settings.path: file_drop needs the folder to read")
        if under_drop_root(path) is None:
            raise SyncInputError(
                f"settings.path: the drop folder must lie under the drop root "
                f"{django_settings.TELCOST_DROP_ROOT} (links resolved)"
            )
    if provider == "http_api":
        _check_base_url(settings.get("base_url"))
        api_key = credentials.get("api_key")
        if not isinstance(api_key, str) or not api_key.strip():
            raise SyncInputError("credentials.api_key: http_api needs an API key")
        timeout_s = settings.get("timeout_s", DEFAULT_TIMEOUT_S)
        if (
            isinstance(timeout_s, bool)
            or not isinstance(timeout_s, int | float)
            or not 0 < timeout_s <= 300
        ):
            raise SyncInputError(
                "settings.timeout_s: seconds to wait for a page, more than 0 and at most 300"
            )


def _check_base_url(base_url) -> None:
    if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
        raise SyncInputError("settings.base_url: http_api needs an http(s) URL")
    try:
        url = httpx.URL(base_url)
    except httpx.InvalidURL:
        raise SyncInputError("settings.base_url: not a URL") from None
    if not url.host:
        raise SyncInputError("settings.base_url: the URL names no host")
    if django_settings.TELCOST_ALLOW_PRIVATE_PROVIDER_URLS:
        return
    try:
        public_address(url.host, url.port or (443 if url.scheme == "https" else 80))
    except RefusedAddressError:
        raise SyncInputError(
            f"settings.base_url: {url.host} is a loopback, link-local or "
            "private address, which providers may not be "
            "(TELCOST_ALLOW_PRIVATE_PROVIDER_URLS)"
        ) from None
    except OutboundError:
        raise SyncInputError(f"settings.base_url: {url.host} does not resolve") from None


def _checked_name(name) -> str:
    if not isinstance(name, str):
        raise SyncInputError("name: must be text")
    name = name.strip()
    if len(name) > NAME_MAX:
        raise SyncInputError(f"name: at most {NAME_MAX} characters")
    return name


def _checked_schedule(schedule) -> str:
    if schedule is None:
        return ""
    if not isinstance(schedule, str):
        raise SyncInputError("schedule: must be text, or null for none")
    try:
        return schedule_checked(schedule)
    except BadSchedule as exc:
        raise SyncInputError(f"schedule: {exc}") from None


def sync_profile_create(
    *,
    customer: Customer,
    name: str,
    provider: str,
    settings: dict,
    credentials: dict,
    schedule: str | None = "",
    active: bool = True,
) -> SyncProfile:
    name = _checked_name(name)
    sync_profile_settings_check(provider=provider, settings=settings, credentials=credentials)
    schedule = _checked_schedule(schedule)
    return SyncProfile.objects.create(
        customer=customer,
        name=name or f"{provider} sync",
        provider=provider,
        settings=settings,
        credentials_encrypted=credentials_encrypt(credentials),
        schedule=schedule,
        active=active,
    )


UNSET = object()


@transaction.atomic
def sync_profile_update(
    *,
    profile: SyncProfile,
    name=UNSET,
    settings=UNSET,
    credentials=UNSET,
    schedule=UNSET,
    active=UNSET,
) -> SyncProfile:
    """Change what is given (UNSET: kept). Settings are replaced whole and checked with the
    credentials in force, the new ones or else the stored; credentials left out are kept.
    A schedule that changes, or a profile that becomes active, counts its next run from now:
    runs it missed meanwhile are not made up at once."""
    profile = SyncProfile.objects.select_for_update().get(pk=profile.pk)
    fields = []
    if name is not UNSET:
        profile.name = _checked_name(name)
        if not profile.name:
            raise SyncInputError("name: may not be empty")
        fields.append("name")
    if settings is not UNSET or credentials is not UNSET:
        new_settings = profile.settings if settings is UNSET else settings
        if credentials is UNSET:
            try:
                in_force = credentials_decrypt(profile.credentials_encrypted)
            except ValueError:
                in_force = {}  # unreadable: the check asks for new ones where they are needed
        else:
            in_force = credentials
        sync_profile_settings_check(
            provider=profile.provider, settings=new_settings, credentials=in_force
        )
        profile.settings = new_settings
        fields.append("settings")
        if credentials is not UNSET:
            profile.credentials_encrypted = credentials_encrypt(credentials)
            fields.append("credentials_encrypted")
    restart = False
    if schedule is not UNSET:
        new_schedule = _checked_schedule(schedule)
        restart = new_schedule != profile.schedule
        profile.schedule = new_schedule
        fields.append("schedule")
    if active is not UNSET:
        if not isinstance(active, bool):
            raise SyncInputError("active: must be true or false")
        restart = restart or (active and not profile.active)
        profile.active = active
        fields.append("active")
    if restart:
        profile.last_scheduled_run_at = timezone.now()
        fields.append("last_scheduled_run_at")
    if fields:
        profile.save(update_fields=fields)  # the audit log's signal records what changed
    return profile


@transaction.atomic
def sync_profile_delete(*, profile: SyncProfile) -> None:
    """Deleted for everyone, its tasks kept in history. Its syncs that have not started fail
    when their turn comes (telcost.syncs.services.sync_run); a running one finishes."""
    profile = SyncProfile.objects.select_for_update().filter(pk=profile.pk).first()
    if profile is None:
        return
    # An UPDATE sends no signal: the entry is written here, as a delete's would be.
    SyncProfile.objects.filter(pk=profile.pk).update(deleted_at=timezone.now(), active=False)
    audit_soft_deleted(profile)


@dataclass(frozen=True)
class ConnectionTest:
    ok: bool
    message: str


NINA_WINDOW_FULL = "the customer's Nina window (10 requests a minute) is full: try again shortly"


def _nina_turn_now(customer_id: int):
    """A test does not wait for a turn in the customer's Nina window: it takes one or says so."""

    def take() -> None:
        if nina_request_slot_take(customer_id=customer_id):
            raise ProviderError(NINA_WINDOW_FULL, transient=True)

    return take


def sync_profile_test(*, profile: SyncProfile) -> ConnectionTest:
    """One bounded call to the profile's provider (under 10 s, not retried): whether it answers
    as a sync needs. The message is a sync's own sentence, neutral about the network."""
    try:
        provider = provider_for(profile, nina_limiter=_nina_turn_now(profile.customer_id))
        found = provider.probe(cycle_start=cycle_start_of(timezone.now()))
    except ProviderError as exc:
        return ConnectionTest(False, str(exc))
    except KeyError as exc:
        return ConnectionTest(False, f"the sync profile's settings lack {exc}")
    return ConnectionTest(True, found)
