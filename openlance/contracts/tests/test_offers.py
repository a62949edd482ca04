import pytest

from openlance.contracts.tests.factories import contract_fixed


@pytest.mark.django_db
def test_smoke():
    c = contract_fixed([1000, 2000])
    assert c.milestones.count() == 2
