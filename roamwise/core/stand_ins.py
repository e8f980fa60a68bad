"""The stand-ins for outside parties, and how each one runs alone (ADR 0018).

A stand-in (the payment processor, the SM-DP+, the network partner, the eSIM
wholesalers) speaks the outside party's protocol over real HTTP. None runs
unless ``SIMULATORS`` names it, and then ``manage.py serve`` starts it as its
own process on its own port, with a URLconf of its own (or, for a wholesaler,
a small server of its own): the shop's URLs never include a stand-in, so the
shop never answers its own outbound calls and nobody can reach a stand-in
through a production site.

Pure data and functions, so that ``settings.py`` can use them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StandIn:
    name: str
    # What it stands in for, as the console and the checks name it.
    party: str
    # Its URLs when it runs alone (ROAMWISE_ROOT_URLCONF of its process), or
    # empty for a stand-in that is not part of the site (``command``).
    urlconf: str
    # Its port under ``make run`` (SIMULATOR_PORTS changes it).
    port: int
    # Where its API starts under its own address: the payment processor keeps
    # its /gateway/ prefix so that its hosted pages keep their addresses.
    prefix: str = ""
    # A wholesaler's stand-in is a small WSGI application of its own, served by
    # ``manage.py run_supplier_standin <name>`` rather than by gunicorn.
    command: str = ""
    # The demo may stop it (to show failover to the next supplier, ADR 0020)
    # while the shop goes on; any other child that ends stops ``serve``.
    may_stop: bool = False


STAND_INS: dict[str, StandIn] = {
    stand_in.name: stand_in
    for stand_in in (
        StandIn(
            name="gateway",
            party="payment processor",
            urlconf="roamwise.gateway.standalone_urls",
            port=8001,
            prefix="/gateway",
        ),
        StandIn(
            name="smdp",
            party="SM-DP+",
            urlconf="roamwise.smdp.standalone_urls",
            port=8002,
        ),
        StandIn(
            name="network",
            party="network partner",
            urlconf="roamwise.network.standalone_urls",
            port=8003,
        ),
        StandIn(
            name="airalo",
            party="Airalo (eSIM wholesaler)",
            urlconf="",
            port=8004,
            prefix="/v2",
            command="run_supplier_standin",
            may_stop=True,
        ),
        StandIn(
            name="esimaccess",
            party="eSIM Access (eSIM wholesaler)",
            urlconf="",
            port=8005,
            command="run_supplier_standin",
            may_stop=True,
        ),
        StandIn(
            name="esimgo",
            party="eSIM Go (eSIM wholesaler)",
            urlconf="",
            port=8006,
            prefix="/v2.4",
            command="run_supplier_standin",
            may_stop=True,
        ),
    )
}


def stand_ins_named(names: list[str]) -> list[str]:
    """The stand-ins ``SIMULATORS`` names, checked; raises ``ValueError``."""
    unknown = sorted(set(names) - set(STAND_INS))
    if unknown:
        raise ValueError(f"unknown {', '.join(unknown)}; the stand-ins are {', '.join(STAND_INS)}")
    return [name for name in STAND_INS if name in names]


def stand_in_ports(raw: str) -> dict[str, int]:
    """``gateway=8001,smdp=8002``: each stand-in's port, the rest at their defaults."""
    ports = {name: stand_in.port for name, stand_in in STAND_INS.items()}
    for item in filter(None, (part.strip() for part in raw.split(","))):
        name, _, port = item.partition("=")
        name = name.strip()
        if name not in STAND_INS or not port.strip().isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"{item!r} is not STAND_IN=PORT with one of {', '.join(STAND_INS)}")
        ports[name] = int(port)
    return ports


def stand_in_address(name: str, *, running: list[str], ports: dict[str, int]) -> str:
    """Where the shop reaches a stand-in that runs; empty when none runs, so that
    an outbound address is never, by default, the shop's own."""
    if name not in running:
        return ""
    return f"http://127.0.0.1:{ports[name]}{STAND_INS[name].prefix}"
