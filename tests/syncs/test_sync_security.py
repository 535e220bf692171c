"""Staff-set paths and URLs: drop folders stay under the drop root, http_api calls stay off the
internal network, and what a failed connection tells a viewer is one neutral sentence."""

import socket
import threading
from urllib.parse import quote

import pytest

from telcost.core.cdr_format import CSV_COLUMNS
from telcost.integrations.nina.client import NinaClient, NinaFailure
from telcost.syncs.models import SyncProfile, SyncTask
from telcost.syncs.profiles import sync_profile_create
from telcost.usage.models import CDR
from tests.conftest import wait_for
from tests.syncs.test_syncs import run_all, status, sync

pytestmark = pytest.mark.django_db

HEADER = ",".join(CSV_COLUMNS)
UNREACHABLE = {
    "en": "the provider could not be reached",
    "nl": "de provider kon niet worden bereikt",
}


def csv_file(path, *external_ids) -> None:
    lines = [
        f"{e},31600000001,2026-09-02T10:00:00+02:00,sms,national,x,0,0,0.08" for e in external_ids
    ]
    path.write_text("\n".join([HEADER, *lines]) + "\n")


@pytest.fixture
def drop_root(settings, tmp_path):
    root = tmp_path / "drop"
    (root / "acme").mkdir(parents=True)
    (tmp_path / "outside").mkdir()
    csv_file(tmp_path / "outside" / "secret.csv", "s1", "s2")
    settings.TELCOST_DROP_ROOT = str(root)
    return root


def create(client, customer, provider, settings, credentials=None):
    return client.post(
        "/api/sync-profiles",
        {
            "customer_id": customer.pk,
            "provider": provider,
            "settings": settings,
            "credentials": credentials or {},
        },
    )


@pytest.mark.parametrize(
    "path",
    [
        "{outside}",
        "{root}/acme/../../outside",
        "../outside",
        "{root}/link-out",
        "{root}/acme/link-out/deeper",
        "/etc",
    ],
)
def test_a_drop_folder_outside_the_drop_root_is_refused(
    api_client, staff_user, customer, drop_root, path
):
    (drop_root / "link-out").symlink_to(drop_root.parent / "outside")
    (drop_root / "acme" / "link-out").symlink_to(drop_root.parent / "outside")
    path = path.format(root=drop_root, outside=drop_root.parent / "outside")
    response = create(api_client(staff_user), customer, "file_drop", {"path": path})
    assert response.status_code == 400, response.content
    assert response.json()["error"].startswith("settings.path:")
    assert not SyncProfile.objects.exists()


@pytest.mark.parametrize("path", ["{root}/acme", "acme", "{root}/not-there-yet"])
def test_a_drop_folder_under_the_drop_root_is_accepted(
    api_client, staff_user, customer, drop_root, path
):
    response = create(
        api_client(staff_user), customer, "file_drop", {"path": path.format(root=drop_root)}
    )
    assert response.status_code == 201, response.content


def test_a_drop_folder_that_became_a_link_out_of_the_root_is_refused_when_synced(
    api_client, staff_user, manager, customer, drop_root, drain_jobs
):
    profile_id = create(
        api_client(staff_user), customer, "file_drop", {"path": str(drop_root / "acme")}
    ).json()["id"]
    (drop_root / "acme").rmdir()
    (drop_root / "acme").symlink_to(drop_root.parent / "outside")
    task_id = sync(api_client(manager), profile_id).json()["task_id"]
    run_all(drain_jobs)
    assert status(api_client(manager), task_id)["status"] == "failed"
    assert error_in(api_client(manager), task_id, "en").endswith(
        "the drop folder is not under the drop root"
    )
    assert error_in(api_client(manager), task_id, "nl").endswith(
        "de dropmap ligt niet onder de droproot"
    )
    assert not CDR.objects.exists()


def test_a_file_in_the_drop_folder_that_links_out_of_the_root_is_not_read(
    api_client, staff_user, manager, customer, drop_root, drain_jobs
):
    csv_file(drop_root / "acme" / "a.csv", "a1")
    (drop_root / "acme" / "b.csv").symlink_to(drop_root.parent / "outside" / "secret.csv")
    profile_id = create(
        api_client(staff_user), customer, "file_drop", {"path": str(drop_root / "acme")}
    ).json()["id"]
    task_id = sync(api_client(manager), profile_id).json()["task_id"]
    run_all(drain_jobs)
    answer = status(api_client(manager), task_id)
    assert answer["status"] == "completed" and answer["counts"]["imported"] == 1
    assert set(CDR.objects.values_list("external_id", flat=True)) == {"a1"}
    assert [e["file"] for e in answer["errors"]] == ["b.csv"] and "drop root" in answer["errors"][
        0
    ]["reason"]


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "localhost",
        "10.1.2.3",
        "172.16.0.9",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "[::1]",
        "[fe80::1]",
        "[::ffff:127.0.0.1]",
        "[fd00::1]",
        "224.0.0.1",
    ],
)
def test_http_api_urls_to_internal_addresses_are_refused(
    api_client, staff_user, customer, settings, host
):
    settings.TELCOST_ALLOW_PRIVATE_PROVIDER_URLS = False
    response = create(
        api_client(staff_user),
        customer,
        "http_api",
        {"base_url": f"http://{host}:8102/v1"},
        {"api_key": "key-x"},
    )
    assert response.status_code == 400, response.content
    assert response.json()["error"].startswith("settings.base_url:")
    assert not SyncProfile.objects.exists()


def test_an_http_api_url_whose_host_does_not_resolve_is_refused(
    api_client, staff_user, customer, settings
):
    settings.TELCOST_ALLOW_PRIVATE_PROVIDER_URLS = False
    response = create(
        api_client(staff_user),
        customer,
        "http_api",
        {"base_url": "https://cdr.provider.invalid/v1"},
        {"api_key": "key-x"},
    )
    assert response.status_code == 400
    assert response.json()["error"] == "settings.base_url: cdr.provider.invalid does not resolve"


def test_http_api_urls_to_public_addresses_are_accepted(api_client, staff_user, customer, settings):
    settings.TELCOST_ALLOW_PRIVATE_PROVIDER_URLS = False
    response = create(
        api_client(staff_user),
        customer,
        "http_api",
        {"base_url": "https://93.184.215.14/cdr-api"},
        {"api_key": "key-x"},
    )
    assert response.status_code == 201, response.content


def test_http_api_urls_to_internal_addresses_are_accepted_where_the_setting_allows(
    api_client, staff_user, customer, settings
):
    settings.TELCOST_ALLOW_PRIVATE_PROVIDER_URLS = True
    response = create(
        api_client(staff_user),
        customer,
        "http_api",
        {"base_url": "http://127.0.0.1:8102"},
        {"api_key": "key-x"},
    )
    assert response.status_code == 201, response.content


def error_in(client, task_id: int, language: str) -> str:
    client.cookies["django_language"] = language
    return status(client, task_id)["error"]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_address_is_checked_again_when_the_worker_connects(
    api_client, api_profile, manager, provider_sim, start_worker
):
    # Created while the setting allowed it (or while its name resolved elsewhere): the worker
    # resolves the name again and checks the address it would connect to.
    task_id = sync(api_client(manager), api_profile.pk).json()["task_id"]
    worker = start_worker("strict", TELCOST_ALLOW_PRIVATE_PROVIDER_URLS="false")
    wait_for(
        lambda: SyncTask.objects.get(pk=task_id).status in ("completed", "failed"),
        timeout=60,
        message="the sync to end",
    )
    assert SyncTask.objects.get(pk=task_id).status == "failed"
    assert provider_sim.state.calls == 0, "no request reached the internal address"
    client = api_client(manager)
    assert error_in(client, task_id, "en").endswith(UNREACHABLE["en"])
    assert error_in(client, task_id, "nl").endswith(UNREACHABLE["nl"])
    assert "127.0.0.1" not in error_in(client, task_id, "en")
    log = open(worker.log_path).read()
    assert "127.0.0.1" in log and "not a public address" in log, log[-3000:]


@pytest.fixture
def hangs_up():
    """A TCP server that accepts and closes at once: an open port that does not speak HTTP."""
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join(timeout=2)
    server.close()


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_closed_port_and_an_open_one_look_the_same_to_users(
    api_client, customer, manager, hangs_up, start_worker
):
    tasks = {}
    for name, url in (("closed", closed_port_url()), ("open", hangs_up)):
        profile = sync_profile_create(
            customer=customer,
            name=name,
            provider="http_api",
            settings={"base_url": url},
            credentials={"api_key": "key-x"},
        )
        tasks[name] = sync(api_client(manager), profile.pk).json()["task_id"]
    worker = start_worker("w")
    wait_for(
        lambda: all(
            SyncTask.objects.get(pk=t).status in ("completed", "failed") for t in tasks.values()
        ),
        timeout=90,
        message="both syncs to give up",
    )
    client = api_client(manager)
    for language in ("en", "nl"):
        errors = {name: error_in(client, task_id, language) for name, task_id in tasks.items()}
        assert errors["closed"] == errors["open"], errors
        assert errors["closed"].endswith(UNREACHABLE[language]), errors
    # The detail is for the operator, in the log. A peer that hangs up is a RemoteProtocolError
    # or, when its close arrives as a reset, a ReadError: either tells the operator what happened.
    log = open(worker.log_path).read()
    assert "ConnectError" in log, log[-3000:]
    assert "RemoteProtocolError" in log or "ReadError" in log, log[-3000:]


# Transactional: each page request first takes a turn in the customer's Nina window, from the
# read-ahead thread's own connection, which must see the committed customer.
@pytest.mark.django_db(transaction=True)
def test_routits_customer_reference_is_one_quoted_path_segment(
    api_client, customer, manager, drain_jobs, settings
):
    from telcost.simulators.nina import start_nina_simulator

    base_url, _, stop = start_nina_simulator(api_key="k")
    settings.NINA_API_URL, settings.NINA_API_KEY = base_url, "k"
    customer.external_ref = "RT 7/../x?y#z"
    customer.save()
    try:
        profile = sync_profile_create(
            customer=customer, name="routit", provider="routit", settings={}, credentials={}
        )
        task_id = sync(api_client(manager), profile.pk).json()["task_id"]
        run_all(drain_jobs)
        answer = status(api_client(manager), task_id)
        assert answer["status"] == "completed" and answer["counts"]["imported"] == 120, answer
        # The simulator names the records after the reference it read from the path: all of it.
        assert (
            CDR.objects.filter(
                external_id__startswith=f"routit-{quote(customer.external_ref, safe='')}-"
            ).count()
            == 120
        )
    finally:
        stop()


@pytest.mark.parametrize("ref", ["..", "."])
def test_a_routit_reference_that_would_step_out_of_the_path_fails_the_sync(
    api_client, customer, manager, drain_jobs, ref
):
    customer.external_ref = ref
    customer.save()
    profile = sync_profile_create(
        customer=customer, name="routit", provider="routit", settings={}, credentials={}
    )
    task_id = sync(api_client(manager), profile.pk).json()["task_id"]
    run_all(drain_jobs)
    answer = status(api_client(manager), task_id)
    assert answer["status"] == "failed" and "external reference" in answer["error"]
    assert not CDR.objects.exists()


@pytest.mark.parametrize(
    ("name", "value", "why"),
    [
        ("TELCOST_DROP_ROOT", "var/drop", "expected an absolute path"),
        ("TELCOST_ALLOW_PRIVATE_PROVIDER_URLS", "perhaps", "expected true or false"),
    ],
)
def test_bad_provider_settings_stop_start_up_naming_the_variable(name, value, why):
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    env = {**os.environ, name: value}
    done = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; settings.TELCOST_DROP_ROOT"],
        env={**env, "DJANGO_SETTINGS_MODULE": "telcost.settings"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0 and f"bad setting {name}={value!r}: {why}" in done.stderr


def test_a_nina_call_to_a_closed_port_and_to_one_that_hangs_up_fail_alike(hangs_up, caplog):
    # The addon log shows Nina's failure to managers: the exception's class (ConnectError
    # against RemoteProtocolError) told a closed port from an open one. The log keeps it.
    messages = []
    for url in (closed_port_url(), hangs_up):
        with pytest.raises(NinaFailure) as failure:
            NinaClient(base_url=url, api_key="k", timeout=2).list_addons(customer_ref="RT1")
        messages.append(str(failure.value))
    assert messages[0] == messages[1] == "API failure: connection failed"
    assert "ConnectError" in caplog.text
