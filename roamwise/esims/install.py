"""What a phone needs to install an eSIM: the activation code (SGP.22 §4.1),
its QR code, and the platforms' one-tap links."""

from __future__ import annotations

import io
from dataclasses import dataclass
from urllib.parse import quote

import segno

from .models import Esim

APPLE_SETUP = "https://esimsetup.apple.com/esim_qrcode_provisioning"


@dataclass(frozen=True)
class InstallLinks:
    smdp_address: str
    matching_id: str
    activation_code: str  # "1$<SM-DP+>$<matching ID>", typed by hand
    qr_payload: str  # "LPA:1$...", what the QR code holds
    ios_link: str  # one tap on iOS 17.4 and later
    android_code: str  # pasted in Android's "Enter activation code"


def install_links(esim: Esim) -> InstallLinks:
    return InstallLinks(
        smdp_address=esim.smdp_address,
        matching_id=esim.matching_id,
        activation_code=esim.activation_code,
        qr_payload=esim.qr_payload,
        ios_link=f"{APPLE_SETUP}?carddata={quote(esim.qr_payload, safe='')}",
        android_code=esim.qr_payload,
    )


def _qr(esim: Esim) -> segno.QRCode:
    # Error correction M, as phones' cameras read the codes printed on eSIM cards.
    return segno.make_qr(esim.qr_payload, error="m")


def qr_svg(esim: Esim) -> str:
    """An inline SVG (no XML declaration), scalable, with a text alternative."""
    buffer = io.BytesIO()
    _qr(esim).save(
        buffer,
        kind="svg",
        scale=6,
        border=2,
        xmldecl=False,
        svgns=True,
        title="eSIM QR code",
        desc="Scan with your phone's camera to install the eSIM",
        svgclass="esim-qr",
        lineclass=None,
    )
    return buffer.getvalue().decode()


def qr_png(esim: Esim) -> bytes:
    buffer = io.BytesIO()
    _qr(esim).save(buffer, kind="png", scale=10, border=4)
    return buffer.getvalue()
