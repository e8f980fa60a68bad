"""Privacy requests over the API: create, list, read and download your own;
4xx with a message on bad input; nobody else's (404)."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from roamwise.accounts.models import User
from roamwise.consent.selectors import objections_of
from roamwise.rights.models import DataRequest, DataRequestFile, RequestKind, RequestStatus
from roamwise.testing.helpers import PNG, committed

from .conftest import data_json

URL = "/api/v1/rights/requests"


def post(client: Client, body: dict, url: str = URL) -> object:
    return committed(lambda: client.post(url, body, content_type="application/json"))


@pytest.mark.commitment("RGT-04")
def test_an_export_request_is_answered_at_once_with_a_download(
    buyer: Client, alice: User, bob: User
) -> None:
    created = post(buyer, {"kind": "export"})

    assert created.status_code == 201
    body = created.json()
    assert (body["kind"], body["status"]) == ("export", "completed")
    assert body["download_url"].endswith(f"{URL}/{body['id']}/export")
    download = buyer.get(f"{URL}/{body['id']}/export")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/zip"
    assert data_json(download.content)["subject"]["id"] == str(alice.public_id)
    # The list and the detail.
    assert [r["id"] for r in buyer.get(URL).json()] == [body["id"]]
    assert buyer.get(f"{URL}/{body['id']}").json()["reference"] == body["reference"]
    # Another customer: 404 for the request and its download.
    other = Client()
    other.force_login(bob)
    assert other.get(f"{URL}/{body['id']}").status_code == 404
    refused = other.get(f"{URL}/{body['id']}/export")
    assert refused.status_code == 404
    assert refused.json()["code"] == "request_not_found"
    assert other.get(URL).json() == []


@pytest.mark.commitment("RGT-02")
def test_a_correction_with_a_file_over_the_api(buyer: Client, alice: User) -> None:
    created = post(
        buyer,
        {
            "kind": "correction",
            "fields": ["accounts.Profile.date_of_birth"],
            "details": "I was born in 1991.",
            "attachments": [
                {
                    "filename": "birth.png",
                    "content_type": "image/png",
                    "content_base64": base64.b64encode(PNG).decode(),
                }
            ],
        },
    )

    assert created.status_code == 201
    assert created.json()["status"] == "in_progress"
    stored = DataRequestFile.objects.get()
    assert bytes(stored.content) == PNG
    assert stored.request.user == alice
    assert buyer.get(f"{URL}/{created.json()['id']}/export").status_code == 409


@pytest.mark.commitment("RGT-06")
def test_objection_and_restriction_over_the_api(buyer: Client, alice: User) -> None:
    objected = post(buyer, {"kind": "objection", "scope": "analytics"})
    restricted = post(buyer, {"kind": "restriction"})
    again = post(buyer, {"kind": "restriction"})
    lifted = post(buyer, {"kind": "restriction", "active": False})

    assert (objected.status_code, restricted.status_code, lifted.status_code) == (201, 201, 201)
    assert again.status_code == 409 and again.json()["code"] == "no_change"
    assert objections_of(user=alice)["analytics"] is True
    assert objections_of(user=alice)["restriction"] is False
    assert list(DataRequest.objects.order_by("pk").values_list("kind", "status")) == [
        (RequestKind.OBJECTION, RequestStatus.COMPLETED),
        (RequestKind.RESTRICTION, RequestStatus.COMPLETED),
        (RequestKind.RESTRICTION, RequestStatus.COMPLETED),
    ]


@pytest.mark.commitment("RGT-03")
def test_erasure_over_the_api_points_to_the_reauthenticated_page(
    buyer: Client, alice: User
) -> None:
    refused = post(buyer, {"kind": "erasure"})

    assert refused.status_code == 403
    assert refused.json()["code"] == "reauthentication_required"
    assert "/rights/erase/" in refused.json()["message"]
    assert User.objects.filter(pk=alice.pk).exists()
    assert not DataRequest.objects.exists()


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"kind": "teleport"}, 422, "invalid_input"),
        ({"kind": "objection"}, 422, "invalid_request"),
        (
            {"kind": "correction", "details": "x", "fields": ["accounts.User.password"]},
            422,
            "invalid_request",
        ),
        ({"kind": "correction", "fields": []}, 422, "invalid_request"),
        (
            {
                "kind": "correction",
                "details": "See file",
                "attachments": [
                    {"filename": "a.png", "content_type": "image/png", "content_base64": "!!"}
                ],
            },
            422,
            "evidence_rejected",
        ),
    ],
)
def test_bad_input_gets_a_4xx_with_a_message(
    buyer: Client, body: dict, status: int, code: str
) -> None:
    response = post(buyer, body)

    assert response.status_code == status
    assert response.json()["code"] == code
    assert response.json()["message"]
    assert not DataRequest.objects.exists()


def test_signed_out_calls_are_refused(client: Client) -> None:
    assert client.get(URL).status_code == 401
    assert post(client, {"kind": "export"}).status_code == 401
    assert client.get(f"{URL}/not-a-uuid").status_code in (401, 422)


@pytest.mark.commitment("RGT-09")
def test_a_public_request_over_the_api_is_verified_by_email_first(
    client: Client, jobs: object
) -> None:
    response = post(
        client,
        {"email": "visitor@example.org", "kind": "access"},
        url="/api/v1/rights/public-requests",
    )
    jobs()  # type: ignore[operator]

    assert response.status_code == 202
    request = DataRequest.objects.get()
    assert request.status == RequestStatus.VERIFYING
    assert response.json()["reference"] == request.reference
    assert [m.to for m in mail.outbox] == [["visitor@example.org"]]
    bad = post(client, {"email": "nope", "kind": "access"}, url="/api/v1/rights/public-requests")
    assert bad.status_code == 422
    unknown = post(
        client,
        {"email": "p@example.org", "kind": "access", "jurisdiction": "atlantis"},
        url="/api/v1/rights/public-requests",
    )
    assert unknown.status_code == 422
    assert unknown.json()["message"] == "Unknown jurisdiction 'atlantis'."


def _evidence(size: int) -> dict[str, str]:
    content = PNG + b"\x00" * (size - len(PNG))
    return {
        "filename": "birth.png",
        "content_type": "image/png",
        "content_base64": base64.b64encode(content).decode(),
    }


def _correction(client: Client, attachments: list[dict[str, str]]) -> Any:
    return post(
        client,
        {
            "kind": "correction",
            "fields": ["accounts.Profile.date_of_birth"],
            "details": "I was born in 1991.",
            "attachments": attachments,
        },
    )


@pytest.mark.commitment("RGT-02")
def test_the_largest_evidence_the_spec_allows_is_taken_and_a_byte_more_refused(
    buyer: Client, settings: Any
) -> None:
    schemas = buyer.get("/api/v1/openapi.json").json()["components"]["schemas"]
    max_length = schemas["EvidenceIn"]["properties"]["content_base64"]["maxLength"]
    max_items = schemas["RequestIn"]["properties"]["attachments"]["maxItems"]
    limit = settings.RIGHTS_EVIDENCE_MAX_BYTES
    largest = _evidence(limit)
    assert len(largest["content_base64"]) == max_length
    assert max_items * max_length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE

    over = _correction(buyer, [_evidence(limit + 1)])
    assert over.status_code == 422
    assert over.json()["code"] == "evidence_rejected"
    longer = _correction(buyer, [{**largest, "content_base64": "A" * (max_length + 1)}])
    assert longer.status_code == 422
    assert longer.json()["code"] == "invalid_input"
    assert not DataRequest.objects.exists()

    created = _correction(buyer, [largest] * max_items)
    assert created.status_code == 201, created.content[:300]
    sizes = [len(bytes(f.content)) for f in DataRequestFile.objects.all()]
    assert sizes == [limit] * max_items
