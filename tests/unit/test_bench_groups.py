"""`make bench` splits CPU by process group: every service the system runs needs its own."""

from scripts.system import SERVICES
from tests.bench.cpu import SERVICE_GROUPS


def test_every_service_of_the_system_has_a_cpu_group():
    assert set(SERVICES) <= set(SERVICE_GROUPS)
