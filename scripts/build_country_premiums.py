"""Regenerate pipeline/data/country_premiums.csv: each country's risk premium and sovereign
default spread, from Aswath Damodaran's country risk dataset.

Source: A. Damodaran, "Country Default Spreads and Risk Premiums", the workbook
``ctryprem.xlsx`` from his data page (pages.stern.nyu.edu/~adamodar, Data > Current Data >
Risk Premiums for Other Markets), updated each January and July and free to use with
attribution. Its "ERPs by country" sheet gives, for every country with a Moody's local
currency rating, the rating's default spread and the country risk premium (the spread
scaled by the ratio of emerging-market equity to bond volatility), and for unrated frontier
markets the same two figures from the country's PRS composite risk score.

Usage (the workbook downloaded by hand; nothing is fetched at sitefit's run time):

    .venv/bin/python scripts/build_country_premiums.py ctryprem.xlsx

Countries are matched to ISO codes through pipeline/data/countries.csv, by name or by the
few spellings of Damodaran's that differ (``SPELLINGS``); a row with no match is printed
and kept under its own name.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from pathlib import Path

import openpyxl

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "pipeline" / "data" / "country_premiums.csv"
SHEET = "ERPs by country"
FIELDS = ("country", "iso2", "iso3", "rating", "default_spread_pct",
          "country_risk_premium_pct", "source", "as_of")
# Damodaran's spellings that countries.csv (the 1:110m outlines' list) writes another way or
# lacks; the emirates of Abu Dhabi, Ras Al Khaimah and Sharjah stay under their names.
SPELLINGS = {
    "korea": ("KR", "KOR"), "koreadpr": ("KP", "PRK"), "yemenrepublic": ("YE", "YEM"),
    "andorraprincipalityof": ("AD", "AND"), "aruba": ("AW", "ABW"), "bahrain": ("BH", "BHR"),
    "barbados": ("BB", "BRB"), "bermuda": ("BM", "BMU"), "capeverde": ("CV", "CPV"),
    "congodemocraticrepublicof": ("CD", "COD"), "congorepublicof": ("CG", "COG"),
    "czechrepublic": ("CZ", "CZE"), "swaziland": ("SZ", "SWZ"),
    "caymanislands": ("KY", "CYM"), "cookislands": ("CK", "COK"), "curacao": ("CW", "CUW"),
    "guernseystatesof": ("GG", "GGY"), "hongkong": ("HK", "HKG"), "isleofman": ("IM", "IMN"),
    "jerseystatesof": ("JE", "JEY"), "liechtenstein": ("LI", "LIE"), "macao": ("MO", "MAC"),
    "maldives": ("MV", "MDV"), "malta": ("MT", "MLT"), "mauritius": ("MU", "MUS"),
    "montserrat": ("MS", "MSR"), "singapore": ("SG", "SGP"), "stmaarten": ("SX", "SXM"),
    "stvincentthegrenadines": ("VC", "VCT"), "turksandcaicosislands": ("TC", "TCA")}


def fold(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "", str(text).lower())


def iso_codes() -> dict[str, tuple[str, str]]:
    """(iso2, iso3) by folded country name and by iso2."""
    with open(ROOT / "pipeline" / "data" / "countries.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    codes = {fold(r[k]): (r["iso2"], r["iso3"]) for r in rows for k in ("name", "outline_name")
             if r[k]}
    codes.update(SPELLINGS)
    return codes


def pct(x: float) -> str:
    return f"{x * 100:.2f}"


def premiums(path: Path) -> tuple[str, list[dict[str, str]]]:
    """The update's month (YYYY-MM) and one row per country of the workbook."""
    sheet = openpyxl.load_workbook(path, read_only=True, data_only=True)[SHEET]
    rows = [r for r in sheet.iter_rows(values_only=True)]
    dated = next(r[1] for r in rows if r[0] and str(r[0]).startswith("Date of update"))
    as_of = dated.strftime("%Y-%m")
    source = f"Damodaran, Country Default Spreads and Risk Premiums, {dated:%B %Y}"
    codes = iso_codes()
    out, frontier = [], False
    for row in rows:
        name = row[0]
        if not isinstance(name, str) or not name.strip():
            continue
        if name.startswith("Frontier Markets"):
            frontier = True
            continue
        if frontier:
            score, crp, spread = row[1], row[3], row[4]
            rating = f"PRS {score}" if isinstance(score, (int, float)) else None
        else:
            rating, spread, crp = row[2], row[3], row[5]
        if not isinstance(crp, (int, float)) or not isinstance(spread, (int, float)) \
                or not rating:
            continue
        iso2, iso3 = codes.get(fold(name), ("", ""))
        if not iso2:
            print(f"no ISO code for {name!r}: kept under its name", file=sys.stderr)
        out.append({"country": name.strip(), "iso2": iso2, "iso3": iso3,
                    "rating": str(rating).strip(), "default_spread_pct": pct(spread),
                    "country_risk_premium_pct": pct(crp), "source": source, "as_of": as_of})
    return as_of, sorted(out, key=lambda r: r["country"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("workbook", type=Path, help="Damodaran's ctryprem.xlsx")
    args = parser.parse_args()
    as_of, rows = premiums(args.workbook)
    with open(OUT, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"{len(rows)} countries as of {as_of} written to {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
