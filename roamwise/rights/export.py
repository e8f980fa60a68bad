"""The download of everything held about a customer (RGT-04): a ZIP with

- ``data.json``: machine-readable, documented in ``docs/export-schema.md``
  (JSON Schema in ``schemas/export-v1.json``, also in the ZIP as ``schema.json``);
- ``index.html``: the same, readable in any browser, with no external asset;
- ``files/...``: files held (support attachments, correction evidence).

Both are built from one walk over the data map (``selectors.held_sources``).
"""

from __future__ import annotations

import datetime as dt
import html
import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from roamwise.accounts.models import User
from roamwise.core import metrics
from roamwise.datamap.registry import Declaration
from roamwise.datamap.vocabulary import CATEGORIES, LEGAL_BASES, LOCATIONS, PURPOSES, RECIPIENTS
from roamwise.vault.fields import EncryptedBinaryField

from . import selectors
from .selectors import Binary

SCHEMA_VERSION = "1.0"
SCHEMA_PATH = Path(__file__).resolve().parent / "schemas" / "export-v1.json"


def export_schema() -> dict[str, Any]:
    return dict(json.loads(SCHEMA_PATH.read_text()))


@dataclass
class Export:
    data: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)

    def filename(self) -> str:
        stamp = self.data["generated_at"][:10]
        return f"{settings.SITE_NAME.lower()}-data-{stamp}.zip"


def _files_out(value: Any, path: str, files: dict[str, bytes]) -> Any:
    if isinstance(value, Binary):
        files[path] = value.content
        return {"$file": path, "size": len(value.content)}
    return value


def _binary_fields(declaration: Declaration) -> set[str]:
    """The declared fields holding files: written beside data.json, not in it."""
    meta = declaration.model_class._meta
    return {
        f.name
        for f in declaration.fields
        if isinstance(meta.get_field(f.name), models.BinaryField | EncryptedBinaryField)
    }


@metrics.PRIVACY_SECONDS.labels(kind="export").time()
def export_build(*, user: User, now: dt.datetime | None = None) -> Export:
    moment = now or timezone.now()
    files: dict[str, bytes] = {}
    sources: list[dict[str, Any]] = []
    categories: dict[str, list[dict[str, str]]] = {}
    storage: dict[str, list[str]] = {}
    for held in selectors.held_sources(user):
        declaration = held.declaration
        binary = _binary_fields(declaration)
        records = [
            {
                "id": row_id,
                "values": values
                if not binary
                else {
                    name: _files_out(value, f"files/{declaration.model}/{row_id}/{name}", files)
                    for name, value in values.items()
                },
            }
            for row_id, values in held.rows
        ]
        for personal in declaration.fields:
            categories.setdefault(personal.category, []).append(
                {"source": declaration.model, "field": personal.name}
            )
        storage.setdefault(declaration.location, []).append(declaration.model)
        sources.append(
            {
                "model": declaration.model,
                "description": str(declaration.description),
                "purposes": list(declaration.purposes),
                "legal_basis": declaration.legal_basis,
                "retention": declaration.retention.describe(),
                "erasure": declaration.erasure.action,
                "erasure_reason": declaration.erasure.legal_obligation,
                "recipients": list(declaration.recipients),
                "location": declaration.location,
                "fields": [
                    {"name": f.name, "category": f.category, "editable": f.editable}
                    for f in declaration.fields
                ],
                "records": records,
            }
        )
    order = list(CATEGORIES)
    consents = selectors.consent_overview(user=user)
    data: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "generated_at": moment.isoformat(),
        "controller": {
            "name": settings.SITE_NAME,
            "privacy_email": settings.PRIVACY_EMAIL,
            "privacy_policy": settings.SITE_URL + reverse("privacy_policy"),
        },
        "subject": {"id": str(user.public_id), "username": user.username},
        "storage": [
            {"location": loc, "label": LOCATIONS[loc], "sources": models_}
            for loc, models_ in sorted(storage.items())
        ],
        "categories": [
            {"id": category, "label": CATEGORIES[category], "fields": fields}
            for category, fields in sorted(categories.items(), key=lambda i: order.index(i[0]))
        ],
        "sources": sources,
        "consents": {
            "choices": consents["choices"],
            "objections": consents["objections"],
            "history": [
                {
                    "purpose": r.purpose,
                    "granted": r.granted,
                    "source": r.source,
                    "policy_version": r.policy_version,
                    "at": r.created_at.isoformat(),
                }
                for r in consents["history"]
            ],
        },
        "recipients": [
            {
                "recipient": d.recipient,
                "label": RECIPIENTS.get(d.recipient, d.recipient),
                "categories": list(d.categories),
                "purpose": d.purpose,
                "reference": d.reference,
                "at": d.occurred_at.isoformat(),
            }
            for d in selectors.recipients_of(user=user, limit=10_000)
        ],
        "staff_accesses": [
            {
                "at": e.occurred_at.isoformat(),
                "role": e.actor_role,
                "action": e.action,
                "record": e.object_type,
                "fields": list(e.fields),
                "reason": e.reason,
            }
            for e in selectors.staff_accesses_of(user=user, limit=10_000)
        ],
        "requests": [
            {
                "id": str(r.public_id),
                "reference": r.reference,
                "kind": r.kind,
                "status": r.status,
                "received_at": r.received_at.isoformat(),
                "due_at": r.due_at.isoformat(),
                "completed_at": r.completed_at.isoformat() if r.completed_at else None,
            }
            for r in selectors.requests_of(user=user)
        ],
        "vocabulary": {
            "categories": CATEGORIES,
            "purposes": PURPOSES,
            "legal_bases": LEGAL_BASES,
            "recipients": RECIPIENTS,
            "locations": LOCATIONS,
        },
    }
    return Export(data=data, files=files)


# --- index.html: built as text, so that 50,000 usage records render in a blink ---

STYLE = """
body{font:15px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem}
h1,h2,h3{line-height:1.2}table{border-collapse:collapse;margin:.5rem 0 1.5rem;font-size:13px}
th,td{border:1px solid #ccd;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#eef}p.muted{color:#556}nav li{display:inline;margin-right:1rem}
"""


# Rows of one kind of record on the readable page; data.json holds them all
# (a year of usage records is 50,000 rows: nobody reads that page).
HTML_ROWS = 1000

_ESCAPE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;"})


def _e(value: Any) -> str:
    if type(value) is str:
        return value.translate(_ESCAPE) if value else "&mdash;"
    if value is None:
        return "&mdash;"
    if type(value) is int or type(value) is bool or type(value) is float:
        return str(value)
    if isinstance(value, dict) and "$file" in value:
        path = html.escape(str(value["$file"]))
        return f'<a href="{path}">file, {int(value["size"])} bytes</a>'
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False)
    return html.escape(str(value)) or "&mdash;"


def _table(head: list[str], rows: list[list[Any]]) -> list[str]:
    out = ["<table><thead><tr>", *(f"<th>{html.escape(h)}</th>" for h in head), "</tr></thead>"]
    out.append("<tbody>")
    for row in rows:
        out.append("<tr>" + "".join(f"<td>{_e(cell)}</td>" for cell in row) + "</tr>")
    out.append("</tbody></table>")
    return out


def export_html(export: Export) -> str:
    data = export.data
    by_model = {s["model"]: s for s in data["sources"]}
    site = html.escape(data["controller"]["name"])
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Your data at {site}</title><style>{STYLE}</style></head><body>",
        f"<h1>Everything {site} holds about you</h1>",
        f'<p class="muted">Generated {html.escape(data["generated_at"])} for account '
        f"{html.escape(data['subject']['username'])} ({html.escape(data['subject']['id'])}). "
        "The same data, for programs, is in data.json (schema: schema.json).</p>",
        "<h2>Where it is stored</h2><ul>",
        *(
            f"<li>{html.escape(s['label'])}: {html.escape(', '.join(s['sources']))}</li>"
            for s in data["storage"]
        ),
        "</ul><nav><ul>",
        *(
            f'<li><a href="#{html.escape(c["id"])}">{html.escape(c["label"])}</a></li>'
            for c in data["categories"]
        ),
        "</ul></nav>",
    ]
    for category in data["categories"]:
        out.append(f'<h2 id="{html.escape(category["id"])}">{html.escape(category["label"])}</h2>')
        fields_by_model: dict[str, list[str]] = {}
        for ref in category["fields"]:
            fields_by_model.setdefault(ref["source"], []).append(ref["field"])
        for model, names in fields_by_model.items():
            source = by_model[model]
            purposes = ", ".join(PURPOSES[p] for p in source["purposes"])
            out.append(f"<h3>{html.escape(source['description'] or model)}</h3>")
            out.append(
                f'<p class="muted">Why: {html.escape(purposes)}. Kept: '
                f"{html.escape(source['retention'])}. Stored in: "
                f"{html.escape(LOCATIONS[source['location']])}.</p>"
            )
            records = source["records"]
            out.extend(
                _table(
                    ["Record", *names],
                    [[r["id"], *(r["values"][n] for n in names)] for r in records[:HTML_ROWS]],
                )
            )
            if len(records) > HTML_ROWS:
                out.append(
                    f'<p class="muted">The first {HTML_ROWS:,} of {len(records):,} records; '
                    "data.json holds every one.</p>"
                )
    out.append("<h2>Your consent choices</h2>")
    out.extend(
        _table(
            ["Purpose", "Your choice"],
            [
                [p, {True: "yes", False: "no", None: "not chosen"}[v]]
                for p, v in data["consents"]["choices"].items()
            ],
        )
    )
    out.extend(
        _table(
            ["Objection or restriction", "In force"],
            [[k, "yes" if v else "no"] for k, v in data["consents"]["objections"].items()],
        )
    )
    out.append("<h2>Who received your data</h2>")
    out.extend(
        _table(
            ["When", "Recipient", "Categories", "Why"],
            [
                [d["at"], d["label"], ", ".join(d["categories"]), d["purpose"]]
                for d in data["recipients"]
            ],
        )
    )
    out.append("<h2>Staff who accessed your data</h2>")
    out.extend(
        _table(
            ["When", "Role", "What", "Why"],
            [
                [a["at"], a["role"], f"{a['action']}: {', '.join(a['fields'])}", a["reason"]]
                for a in data["staff_accesses"]
            ],
        )
    )
    out.append("<h2>Your privacy requests</h2>")
    out.extend(
        _table(
            ["Reference", "Kind", "Status", "Received", "Due", "Completed"],
            [
                [
                    r["reference"],
                    r["kind"],
                    r["status"],
                    r["received_at"],
                    r["due_at"],
                    r["completed_at"],
                ]
                for r in data["requests"]
            ],
        )
    )
    out.append("</body></html>")
    return "\n".join(out)


def export_zip(export: Export) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        # Compact: the indented encoder is pure Python and ten times slower.
        archive.writestr(
            "data.json", json.dumps(export.data, ensure_ascii=False, separators=(",", ":"))
        )
        archive.writestr("index.html", export_html(export))
        archive.writestr("schema.json", SCHEMA_PATH.read_text())
        for path, content in export.files.items():
            archive.writestr(path, content)
    return buffer.getvalue()
