# The syncs' provider simulator and its profile: a sync ends with EvaluateAlertsCommand too.
from tests.syncs.conftest import api_profile, provider_sim  # noqa: F401
