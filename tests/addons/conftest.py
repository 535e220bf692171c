import httpx
import pytest

from telcost.simulators.nina import start_nina_simulator
from tests.factories import CustomerFactory, MembershipFactory, UserFactory


class Nina:
    def __init__(self, base_url, state):
        self.base_url, self.state = base_url, state

    def misbehave(self, mode: str, times: int | None = None) -> None:
        httpx.post(f"{self.base_url}/_control", json={"mode": mode, "times": times})


@pytest.fixture
def nina(settings):
    base_url, state, stop = start_nina_simulator(api_key="test-nina-key")
    settings.NINA_API_URL, settings.NINA_API_KEY = base_url, "test-nina-key"
    yield Nina(base_url, state)
    stop()


@pytest.fixture
def reseller_world(db):
    """A partner, its customer, and the partner's manager (who may manage the customer's addons)."""
    partner = CustomerFactory(name="Partner")
    customer = CustomerFactory(name="Fleet BV", partner=partner, external_ref="RT42")
    manager = UserFactory(username="reseller")
    MembershipFactory(user=manager, customer=partner, role="manager")
    return partner, customer, manager
