"""What a browser's User-Agent says, reduced to what a security log needs."""

from __future__ import annotations

from dataclasses import dataclass

from ua_parser import parse

TABLETS = ("ipad", "tablet", "kindle", "playbook", "nexus 7", "nexus 9", "nexus 10")
MOBILE_OS = ("ios", "android", "windows phone", "blackberry os", "kaios")


@dataclass(frozen=True)
class DeviceInfo:
    browser_family: str
    os_family: str
    device_type: str  # desktop, mobile, tablet, other


def device_info(user_agent: str) -> DeviceInfo:
    """Browser family and OS family without versions, and the kind of device."""
    result = parse(user_agent[:1000])
    browser = result.user_agent.family if result.user_agent else "Other"
    os_family = result.os.family if result.os else "Other"
    device = (result.device.family if result.device else "") or ""
    lowered = f"{device} {user_agent}".lower()
    if any(word in lowered for word in TABLETS):
        kind = "tablet"
    elif "mobile" in lowered or os_family.lower() in MOBILE_OS:
        kind = "mobile"
    elif os_family in ("Other", ""):
        kind = "other"
    else:
        kind = "desktop"
    return DeviceInfo(browser_family=browser[:64], os_family=os_family[:64], device_type=kind)
