"""The registry of processors and partners (SHR-02, RET-09).

Every recipient the data map names (``datamap.vocabulary.RECIPIENTS``) has one
entry here: who it is, its role, why it receives data, where it is, and the
safeguard of any transfer outside the EEA. What each receives is not written
here: it is what the adapters that send to it declare (``datamap Sends``),
which the system check holds equal to the declarations that list the
recipient, so the registry, the adapters and the data map cannot disagree.
``checks.py`` fails start-up when a recipient has no entry, an entry names no
recipient, or a location outside the EEA has no safeguard.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings

from roamwise.datamap.registry import data_map
from roamwise.datamap.vocabulary import CATEGORIES

# Where a recipient processes data. Only "eu" is inside the EEA.
LOCATIONS: dict[str, str] = {
    "eu": "European Union (EEA)",
    "uk": "United Kingdom",
    "us": "United States",
    "worldwide": "Worldwide: the networks of the countries you travel to",
    "sg": "Singapore",
    "hk": "Hong Kong",
}
EEA_LOCATIONS = frozenset({"eu"})


class Safeguard(StrEnum):
    ADEQUACY = "adequacy"
    SCC = "scc"
    BCR = "bcr"
    EXPLICIT_CONSENT = "explicit_consent"


SAFEGUARDS: dict[str, str] = {
    Safeguard.ADEQUACY: "Adequacy decision of the European Commission",
    Safeguard.SCC: "Standard Contractual Clauses",
    Safeguard.BCR: "Binding Corporate Rules",
    Safeguard.EXPLICIT_CONSENT: "Your explicit consent",
}

# The safeguard a transfer from the EEA to the deployment's own region needs.
REGION_SAFEGUARD: dict[str, Safeguard | None] = {
    "eu": None,
    "uk": Safeguard.ADEQUACY,
    "us": Safeguard.SCC,
}


@dataclass(frozen=True)
class Processor:
    code: str  # a recipient of the data map
    name: str
    role: str
    purpose: str
    locations: tuple[str, ...]
    safeguard: Safeguard | None = None
    safeguard_note: str = ""
    # Its own privacy policy, when known here; staff record it with the
    # recipient's vetting otherwise (governance PartnerVetting, SHR-07).
    policy_url: str = ""

    @property
    def outside_eea(self) -> tuple[str, ...]:
        return tuple(loc for loc in self.locations if loc not in EEA_LOCATIONS)

    @property
    def location_labels(self) -> tuple[str, ...]:
        return tuple(LOCATIONS.get(loc, loc) for loc in self.locations)

    @property
    def safeguard_label(self) -> str:
        if self.safeguard is None:
            return "Not needed: within the EEA"
        text = SAFEGUARDS[self.safeguard]
        return f"{text}: {self.safeguard_note}" if self.safeguard_note else text

    @property
    def categories_received(self) -> tuple[str, ...]:
        """The kinds of data it receives: what this deployment's adapters to it
        send, as each declares in the data map (``Sends``); for a recipient no
        adapter sends to (hosting, the authorities), what the declarations list.
        The system check holds the two equal (datamap.E018)."""
        adapters = data_map.sends_to(self.code)
        if adapters:
            codes = {
                c for s in data_map.sends_to(self.code, active_only=True) for c in s.categories
            }
        else:
            codes = data_map.declared_for(self.code)
        return tuple(CATEGORIES[c] for c in sorted(codes))


def _hosting() -> Processor:
    region = settings.DATA_REGION
    locations = (region,) if region == "eu" or "eu" not in settings.DATABASES else (region, "eu")
    return Processor(
        code="hosting",
        name="Cloud hosting provider",
        role="Processor",
        purpose="Runs our servers, databases and their backups, in the regions shown.",
        locations=locations,
        safeguard=REGION_SAFEGUARD[region],
    )


def _payment() -> Processor:
    if settings.PAYMENT_GATEWAY == "stripe":
        return Processor(
            code="payment",
            name="Stripe",
            role="Processor for payments; independent controller for its own fraud checks",
            purpose="Takes your card payment on its own page and handles refunds and disputes.",
            locations=("eu", "us"),
            safeguard=Safeguard.SCC,
            safeguard_note="with Stripe, Inc. for processing in the United States",
            policy_url="https://stripe.com/privacy",
        )
    region = settings.DATA_REGION
    return Processor(
        code="payment",
        name="Built-in test payment processor (no real payments)",
        role="Processor",
        purpose="Takes test payments on its own page and handles refunds.",
        locations=(region,),
        safeguard=REGION_SAFEGUARD[region],
    )


def processor_registry() -> dict[str, Processor]:
    """Every recipient, by data-map code. Hosting and payment follow settings."""
    entries = (
        _hosting(),
        Processor(
            code="email",
            name="Email delivery provider",
            role="Processor",
            purpose="Delivers the emails we send you: orders, eSIMs, security and support.",
            locations=("eu",),
        ),
        _payment(),
        Processor(
            code="smdp",
            name="eSIM profile provider (SM-DP+)",
            role="Processor",
            purpose="Prepares your eSIM profile and releases it to your phone.",
            locations=("eu",),
        ),
        Processor(
            code="network",
            name="Mobile network operators",
            role="Independent controllers (our network partner and the networks it roams on)",
            purpose="Carry your data traffic, apply your data bundles and report your usage.",
            locations=("eu", "worldwide"),
            safeguard=Safeguard.SCC,
            safeguard_note="with our network partner, which binds the networks it roams on",
        ),
        # eSIM wholesalers receive the package ordered under our transaction id, and
        # the ICCID of the eSIM they supplied when it is topped up, queried or
        # ended. No name, email, address or device identifier is sent.
        Processor(
            code="airalo",
            name="Airalo (eSIM wholesaler)",
            role="Processor",
            purpose="Supplies eSIM profiles and data packages we order for you, and reports "
            "their usage.",
            locations=("sg", "worldwide"),
            safeguard=Safeguard.SCC,
            safeguard_note="with Airalo, which binds the networks it roams on",
        ),
        Processor(
            code="esimaccess",
            name="eSIM Access (eSIM wholesaler)",
            role="Processor",
            purpose="Supplies eSIM profiles and data packages we order for you, and reports "
            "their usage.",
            locations=("hk", "worldwide"),
            safeguard=Safeguard.SCC,
            safeguard_note="with eSIM Access, which binds the networks it roams on",
        ),
        Processor(
            code="esimgo",
            name="eSIM Go (eSIM wholesaler)",
            role="Processor",
            purpose="Supplies eSIM profiles and data bundles we order for you, and reports "
            "their usage.",
            locations=("uk", "worldwide"),
            safeguard=Safeguard.ADEQUACY,
            safeguard_note="the United Kingdom has an adequacy decision; eSIM Go binds the "
            "networks it roams on",
        ),
        Processor(
            code="authority",
            name="Courts and public authorities",
            role="Independent controllers, only under a legal request we have assessed (SHR-05)",
            purpose="Answer court orders and authorities' requests the law obliges us to, "
            "with the minimum of data.",
            locations=(settings.DATA_REGION,),
            safeguard=REGION_SAFEGUARD[settings.DATA_REGION],
        ),
    )
    return {entry.code: entry for entry in entries}


def is_registered(code: str) -> bool:
    return code in processor_registry()
