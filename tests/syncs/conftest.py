import httpx
import pytest

from telcost.simulators.provider import start_provider_simulator
from telcost.syncs.profiles import sync_profile_create


class Provider:
    def __init__(self, base_url, state):
        self.base_url, self.state = base_url, state

    def control(self, **body) -> None:
        httpx.post(f"{self.base_url}/_control", json=body)


@pytest.fixture
def provider_sim():
    base_url, state, stop = start_provider_simulator()
    yield Provider(base_url, state)
    stop()


@pytest.fixture
def api_profile(db, customer, provider_sim):
    return sync_profile_create(
        customer=customer,
        name="Provider X",
        provider="http_api",
        settings={"base_url": provider_sim.base_url},
        credentials={"api_key": "key-acme"},
    )


# An http_api profile with credentials and a nightly schedule, for the profile API and pages:
# its secret must never appear in an answer or a page.
PROFILE_SECRET = "key-very-secret-1234"


@pytest.fixture
def profile(customer, provider_sim):
    return sync_profile_create(
        customer=customer,
        name="Provider X",
        provider="http_api",
        settings={"base_url": provider_sim.base_url},
        credentials={"api_key": PROFILE_SECRET},
        schedule="0 3 * * *",
    )
