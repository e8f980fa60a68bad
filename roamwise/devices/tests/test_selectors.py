from __future__ import annotations

import pytest

from roamwise.devices import selectors
from roamwise.devices.errors import InvalidEid, InvalidImei, InvalidModel
from roamwise.devices.selectors import DeviceCheck, device_check
from roamwise.testing.lines import EID

IMEI = "352099001761481"


@pytest.mark.parametrize(
    "typed,matched",
    [
        ("iPhone 15 Pro", "Apple iPhone 15 Pro"),
        ("  apple   IPHONE 15 pro ", "Apple iPhone 15 Pro"),
        ("iphone15pro", "Apple iPhone 15 Pro"),
        ("iPhone SE 2020", "Apple iPhone SE (2nd generation)"),
        ("Samsung S23", "Samsung Galaxy S23"),
        ("Samsung Galaxy S23 Ultra 512GB", "Samsung Galaxy S23 Ultra"),
        ("Galaxy S20 Plus", "Samsung Galaxy S20+"),
        ("SM-S911B", "Samsung Galaxy S23"),
        ("Galaxy A54", "Samsung Galaxy A54 5G"),
        ("Pixel 4a", "Google Pixel 4a"),
        ("pixel 4a 5g", "Google Pixel 4a 5G"),
        ("moto razr+ 2023", "Motorola razr 40 ultra"),
        ("Xperia 10 Ⅳ", "Sony Xperia 10 IV"),
        ("Xiaomi 13", "Xiaomi 13"),
    ],
)
def test_matches_names_aliases_and_sloppy_typing(typed: str, matched: str) -> None:
    result = device_check(model=typed)

    assert result.matched == matched
    assert result.compatible is True
    assert result.suggestions == []


def test_a_match_carries_its_note() -> None:
    result = device_check(model="Pixel 3")

    assert result == DeviceCheck(
        compatible=True,
        matched="Google Pixel 3",
        note=(
            "Not the models bought in Australia, Japan or Taiwan, nor from US or Canadian "
            "carriers other than Sprint and Google Fi."
        ),
        suggestions=[],
        eid_valid=None,
        imei_valid=None,
    )


def test_a_listed_device_without_esim_is_not_compatible() -> None:
    result = device_check(model="iPhone X")

    assert result.compatible is False
    assert result.matched == "Apple iPhone X"
    assert result.note == "No eSIM: eSIM arrived with the iPhone XS and XR (2018)."


def test_an_unknown_model_gets_suggestions() -> None:
    result = device_check(model="iphne 15 pro")

    assert result.compatible is None
    assert result.matched == ""
    assert result.note == ""
    assert result.suggestions[0] == "Apple iPhone 15 Pro"
    assert len(result.suggestions) == selectors.SUGGESTION_LIMIT


def test_an_ambiguous_name_suggests_every_model_it_starts() -> None:
    result = device_check(model="iPhone SE")

    assert result.compatible is None
    assert result.suggestions[:3] == [
        "Apple iPhone SE (2nd generation)",
        "Apple iPhone SE (3rd generation)",
        "Apple iPhone SE (1st generation)",
    ]


def test_nothing_close_gives_no_suggestions() -> None:
    assert device_check(model="zzzz").suggestions == []


def test_valid_identifiers_are_reported() -> None:
    result = device_check(
        model="iPhone 15", eid=f" {EID[:16]} {EID[16:]} ", imei="35-209900-176148-1"
    )

    assert result.eid_valid is True
    assert result.imei_valid is True


@pytest.mark.parametrize("blank", ["", "  ", " - "])
def test_identifiers_not_given_are_none(blank: str) -> None:
    result = device_check(model="iPhone 15", eid=blank, imei=blank)

    assert result.eid_valid is None
    assert result.imei_valid is None


def test_wrong_check_digits_are_reported_not_refused() -> None:
    result = device_check(
        model="iPhone 15", eid="89001012012341234012345678901234", imei="352099001761482"
    )

    assert result.matched == "Apple iPhone 15"
    assert result.eid_valid is False
    assert result.imei_valid is False


@pytest.mark.parametrize(
    "model,message",
    [
        ("", "Type your device's model, for example iPhone 15 or Galaxy S24."),
        ("   ", "Type your device's model, for example iPhone 15 or Galaxy S24."),
        ("?!", "Type your device's model, for example iPhone 15 or Galaxy S24."),
        ("x" * 101, "A model name is at most 100 characters."),
    ],
)
def test_bad_model_is_refused(model: str, message: str) -> None:
    with pytest.raises(InvalidModel) as raised:
        device_check(model=model)

    assert raised.value.message == message
    assert raised.value.code == "invalid_model"
    assert raised.value.status == 422


@pytest.mark.parametrize("model", ["x" * 100, "1 GB", "\x00a"])
def test_any_model_with_a_letter_or_digit_is_answered(model: str) -> None:
    assert device_check(model=model).compatible is None


EID_MALFORMED = "An EID is 32 digits (spaces are fine); find it in Settings > About, or dial *#06#."


@pytest.mark.parametrize(
    "eid",
    [
        "1234",
        EID + "1",
        EID[:-1] + "A",
        EID + "\n",
        EID[:16] + "\t" + EID[16:],
        EID + " " * 40,
    ],
)
def test_malformed_eid_is_refused(eid: str) -> None:
    with pytest.raises(InvalidEid) as raised:
        device_check(model="iPhone 15", eid=eid)

    assert raised.value.message == EID_MALFORMED
    assert raised.value.code == "invalid_eid"
    assert raised.value.status == 422


@pytest.mark.parametrize("imei", ["35209900176148", "3520990017614812", "35209900176148X"])
def test_malformed_imei_is_refused(imei: str) -> None:
    with pytest.raises(InvalidImei) as raised:
        device_check(model="iPhone 15", imei=imei)

    assert raised.value.message == "An IMEI is 15 digits (spaces are fine); dial *#06# to see it."
    assert raised.value.code == "invalid_imei"


def test_the_list_is_big_and_well_formed() -> None:
    devices = selectors.device_list()

    assert len(devices) >= 150
    assert {d.kind for d in devices} == {"phone", "tablet", "watch"}
    assert all(d.brand and d.model for d in devices)
    assert len({d.name for d in devices}) == len(devices)


def test_no_two_models_share_a_name_or_alias() -> None:
    owners: dict[str, set[str]] = {}
    for device in selectors.device_list():
        for key in selectors._device_keys(device):
            owners.setdefault(key, set()).add(device.name)

    assert {key: names for key, names in owners.items() if len(names) > 1} == {}


def test_every_listed_name_matches_itself() -> None:
    for device in selectors.device_list():
        assert device_check(model=device.name).matched == device.name
        for alias in device.aliases:
            assert device_check(model=alias).matched == device.name, alias


@pytest.mark.parametrize(
    "model",
    [
        "iPhone XR",
        "iPhone XS",
        "iPhone SE (2nd generation)",
        "iPhone SE (3rd generation)",
        "iPhone 16e",
        "iPhone 17 Pro Max",
        "iPhone Air",
        "iPad Pro 12.9-inch (3rd generation)",
        "Pixel 3",
        "Pixel 10 Pro Fold",
        "Galaxy S20",
        "Galaxy Note20 Ultra",
        "Galaxy Z Fold6",
        "Galaxy Z Flip5",
        "razr 2022",
        "Find X3 Pro",
        "Huawei P40",
        "Xperia 10 III Lite",
        "Fairphone 4",
        "Fairphone 5",
        "Nokia X30",
    ],
)
def test_the_list_covers_the_models_customers_ask_about(model: str) -> None:
    assert device_check(model=model).compatible is True
