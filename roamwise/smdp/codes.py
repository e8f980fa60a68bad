"""ES2+ function execution status codes (SGP.22 §5.2.6, §5.3 tables)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Es2Failure(Exception):
    subject_code: str
    reason_code: str
    message: str
    subject_identifier: str = ""

    def status_code_data(self) -> dict[str, str]:
        data = {
            "subjectCode": self.subject_code,
            "reasonCode": self.reason_code,
            "message": self.message,
        }
        if self.subject_identifier:
            data["subjectIdentifier"] = self.subject_identifier
        return data


def iccid_unknown(iccid: str) -> Es2Failure:
    return Es2Failure("8.2.1", "3.9", "ICCID unknown", iccid)


def iccid_not_allowed(iccid: str) -> Es2Failure:
    return Es2Failure("8.2.1", "1.2", "ICCID not allowed for this operator", iccid)


def iccid_in_use(iccid: str) -> Es2Failure:
    return Es2Failure("8.2.1", "3.3", "ICCID already in use", iccid)


def profile_type_unknown(profile_type: str) -> Es2Failure:
    return Es2Failure("8.2.5", "3.9", "Profile type unknown", profile_type)


def profile_type_exhausted(profile_type: str) -> Es2Failure:
    return Es2Failure("8.2.5", "3.7", "No profile of this type is available", profile_type)


def profile_type_mismatch(profile_type: str) -> Es2Failure:
    return Es2Failure("8.2.5", "3.8", "The ICCID is not of this profile type", profile_type)


def invalid_transition(iccid: str, state: str) -> Es2Failure:
    return Es2Failure("8.2.1", "3.5", f"Invalid transition from {state}", iccid)


def eid_missing() -> Es2Failure:
    return Es2Failure("8.1.1", "2.2", "EID mandatory element missing")


def eid_mismatch(eid: str) -> Es2Failure:
    return Es2Failure("8.1.1", "3.10", "A different EID is already associated", eid)


def matching_id_in_use(matching_id: str) -> Es2Failure:
    return Es2Failure("8.2.6", "3.3", "Matching ID already in use", matching_id)


def matching_id_mismatch(matching_id: str) -> Es2Failure:
    return Es2Failure("8.2.6", "3.10", "Different Matching ID", matching_id)


def already_downloaded(iccid: str) -> Es2Failure:
    return Es2Failure("8.2.1", "3.3", "Profile already downloaded", iccid)


def malformed(message: str) -> Es2Failure:
    return Es2Failure("1.3.1", "2.1", message)


def missing(field: str) -> Es2Failure:
    return Es2Failure("1.3.1", "2.2", f"Mandatory element missing: {field}", field)


def unsupported_version(version: str) -> Es2Failure:
    return Es2Failure("1.3.2", "2.1", f"Unsupported protocol version {version!r}")


def unknown_requester(requester: str) -> Es2Failure:
    # SGP.22 §5.2.6: 1.1 Function Requester, 1.1 Unknown (Identification/Authentication).
    return Es2Failure("1.1", "1.1", "Unknown or unauthenticated function requester", requester)


def requester_not_allowed(requester: str) -> Es2Failure:
    # SGP.22 §5.2.6: 1.1 Function Requester, 1.2 Not Allowed (Authorisation).
    return Es2Failure("1.1", "1.2", "The client certificate is not this requester's", requester)


def call_identifier_reused(call_id: str) -> Es2Failure:
    return Es2Failure(
        "1.3.1", "3.3", "functionCallIdentifier already used for another request", call_id
    )
