"""The TOTP second factor: devices, their QR code, and the sign-in that waits for a code."""

from __future__ import annotations

import base64
import time

import segno
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest
from django_otp.plugins.otp_totp.models import TOTPDevice

DEVICE_NAME = "Application d’authentification"
# The signed-in-but-not-yet-verified state lives in the (anonymous) session for this long.
PENDING_SECONDS = 5 * 60
_PENDING_KEY = "pilotis_pending_login"


def confirmed_device(user: AbstractBaseUser) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def unconfirmed_device(user: AbstractBaseUser) -> TOTPDevice:
    """The device being enrolled: reused across page loads so the QR code stays the same."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def secret_base32(device: TOTPDevice) -> str:
    """The secret as authenticator apps expect it when typed in by hand, in groups of four."""
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// URI as an inline SVG QR code, drawn on the server (no script, no CDN)."""
    code = segno.make(device.config_url, error="m")
    # A white background keeps the code readable in the DSFR dark theme.
    return code.svg_inline(scale=4, dark="#000", light="#fff", svgclass="pilotis-qr")


def confirm(device: TOTPDevice, token: str) -> bool:
    if not device.verify_token(token):
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    # Devices of abandoned enrolments are now useless secrets: remove them.
    TOTPDevice.objects.filter(user=device.user, confirmed=False).delete()
    return True


def disable(user: AbstractBaseUser) -> None:
    TOTPDevice.objects.filter(user=user).delete()


def verify_is_allowed(device: TOTPDevice) -> bool:
    """False while django-otp throttles the device after wrong codes."""
    allowed, _ = device.verify_is_allowed()
    return allowed


# --- Sign-in in two steps -------------------------------------------------------------------------


def start_pending_login(request: HttpRequest, user: AbstractBaseUser, next_url: str) -> None:
    """The password was right: remember who, but do not sign in before the code is checked."""
    request.session[_PENDING_KEY] = {
        "user_id": user.pk,
        "backend": user.backend,
        "next": next_url,
        "until": time.time() + PENDING_SECONDS,
    }


def pending_login(request: HttpRequest) -> tuple[AbstractBaseUser, str, str] | None:
    """(user, backend, next URL) of a sign-in waiting for its code, if still fresh."""
    pending = request.session.get(_PENDING_KEY)
    if not pending or pending.get("until", 0) < time.time():
        return None
    user = get_user_model().objects.filter(pk=pending["user_id"], is_active=True).first()
    if user is None:
        return None
    return user, pending["backend"], pending["next"]


def clear_pending_login(request: HttpRequest) -> None:
    request.session.pop(_PENDING_KEY, None)
