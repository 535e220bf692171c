"""Rules on the hand-computed October of tests/usage/cost_control/helpers.py.

Its values per target (cost in €, data in MB), from that module's figures:

  device A 31600000001  total 0.50 + fee 12.50 = 13.00  roaming 0     data 3  out of bundle 0.50
  device B 31600000002  total 0.08 + 12.50 = 12.58      roaming 0.08  data 0  out of bundle 0.08
  device C 31600000003  fee only 12.50                  roaming 0     data 0  out of bundle 0
  device D 31600000004  0.15 + 12.50 = 12.65            roaming 0     data 0  out of bundle 0.15
  device E 31600000005  0.25 + 12.50 = 12.75            roaming 0.25  data 0  out of bundle 0
  (E's sms is international: roaming, and outside the bundle's zones national and eu)
  SALES  12.75  roaming 0.08  data 3  out of bundle 0.15 + 0.08 + 0.02 = 0.25
  OPS    25.33  roaming 0     data 0  out of bundle 0.25 + 0.08 = 0.33   (A moved on the 25th)
  IDLE   0
  customer 63.48  roaming 0.33  data 3  out of bundle 0.50 + 0.08 + 0.15 = 0.73
"""

from telcost.alerts.models import AlertRule


def rule(customer, **fields) -> AlertRule:
    defaults = {
        "name": f"{fields.get('metric', 'total_cost')} rule",
        "metric": "total_cost",
        "scope": "customer",
        "target": "",
        "threshold": "0",
        "recipients": ["finance@example.com"],
        "language": "en",
    }
    return AlertRule.objects.create(customer=customer, **{**defaults, **fields})
