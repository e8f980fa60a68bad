"""Install guides, one per kind of phone: the same four steps, in each phone's own words.

Menu names follow the phones' current releases (iOS 17 and later, Android 14
and later on Pixel, One UI 6 and later on Samsung Galaxy); other Android phones
name things differently, so their guide says what to look for.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from ua_parser import parse


@dataclass(frozen=True)
class Section:
    key: str  # the anchor: "install", "roaming", "data", "trouble"
    title: Promise
    steps: tuple[Promise, ...]


@dataclass(frozen=True)
class Guide:
    slug: str
    name: Promise
    summary: Promise
    sections: tuple[Section, ...]


def _section(key: str, title: Promise, *steps: Promise) -> Section:
    return Section(key=key, title=title, steps=steps)


INSTALL = _("Install it before you leave")
ROAMING = _("Turn on data roaming for this line")
DATA = _("Choose it for mobile data")
TROUBLE = _("If it does not connect")

GUIDES: tuple[Guide, ...] = (
    Guide(
        slug="iphone",
        name=_("iPhone"),
        summary=_("iPhone XR, XS and later, on iOS 17 or later."),
        sections=(
            _section(
                "install",
                INSTALL,
                _(
                    "At home, on Wi-Fi, open your eSIM's page in My eSIMs on the iPhone and "
                    "tap “Install on this iPhone”. Or, from another screen, open Settings > "
                    "Mobile Service > Add eSIM > Use QR Code and scan the QR code."
                ),
                _(
                    "When asked, label the new line “Travel” so "
                    "you can tell it from your usual SIM."
                ),
                _(
                    "For “Default line”, keep your usual SIM: your calls and texts stay on your "
                    "own number."
                ),
                _(
                    "Leave the eSIM installed. Its validity starts only when it first connects "
                    "in a country it covers, so installing early costs you nothing."
                ),
            ),
            _section(
                "roaming",
                ROAMING,
                _("When you arrive, open Settings > Mobile Service and tap the Travel line."),
                _("Make sure “Turn On This Line” is on, then turn on Data Roaming."),
                _(
                    "Go back and tap your usual line: turn its Data Roaming off, so that your "
                    "home operator cannot charge you for roaming."
                ),
            ),
            _section(
                "data",
                DATA,
                _("Open Settings > Mobile Service > Mobile Data and choose Travel."),
                _(
                    "Turn off “Allow Mobile Data Switching”: otherwise the iPhone may use your "
                    "usual SIM's data when the signal drops."
                ),
            ),
            _section(
                "trouble",
                TROUBLE,
                _("Turn Airplane Mode on, wait ten seconds and turn it off again."),
                _(
                    "Check the three switches: the Travel line is on, its Data Roaming is on, "
                    "and Mobile Data uses Travel."
                ),
                _(
                    "Choose a network by hand: Settings > Mobile Service > Travel > Network "
                    "Selection, turn off Automatic and pick one of the networks listed on your "
                    "plan's page."
                ),
                _("Restart the iPhone. It can take a few minutes to register on a new network."),
                _(
                    "Still nothing? Do not delete the eSIM: it usually cannot be installed "
                    "again. Contact our support with your eSIM's ICCID (shown on its page)."
                ),
            ),
        ),
    ),
    Guide(
        slug="pixel",
        name=_("Google Pixel"),
        summary=_("Pixel 3 and later, on Android 14 or later."),
        sections=(
            _section(
                "install",
                INSTALL,
                _(
                    "At home, on Wi-Fi, open Settings > Network & internet > SIMs and tap "
                    "“Add SIM” (or the + sign), then “Download a SIM instead?” if asked."
                ),
                _(
                    "Scan the QR code on your eSIM's page from another screen. On the Pixel "
                    "itself, use “Need help?” > “Enter it manually” and paste the activation "
                    "code from the page."
                ),
                _(
                    "Rename the new SIM “Travel” in its settings, "
                    "so you can tell it from your usual SIM."
                ),
                _(
                    "Leave the eSIM installed. Its validity starts only when it first connects "
                    "in a country it covers, so installing early costs you nothing."
                ),
            ),
            _section(
                "roaming",
                ROAMING,
                _("When you arrive, open Settings > Network & internet > SIMs and tap Travel."),
                _("Turn on “Use SIM”, then turn on Roaming."),
                _(
                    "Tap your usual SIM and turn its Roaming "
                    "off, so your home operator cannot charge you."
                ),
            ),
            _section(
                "data",
                DATA,
                _(
                    "In Settings > Network & internet > SIMs, set “Mobile data” to Travel. Keep "
                    "calls and SMS on your usual SIM."
                ),
                _("Make sure Mobile data is on in the Travel SIM's settings."),
            ),
            _section(
                "trouble",
                TROUBLE,
                _("Turn Airplane mode on, wait ten seconds and turn it off again."),
                _(
                    "Check the three switches: Use SIM and Roaming are on for Travel, and "
                    "Mobile data uses Travel."
                ),
                _(
                    "Choose a network by hand: in the Travel SIM's settings, turn off "
                    "“Automatically select network” and pick one of the networks listed on "
                    "your plan's page."
                ),
                _("Restart the phone. It can take a few minutes to register on a new network."),
                _(
                    "Still nothing? Do not delete the eSIM: it usually cannot be installed "
                    "again. Contact our support with your eSIM's ICCID (shown on its page)."
                ),
            ),
        ),
    ),
    Guide(
        slug="samsung",
        name=_("Samsung Galaxy"),
        summary=_("Galaxy S20, Z Flip, Z Fold and later, on One UI 6 or later."),
        sections=(
            _section(
                "install",
                INSTALL,
                _(
                    "At home, on Wi-Fi, open Settings > Connections > SIM manager and tap "
                    "“Add eSIM”."
                ),
                _(
                    "Tap “Scan QR code from service provider” and scan the code on your eSIM's "
                    "page from another screen, or choose “Enter activation code” and paste it."
                ),
                _("Tap the new eSIM in SIM manager and name it “Travel”."),
                _(
                    "Leave the eSIM installed. Its validity starts only when it first connects "
                    "in a country it covers, so installing early costs you nothing."
                ),
            ),
            _section(
                "roaming",
                ROAMING,
                _(
                    "When you arrive, open Settings > Connections "
                    "> SIM manager and switch Travel on."
                ),
                _(
                    "Open Settings > Connections > Mobile networks and turn on Data roaming. "
                    "On a Galaxy it applies to the SIM chosen for mobile data, which is the "
                    "next step."
                ),
            ),
            _section(
                "data",
                DATA,
                _(
                    "In Settings > Connections > SIM manager, under Preferred SIM, set Mobile "
                    "data to Travel. Keep calls and messages on your usual SIM."
                ),
                _(
                    "Turn off “Auto data switching” under More SIM settings, so the phone does "
                    "not fall back on your usual SIM's data."
                ),
            ),
            _section(
                "trouble",
                TROUBLE,
                _("Turn Airplane mode on, wait ten seconds and turn it off again."),
                _(
                    "Check the three switches: Travel is on in SIM manager, Data roaming is on, "
                    "and Mobile data uses Travel."
                ),
                _(
                    "Choose a network by hand: Settings > Connections > Mobile networks > "
                    "Network operators, turn off “Select automatically” and pick one of the "
                    "networks listed on your plan's page."
                ),
                _("Restart the phone. It can take a few minutes to register on a new network."),
                _(
                    "Still nothing? Do not delete the eSIM: it usually cannot be installed "
                    "again. Contact our support with your eSIM's ICCID (shown on its page)."
                ),
            ),
        ),
    ),
    Guide(
        slug="android",
        name=_("Other Android phones"),
        summary=_(
            "Motorola, OnePlus, Xiaomi, OPPO, Sony and others: the menus have different names, "
            "the steps are the same."
        ),
        sections=(
            _section(
                "install",
                INSTALL,
                _(
                    "At home, on Wi-Fi, open Settings and look for “SIM cards”, “SIM manager” "
                    "or “Mobile network”, under “Network & internet” or “Connections”."
                ),
                _(
                    "Tap “Add eSIM”, “Download a SIM” or “+”, then scan the QR code on your "
                    "eSIM's page from another screen, or enter the activation code by hand."
                ),
                _("Rename the new SIM “Travel”, so you can tell it from your usual SIM."),
                _(
                    "Leave the eSIM installed. Its validity starts only when it first connects "
                    "in a country it covers, so installing early costs you nothing."
                ),
            ),
            _section(
                "roaming",
                ROAMING,
                _(
                    "When you arrive, open the same SIM "
                    "settings and make sure Travel is switched on."
                ),
                _("In Travel's settings, turn on “Roaming” or “Data roaming”."),
                _("Turn roaming off for your usual SIM, so your home operator cannot charge you."),
            ),
            _section(
                "data",
                DATA,
                _(
                    "Look for “Mobile data”, “Data SIM” or “Preferred SIM for data” and choose "
                    "Travel. Keep calls and messages on your usual SIM."
                ),
                _("Turn off any “smart data switching” that may fall back on your usual SIM."),
            ),
            _section(
                "trouble",
                TROUBLE,
                _("Turn Airplane mode on, wait ten seconds and turn it off again."),
                _("Check that Travel is switched on, its roaming is on and mobile data uses it."),
                _(
                    "Choose a network by hand: in Travel's settings, find “Network operators” "
                    "or “Carrier”, turn off automatic selection and pick one of the networks "
                    "listed on your plan's page."
                ),
                _("Restart the phone. It can take a few minutes to register on a new network."),
                _(
                    "Still nothing? Do not delete the eSIM: it usually cannot be installed "
                    "again. Contact our support with your eSIM's ICCID (shown on its page)."
                ),
            ),
        ),
    ),
)


def guide_get(slug: str) -> Guide | None:
    return next((guide for guide in GUIDES if guide.slug == slug), None)


def guide_for_user_agent(user_agent: str) -> Guide | None:
    """The guide for the phone this page is read on, when its browser says; else None.

    Only the request's own header is read, nothing is kept. Android browsers that
    hide the model (Chrome's reduced User-Agent) get the general Android guide.
    """
    if not user_agent:
        return None
    result = parse(user_agent[:1000])
    os_family = (result.os.family if result.os else "") or ""
    brand = ((result.device.brand if result.device else "") or "").casefold()
    model = ((result.device.model if result.device else "") or "").casefold()
    if os_family == "iOS" and "ipad" not in user_agent.casefold():
        return guide_get("iphone")
    if os_family != "Android":
        return None
    if brand == "samsung":
        return guide_get("samsung")
    if brand == "google" or model.startswith("pixel"):
        return guide_get("pixel")
    return guide_get("android")
