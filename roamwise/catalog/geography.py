"""Regions of the world by ISO 3166-1 alpha-2 code, and demo network operators.

Region membership follows common travel-eSIM practice (Turkey and Cyprus sit
in Europe for roaming; the Middle East is its own region). Territories with no
region (Antarctica and similar) are covered by global plans only.
"""

from __future__ import annotations

REGIONS: dict[str, tuple[str, str]] = {
    # slug: (name, space-separated member codes)
    "europe": (
        "Europe",
        "AD AL AT AX BA BE BG BY CH CY CZ DE DK EE ES FI FO FR GB GG GI GR HR HU IE IM IS "
        "IT JE LI LT LU LV MC MD ME MK MT NL NO PL PT RO RS RU SE SI SJ SK SM TR UA VA",
    ),
    "asia": (
        "Asia",
        "AF AM AZ BD BN BT CN GE HK ID IN JP KG KH KP KR KZ LA LK MM MN MO MV MY NP PH PK "
        "SG TH TJ TL TM TW UZ VN",
    ),
    "middle-east": ("Middle East", "AE BH IL IQ IR JO KW LB OM PS QA SA SY YE"),
    "africa": (
        "Africa",
        "AO BF BI BJ BW CD CF CG CI CM CV DJ DZ EG EH ER ET GA GH GM GN GQ GW KE KM LR LS "
        "LY MA MG ML MR MU MW MZ NA NE NG RE RW SC SD SH SL SN SO SS ST SZ TD TG TN TZ UG "
        "YT ZA ZM ZW",
    ),
    "americas": (
        "Americas",
        "AG AI AR AW BB BL BM BO BQ BR BS BZ CA CL CO CR CU CW DM DO EC FK GD GF GL GP GT "
        "GY HN HT JM KN KY LC MF MQ MS MX NI PA PE PM PR PY SR SV SX TC TT US UY VC VE VG VI",
    ),
    "oceania": (
        "Oceania",
        "AS AU CK FJ FM GU KI MH MP NC NF NR NU NZ PF PG PN PW SB TK TO TV UM VU WF WS",
    ),
}


def region_members(slug: str) -> list[str]:
    return REGIONS[slug][1].split()


# Demo catalogue: countries with their own plans, the operators those plans
# use (name, MCC-MNC), and a price tier (1 cheapest .. 4 dearest).
DEMO_COUNTRIES: dict[str, tuple[int, list[tuple[str, str]]]] = {
    "FR": (1, [("Orange", "20801"), ("SFR", "20810"), ("Bouygues Telecom", "20820")]),
    "DE": (1, [("Telekom", "26201"), ("Vodafone", "26202"), ("O2", "26203")]),
    "GB": (1, [("EE", "23430"), ("Vodafone", "23415"), ("O2", "23410"), ("Three", "23420")]),
    "ES": (1, [("Movistar", "21407"), ("Vodafone", "21401"), ("Orange", "21403")]),
    "IT": (1, [("TIM", "22201"), ("Vodafone", "22210"), ("WindTre", "22288")]),
    "PT": (1, [("MEO", "26806"), ("Vodafone", "26801"), ("NOS", "26803")]),
    "NL": (1, [("KPN", "20408"), ("Vodafone", "20404"), ("Odido", "20416")]),
    "BE": (1, [("Proximus", "20601"), ("Orange", "20610"), ("BASE", "20620")]),
    "CH": (3, [("Swisscom", "22801"), ("Sunrise", "22802"), ("Salt", "22803")]),
    "AT": (1, [("A1", "23201"), ("Magenta", "23203"), ("Drei", "23205")]),
    "GR": (2, [("Cosmote", "20201"), ("Vodafone", "20205"), ("Nova", "20209")]),
    "IE": (1, [("Vodafone", "27201"), ("Three", "27205"), ("eir", "27203")]),
    "PL": (1, [("Plus", "26001"), ("T-Mobile", "26002"), ("Orange", "26003"), ("Play", "26006")]),
    "CZ": (1, [("T-Mobile", "23001"), ("O2", "23002"), ("Vodafone", "23003")]),
    "SE": (2, [("Telia", "24001"), ("Tele2", "24007"), ("Telenor", "24008")]),
    "NO": (2, [("Telenor", "24201"), ("Telia", "24202")]),
    "DK": (2, [("TDC", "23801"), ("Telenor", "23802"), ("Telia", "23820")]),
    "FI": (2, [("Elisa", "24405"), ("DNA", "24412"), ("Telia", "24491")]),
    "HR": (2, [("Hrvatski Telekom", "21901"), ("A1", "21910")]),
    "HU": (2, [("Yettel", "21601"), ("Magyar Telekom", "21630"), ("Vodafone", "21670")]),
    "RO": (1, [("Vodafone", "22601"), ("Telekom", "22603"), ("Orange", "22610")]),
    "IS": (3, [("Siminn", "27401"), ("Vodafone", "27402")]),
    "TR": (2, [("Turkcell", "28601"), ("Vodafone", "28602"), ("Turk Telekom", "28603")]),
    "US": (2, [("AT&T", "310410"), ("T-Mobile", "310260"), ("Verizon", "311480")]),
    "CA": (3, [("Rogers", "302720"), ("Bell", "302610"), ("Telus", "302220")]),
    "MX": (2, [("Telcel", "334020"), ("AT&T", "334050")]),
    "BR": (2, [("Claro", "72405"), ("Vivo", "72406"), ("TIM", "72404")]),
    "AR": (2, [("Movistar", "72207"), ("Claro", "722310"), ("Personal", "72234")]),
    "CL": (2, [("Entel", "73001"), ("Movistar", "73002")]),
    "CO": (2, [("Claro", "732101"), ("Movistar", "732123")]),
    "PE": (2, [("Movistar", "71606"), ("Claro", "71610")]),
    "JP": (2, [("NTT docomo", "44010"), ("SoftBank", "44020"), ("au by KDDI", "44050")]),
    "KR": (2, [("SK Telecom", "45005"), ("LG U+", "45006"), ("KT", "45008")]),
    "CN": (2, [("China Mobile", "46000"), ("China Unicom", "46001")]),
    "HK": (1, [("CSL", "45400"), ("3", "45403"), ("SmarTone", "45406")]),
    "TW": (2, [("FarEasTone", "46601"), ("Chunghwa Telecom", "46692"), ("Taiwan Mobile", "46697")]),
    "SG": (1, [("Singtel", "52501"), ("M1", "52503"), ("StarHub", "52505")]),
    "MY": (1, [("Maxis", "50212"), ("CelcomDigi", "50213"), ("U Mobile", "50218")]),
    "TH": (1, [("AIS", "52003"), ("TrueMove H", "52004"), ("dtac", "52005")]),
    "VN": (1, [("MobiFone", "45201"), ("Vinaphone", "45202"), ("Viettel", "45204")]),
    "ID": (1, [("Indosat", "51001"), ("Telkomsel", "51010"), ("XL Axiata", "51011")]),
    "PH": (2, [("Globe", "51502"), ("Smart", "51503")]),
    "IN": (1, [("Airtel", "40410"), ("Vi", "40420")]),
    "AU": (3, [("Telstra", "50501"), ("Optus", "50502"), ("Vodafone", "50503")]),
    "NZ": (3, [("One NZ", "53001"), ("Spark", "53005"), ("2degrees", "53024")]),
    "AE": (3, [("e&", "42402"), ("du", "42403")]),
    "SA": (3, [("stc", "42001"), ("Mobily", "42003"), ("Zain", "42004")]),
    "IL": (2, [("Partner", "42501"), ("Cellcom", "42502"), ("Pelephone", "42503")]),
    "EG": (2, [("Orange", "60201"), ("Vodafone", "60202"), ("Etisalat", "60203")]),
    "MA": (2, [("Orange", "60400"), ("Maroc Telecom", "60401"), ("inwi", "60402")]),
    "ZA": (2, [("Vodacom", "65501"), ("Cell C", "65507"), ("MTN", "65510")]),
    "KE": (2, [("Safaricom", "63902"), ("Airtel", "63903")]),
}

# Price of each demo plan shape, by tier, in USD.
# Demo countries whose plans roam onto 5G; the others, and regional and
# global plans, on 4G.
DEMO_5G = frozenset({"FR", "DE", "GB", "ES", "IT", "CH", "US", "JP", "KR", "AU", "SG", "AE"})

PLAN_SHAPES: list[tuple[int | None, int, int | None]] = [
    # (data MB or None for unlimited, validity days, fair use MB a day)
    (1024, 7, None),
    (3072, 15, None),
    (5120, 30, None),
    (10240, 30, None),
    (20480, 30, None),
    (None, 7, 2048),
]
TIER_PRICES: dict[int, list[str]] = {
    1: ["4.50", "9.00", "13.00", "20.00", "32.00", "19.00"],
    2: ["5.00", "11.00", "16.00", "26.00", "42.00", "24.00"],
    3: ["7.00", "15.00", "22.00", "36.00", "58.00", "32.00"],
    4: ["9.00", "19.00", "29.00", "46.00", "74.00", "39.00"],
}
