"""Where personal data can leave the system, found by reading the code (SHR-01).

"We never sell personal data" is proved by showing there is no path out other
than the adapters named here, each of which sends to a registered processor or
partner. ``scan`` reads every module of the package (tests excepted) and lists
each import of a network library or of the shared HTTP client;
``violations`` compares that with ``ADAPTERS`` and ``STAND_INS`` and with the
processors registry. A new module that imports ``requests``, ``smtplib``, an
SDK or ``roamwise.core.http`` without being listed here fails the test, and so
does an adapter that names no registered recipient, a stale entry, and a
``disclosure_record`` call whose recipient is not registered.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

# Libraries that open connections to other machines, and Django's mail API.
NETWORK_MODULES = frozenset(
    {
        "aiohttp",
        "boto3",
        "botocore",
        "django.core.mail",
        "ftplib",
        "grpc",
        "http.client",
        "httpx",
        "paramiko",
        "pycurl",
        "requests",
        "sentry_sdk",
        "smtplib",
        "socket",
        "stripe",
        "telnetlib",
        "urllib.request",
        "urllib3",
        "websocket",
        "websockets",
        "xmlrpc.client",
    }
)
# The one HTTP client every adapter goes through (STYLE 9).
TRANSPORT = "roamwise.core.http"

# Names of the transport that send nothing.
HARMLESS = frozenset({"TransportError"})

# Each module allowed to send data out, and the recipient (a code of the data
# map and of the processors registry) it sends to. The transport itself sends
# only what an adapter hands it.
ADAPTERS: dict[str, str] = {
    TRANSPORT: "",
    "roamwise.esims.es2plus": "smdp",
    "roamwise.esims.partner": "network",
    "roamwise.notifications.services": "email",
    "roamwise.payments.gateways.simulated": "payment",
    "roamwise.payments.gateways.stripe": "payment",
    "roamwise.suppliers.airalo": "airalo",
    "roamwise.suppliers.esimaccess": "esimaccess",
    "roamwise.suppliers.esimgo": "esimgo",
}

# Clients shared by several adapters that write the disclosure log for them
# (ADR 0025): the recipient is the calling adapter's, known only at run time,
# where ``disclosure_record`` refuses an unregistered one. Each adapter named
# here must be in ADAPTERS with a registered recipient.
SHARED_CLIENTS: dict[str, tuple[str, ...]] = {
    "roamwise.suppliers.http": (
        "roamwise.suppliers.airalo",
        "roamwise.suppliers.esimaccess",
        "roamwise.suppliers.esimgo",
    ),
}

# Modules that send only what a scrubber has stripped of personal data and
# secrets, so that their service is not a recipient of the data map; each with
# what removes it (and the test that reads what would be sent proves it).
SCRUBBED: dict[str, str] = {
    "roamwise.kernel.errorreports": (
        "error reports to Sentry (SENTRY_DSN), rewritten by scrub_event before sending"
    ),
}

# The stand-ins for outside systems (ARCHITECTURE: external systems). They play
# the payment processor, the SM-DP+ and the network partner, and what they send
# goes to the shop, not out of it; in production they are not deployed.
STAND_INS: dict[str, str] = {
    "roamwise.gateway.tasks": "the simulated payment processor's webhooks to the shop",
    "roamwise.smdp.tasks": "the simulated SM-DP+'s notifications to the shop",
    "roamwise.network.management.commands.simulate_usage": (
        "the simulated network partner's usage records to the shop"
    ),
    "roamwise.suppliers.standins.server": "the wholesalers' stand-ins' webhooks to the shop",
}


@dataclass(frozen=True)
class Use:
    module: str
    line: int
    target: str  # the network module or the transport


@dataclass(frozen=True)
class RecipientUse:
    module: str
    line: int
    recipient: str | None  # None: not a literal the scan can resolve


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_outbound(name: str) -> str | None:
    for target in (*NETWORK_MODULES, TRANSPORT):
        if name == target or name.startswith(target + "."):
            return target
    return None


def _absolute(module: str, is_package: bool, level: int, name: str | None) -> str:
    if not level:
        return name or ""
    package = module.split(".") if is_package else module.split(".")[:-1]
    base = package[: len(package) - (level - 1)]
    return ".".join([*base, name] if name else base)


def outbound_uses(source: str, module: str, *, is_package: bool = False) -> list[Use]:
    """Every import (static or by name) of a network library or the transport."""
    uses: list[Use] = []
    for node in ast.walk(ast.parse(source)):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(module, is_package, node.level, node.module)
            if base == TRANSPORT and {a.name for a in node.names} <= HARMLESS:
                continue  # only the error type, to catch what an adapter raised
            names = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        elif (
            isinstance(node, ast.Call)
            and (
                (isinstance(node.func, ast.Name) and node.func.id == "__import__")
                or (isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
            )
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            names = [node.args[0].value]
        for name in names:
            target = _is_outbound(name)
            if target is not None and module != target:
                uses.append(Use(module, getattr(node, "lineno", 0), target))
                break
    return uses


def _call_name(call: ast.Call) -> str:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return ""


def _argument(call: ast.Call, name: str, position: int | None) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword.value
    if position is not None and position < len(call.args):
        return call.args[position]
    return None


def _literal(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def disclosure_recipients(source: str, module: str) -> list[RecipientUse]:
    """The recipient of every ``disclosure_record`` call. A recipient passed in
    as a parameter of the enclosing function is followed to that function's
    calls in the same module."""
    tree = ast.parse(source)
    functions = {
        node.name: node
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call)]
    found: list[RecipientUse] = []
    for function in functions.values():
        params = [a.arg for a in (*function.args.posonlyargs, *function.args.args)]
        keyword_only = [a.arg for a in function.args.kwonlyargs]
        for call in ast.walk(function):
            if not (isinstance(call, ast.Call) and _call_name(call) == "disclosure_record"):
                continue
            value = _argument(call, "recipient", None)
            literal = _literal(value)
            if literal is not None or not isinstance(value, ast.Name):
                found.append(RecipientUse(module, call.lineno, literal))
                continue
            if value.id not in params and value.id not in keyword_only:
                found.append(RecipientUse(module, call.lineno, None))
                continue
            position = params.index(value.id) if value.id in params else None
            callers = [c for c in calls if _call_name(c) == function.name]
            if not callers:
                found.append(RecipientUse(module, call.lineno, None))
            for caller in callers:
                found.append(
                    RecipientUse(
                        module, caller.lineno, _literal(_argument(caller, value.id, position))
                    )
                )
    return found


def _sources(root: Path) -> Iterable[tuple[Path, str]]:
    for path in sorted(root.rglob("*.py")):
        if "tests" in path.relative_to(root).parts:
            continue
        yield path, module_name(path, root)


def scan(root: Path) -> tuple[list[Use], list[RecipientUse]]:
    """Read every module under ``root`` (a package directory), tests excepted."""
    uses: list[Use] = []
    recipients: list[RecipientUse] = []
    for path, module in _sources(root):
        source = path.read_text(encoding="utf-8")
        uses.extend(outbound_uses(source, module, is_package=path.name == "__init__.py"))
        if "disclosure_record" in source:
            recipients.extend(disclosure_recipients(source, module))
    return uses, recipients


def violations(
    uses: Iterable[Use],
    recipients: Iterable[RecipientUse],
    *,
    registered: Iterable[str],
    adapters: Mapping[str, str] = ADAPTERS,
    stand_ins: Mapping[str, str] = STAND_INS,
    shared_clients: Mapping[str, tuple[str, ...]] = SHARED_CLIENTS,
    scrubbed: Mapping[str, str] = SCRUBBED,
) -> list[str]:
    known = set(registered)
    problems: list[str] = []
    sending = set()
    for use in uses:
        sending.add(use.module)
        if (
            use.module not in adapters
            and use.module not in stand_ins
            and use.module not in scrubbed
        ):
            problems.append(
                f"{use.module}:{use.line} reaches the network through {use.target} but is "
                "not an adapter with a registered recipient"
            )
    for module, recipient in sorted(adapters.items()):
        if module != TRANSPORT and recipient not in known:
            problems.append(f"adapter {module} sends to {recipient!r}, which is not registered")
    for module in sorted({*adapters, *stand_ins, *scrubbed} - sending - {TRANSPORT}):
        problems.append(f"{module} is listed as sending data out but no longer does")
    recipients = list(recipients)
    disclosing = {disclosure.module for disclosure in recipients}
    for module, users in sorted(shared_clients.items()):
        if module not in disclosing:
            continue
        for user in users:
            if adapters.get(user) not in known:
                problems.append(f"{module} discloses for {user}, which is not a registered adapter")
    for disclosure in recipients:
        where = f"{disclosure.module}:{disclosure.line}"
        if disclosure.recipient is None and disclosure.module in shared_clients:
            continue  # the calling adapter's recipient, checked above
        if disclosure.recipient is None:
            problems.append(f"{where} discloses to a recipient the scan cannot read")
        elif disclosure.recipient not in known:
            problems.append(
                f"{where} discloses to {disclosure.recipient!r}, which is not registered"
            )
    return problems
