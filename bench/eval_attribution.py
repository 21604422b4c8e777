"""Evaluate attribution: the location parser on the labelled set, the shipped registry against ATOM and Epoch.

    python bench/eval_attribution.py [--shared ../shared/data] [--lineage-models 200000]

Prints (1) precision and coverage of `parse_location` on tests/data/locations_labelled.csv, with every miss and
every wrong answer; (2) agreement of the shipped registry with the ATOM Project's org -> region labels, listing
each disagreement; (3) agreement with Epoch AI's organisation countries (rows of the registry that name an
`epoch_org`), listing each disagreement; and optionally (4) the time lineage roots take on a synthetic SQLite
database of N models (chains of random depth), with the ratio per million models.
"""

from __future__ import annotations

import argparse
import csv
import time
from dataclasses import dataclass, field
from pathlib import Path

from tracker.attribution.locations import parse_location
from tracker.attribution.registry import shipped_registry_path

ROOT = Path(__file__).resolve().parents[1]
LABELLED = ROOT / "tests" / "data" / "locations_labelled.csv"
DEFAULT_SHARED = ROOT.parent / "shared" / "data"

# ATOM's buckets: us, china, eu (its Europe bucket includes GB and CH), other, unknown.
EUROPE = set(
    "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE GB CH NO IS LI".split()
)
EPOCH_NAMES = {
    "United States of America": "US",
    "China": "CN",
    "United Kingdom of Great Britain and Northern Ireland": "GB",
    "Korea (Republic of)": "KR",
    "Hong Kong": "HK",
    "Taiwan": "TW",
    "United Arab Emirates": "AE",
    "Canada": "CA",
    "France": "FR",
    "Germany": "DE",
    "Israel": "IL",
    "Japan": "JP",
    "Singapore": "SG",
    "Switzerland": "CH",
    "India": "IN",
    "Finland": "FI",
    "Saudi Arabia": "SA",
    "Russia": "RU",
    "Russian Federation": "RU",
    "Netherlands": "NL",
    "Spain": "ES",
    "Sweden": "SE",
    "Australia": "AU",
    "Italy": "IT",
    "Poland": "PL",
}


def region_of(country: str | None) -> str:
    """ATOM's region for an ISO code (Hong Kong and Macao fall in ATOM's china bucket)."""
    if not country:
        return "unknown"
    if country in ("CN", "HK", "MO"):
        return "china"
    if country == "US":
        return "us"
    return "eu" if country in EUROPE else "other"


@dataclass
class ParserResult:
    total: int
    labelled_known: int
    predicted: int
    correct: int
    wrong: list[tuple[str, str, str]]
    missed: list[tuple[str, str]]

    @property
    def precision(self) -> float:
        return self.correct / self.predicted if self.predicted else 0.0

    @property
    def coverage(self) -> float:
        return self.correct / self.labelled_known if self.labelled_known else 0.0


BLIND_MARKER = "# Added after the parser was written"


def load_labelled(path: Path = LABELLED, blind_only: bool = False) -> list[tuple[str, str]]:
    """(location, expected ISO code or '') rows; `blind_only`: only those written after the parser was."""
    lines = path.read_text(encoding="utf-8").splitlines()
    if blind_only:
        lines = lines[:1] + lines[next(i for i, line in enumerate(lines) if line.startswith(BLIND_MARKER)) :]
    rows = list(csv.reader(line for line in lines if not line.startswith("#")))[1:]
    return [(row[0], row[1].strip()) for row in rows if row]


def evaluate_parser(path: Path = LABELLED, blind_only: bool = False) -> ParserResult:
    """Precision = correct / answered (a country given for an unknown counts as wrong); coverage = correct / known."""
    rows = load_labelled(path, blind_only)
    wrong, missed, correct, predicted = [], [], 0, 0
    for location, expected in rows:
        match = parse_location(location)
        got = match.country if match else ""
        if got:
            predicted += 1
            if got == expected:
                correct += 1
            else:
                wrong.append((location, expected or "(unknown)", got))
        elif expected:
            missed.append((location, expected))
    known = sum(1 for _, expected in rows if expected)
    return ParserResult(len(rows), known, predicted, correct, wrong, missed)


@dataclass
class Agreement:
    compared: int = 0
    agreed: int = 0
    disagreements: list[tuple[str, str, str]] = field(default_factory=list)  # (org, theirs, ours)
    missing: list[str] = field(default_factory=list)

    @property
    def agreement(self) -> float:
        return self.agreed / self.compared if self.compared else 0.0


def _shipped_rows() -> list[dict[str, str]]:
    lines = [line for line in shipped_registry_path().read_text().splitlines() if not line.startswith("#")]
    return list(csv.DictReader(lines))


def atom_agreement(shared: Path = DEFAULT_SHARED) -> Agreement:
    """Each ATOM organisation's region against the region of our registry country for that HF namespace."""
    ours = {row["hf_org"].lower(): row["country"] for row in _shipped_rows() if row["hf_org"]}
    result = Agreement()
    path = shared / "interconnects-tracked-models" / "organization_regions.csv"
    for row in csv.DictReader(path.open()):
        hf_org, region = row["hf_org"], row["region"]
        if hf_org.lower() not in ours:
            result.missing.append(hf_org)
            continue
        country = ours[hf_org.lower()]
        result.compared += 1
        if region_of(None if country in ("", "-") else country) == region:
            result.agreed += 1
        else:
            result.disagreements.append((hf_org, region, country or "(infer)"))
    return result


def atom_model_coverage(shared: Path = DEFAULT_SHARED) -> tuple[int, int, list[str]]:
    """ATOM's tracked model ids (both lists) whose namespace the registry attributes: (covered, total, misses)."""
    ours = {
        row["hf_org"].lower() for row in _shipped_rows() if row["hf_org"] and row["country"] not in ("", "-")
    }
    covered, total, misses = 0, 0, []
    folder = shared / "interconnects-tracked-models"
    for name in ("models.csv", "extra_models.csv"):
        for row in csv.DictReader((folder / name).open()):
            total += 1
            namespace = row["modelId"].split("/")[0].lower()
            if namespace in ours:
                covered += 1
            elif namespace not in misses:
                misses.append(namespace)
    return covered, total, misses


def epoch_countries(shared: Path = DEFAULT_SHARED) -> dict[str, set[str]]:
    """Epoch organisation -> the ISO countries Epoch gives it (cells are comma-separated, paired in order)."""
    countries: dict[str, set[str]] = {}
    path = shared / "epoch-notable-ai-models" / "notable-ai-models.csv"
    for row in csv.DictReader(path.open(encoding="utf-8")):
        organisations = [name.strip() for name in row["Organization"].split(",") if name.strip()]
        names = [name.strip() for name in row["Country (of organization)"].split(",") if name.strip()]
        codes = [EPOCH_NAMES.get(name, name) for name in names]
        if len(organisations) == 1:
            countries.setdefault(organisations[0], set()).update(codes)
        elif len(organisations) == len(codes):
            for organisation, code in zip(organisations, codes, strict=True):
                countries.setdefault(organisation, set()).add(code)
    return countries


def epoch_agreement(shared: Path = DEFAULT_SHARED) -> Agreement:
    """Registry rows naming an `epoch_org`: agree when our country is among Epoch's for that organisation."""
    epoch = epoch_countries(shared)
    result = Agreement()
    for row in _shipped_rows():
        names = [name for name in (row.get("epoch_org") or "").split(";") if name]
        if not names:
            continue
        label = row["hf_org"] or row["github_org"]
        theirs = set().union(*(epoch.get(name, set()) for name in names))
        if not theirs:
            result.missing.append(f"{label} ({'; '.join(names)})")
            continue
        result.compared += 1
        country = row["country"]
        if country in theirs or (country == "-" and len(theirs) > 1):
            result.agreed += 1
        else:
            result.disagreements.append((label, "+".join(sorted(theirs)), country or "(infer)"))
    return result


def lineage_timing(models: int, url: str | None = None) -> None:
    """Roots on a synthetic database of `models` models: every fifth a base, the rest chains below one.

    `url` names an empty database to use (e.g. PostgreSQL); default a temporary SQLite file.
    """
    import tempfile

    from sqlalchemy import text

    from tracker.attribution.lineage import compute_roots
    from tracker.db import migrate
    from tracker.db.engine import Database

    with tempfile.TemporaryDirectory() as folder:
        database = Database(url or f"sqlite:///{folder}/lineage.db")
        migrate.upgrade(database)
        with database.engine.begin() as connection:
            connection.execute(
                text(
                    """WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :count)
                       INSERT INTO hf_models (id, hub_id, repo_id, author, author_key, created_at_unknown)
                       SELECT i, 'h' || i, 'org' || (i % 300) || '/m' || i, 'org' || (i % 300),
                              'org' || (i % 300), FALSE FROM n"""
                ),
                {"count": models},
            )
            connection.execute(
                text(
                    """INSERT INTO hf_model_parents (child_id, parent_repo_id, relation, position, source)
                       SELECT id, 'org' || ((id - 1) % 300) || '/m' || (id - 1), 'finetune', 0, 'tag'
                       FROM hf_models WHERE id % 5 <> 0"""
                )
            )
        started = time.perf_counter()
        summary = compute_roots(database)
        first = time.perf_counter() - started
        started = time.perf_counter()
        compute_roots(database)
        again = time.perf_counter() - started
        database.dispose()
    print(f"\nlineage roots, {models:,} models ({summary.models:,} with a parent), {database.backend}")
    print(f"  first run {first:.1f} s ({summary.passes} passes), re-run {again:.1f} s")
    print(
        f"  {first / models * 1e6:.1f} s per million models (first run); re-run/first ratio {again / first:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED, help="the shared data folder")
    parser.add_argument("--lineage-models", type=int, default=0, help="also time lineage roots on N models")
    parser.add_argument(
        "--lineage-url", help="an empty database for the lineage timing (default: SQLite file)"
    )
    options = parser.parse_args()

    started = time.perf_counter()
    parsed = evaluate_parser()
    elapsed = time.perf_counter() - started
    print(f"location parser on {parsed.total} labelled strings ({parsed.labelled_known} with a country)")
    print(f"  precision {parsed.precision:.3f} ({parsed.correct}/{parsed.predicted} answers right)")
    print(
        f"  coverage  {parsed.coverage:.3f} ({parsed.correct}/{parsed.labelled_known} known locations found)"
    )
    print(f"  time {elapsed:.2f} s including loading the tables")
    for location, expected, got in parsed.wrong:
        print(f"  WRONG {location!r}: expected {expected}, got {got}")
    for location, expected in parsed.missed:
        print(f"  missed {location!r} ({expected})")
    blind = evaluate_parser(blind_only=True)
    print(
        f"  of which written after the parser (never tuned on): {blind.total} strings, precision "
        f"{blind.precision:.3f} ({blind.correct}/{blind.predicted}), coverage {blind.coverage:.3f}"
    )

    for title, result in (
        ("ATOM regions", atom_agreement(options.shared)),
        ("Epoch countries", epoch_agreement(options.shared)),
    ):
        print(
            f"\nshipped registry vs {title}: {result.agreed}/{result.compared} agree ({result.agreement:.1%})"
        )
        for org, theirs, ours in result.disagreements:
            print(f"  DISAGREE {org}: {title.split()[0]} {theirs}, registry {ours}")
        for org in result.missing:
            print(f"  not compared: {org}")

    covered, total, misses = atom_model_coverage(options.shared)
    print(f"\nATOM's tracked model ids with a registry country for their namespace: {covered}/{total}")
    if misses:
        print(f"  namespaces without one: {', '.join(misses)}")

    if options.lineage_models:
        lineage_timing(options.lineage_models, options.lineage_url)


if __name__ == "__main__":
    main()
