from tests.addons.conftest import nina, reseller_world  # noqa: F401 - the Nina simulator and a reseller's customer
