"""Fixtures of the account tests: plan members (the SMTP server is in tests/conftest.py)."""

from __future__ import annotations

import time

import pytest
from django_otp.oath import TOTP

from pilotis.accounts.models import Membership, Role
from tests.conftest import free_port  # noqa: F401 (test_invitations imports it from here)
from tests.factories import UserFactory, create_plan


@pytest.fixture
def plan(db):
    return create_plan(n_fiches=3)


@pytest.fixture
def coordinator(plan):
    user = UserFactory(first_name="Claire", last_name="Coordinatrice")
    Membership.objects.create(user=user, plan=plan, role=Role.COORDINATOR)
    return user


def totp_code(device, steps_ahead: int = 0) -> str:
    """The code an authenticator app shows now (or `steps_ahead` periods of 30 s later)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"
