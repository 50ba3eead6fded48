"""Synthetic, contract-valid portfolios for the benchmark, reproducible from a seed."""

from __future__ import annotations

import random
from pathlib import Path

from openpyxl import Workbook

from pipeline import contract

COUNTRIES = [("US", "TX"), ("US", "ND"), ("US", "GA"), ("CA", "Quebec"), ("NO", "Troms"),
             ("SE", "Norrbotten"), ("PY", "Alto Parana"), ("ET", "Oromia"), ("KZ", "Pavlodar"),
             ("FI", "Kainuu")]
METROS = ["Dallas-Fort Worth", "Atlanta", "Montreal", "Oslo", "Stockholm", "Asuncion",
          "Addis Ababa", "Almaty", "Helsinki", "Chicago"]


def site(rng: random.Random, number: int, blanks: float) -> dict:
    """One plausible site; each optional value is blank with probability ``blanks``."""
    country, region = rng.choice(COUNTRIES)
    capacity = round(rng.lognormvariate(2.8, 1.0), 1) + 0.5
    values = {
        "site_id": f"SYN-{number:06d}", "site_name": f"Synthetic site {number}",
        "operator": f"Operator {number % 97}", "country": country, "region": region,
        "latitude": round(rng.uniform(-30, 70), 4), "longitude": round(rng.uniform(-120, 80), 4),
        "nearest_metro": rng.choice(METROS),
        "metro_distance_miles": round(rng.uniform(5, 600)),
        "metro_rtt_ms": round(rng.uniform(0.8, 20), 1),
        "power_capacity_mw": capacity,
        "power_expansion_mw": round(capacity * rng.uniform(0, 1.5), 1),
        "power_cost_usd_per_kwh": round(rng.uniform(0.02, 0.12), 3),
        "power_redundancy": rng.choice(["N", "N+1", "2N"]),
        "utility_feeds": rng.randint(1, 3),
        "backup_generation": rng.choice(["yes", "no"]),
        "curtailment_hours_per_year": rng.choice([0, 0, 0, 100, 300, 600]),
        "mining_load_mw": round(capacity * rng.choice([0, 0.5, 1.0]), 1),
        "cooling_type": rng.choice(contract.BY_NAME["cooling_type"].choices),
        "rack_density_kw": round(rng.uniform(6, 90)),
        "liquid_cooling_path": rng.choice(contract.BY_NAME["liquid_cooling_path"].choices),
        "fiber_on_site": rng.choice(["yes", "yes", "no"]),
        "fiber_carriers": rng.randint(0, 4), "uplink_gbps": rng.choice([1, 10, 40, 100, 400]),
        "path_to_100g": rng.choice(["yes", "no"]),
        "fiber_lead_time_months": rng.randint(3, 36),
        "staffing_24x7": rng.choice(["yes", "no"]), "dc_ops_staff": rng.randint(0, 20),
        "sla_track_record": rng.choice(["yes", "no"]),
        "notes": rng.choice(["", "PPA renewal due", "Former hosting site", "Behind the meter"]),
        "grid_operator": None, "climate_zone": None,  # left for the coordinates to fill
    }
    values.update(_outlook(random.Random(number), capacity))
    values.update(_deal(random.Random(-1 - number)))
    values.update(_mining(random.Random(-1_000_000 - number)))
    for column in contract.COLUMNS:
        if not column.required and column.name in values and rng.random() < blanks:
            values[column.name] = None
    return values


def _outlook(rng: random.Random, capacity: float) -> dict:
    """Time to power and deal risks, from a generator of the site's own, so the columns
    drawn above keep the values they had before these columns existed."""
    pending = rng.random() < 0.3
    return {
        "energized_mw": round(capacity * rng.uniform(0.3, 0.9), 1) if pending else capacity,
        "interconnection_status": rng.choice(["approved", "in_study", "applied"])
        if pending else "energized",
        "time_to_power_months": rng.randint(6, 48) if pending else None,
        "permitting_status": rng.choice(contract.BY_NAME["permitting_status"].choices),
        "community_opposition": rng.choice(["none", "none", "some", "organised"]),
        "water_source": rng.choice(["municipal", "groundwater", "river", "none (dry cooling)"]),
        "water_stress": rng.choice(contract.BY_NAME["water_stress"].choices),
    }


def _deal(rng: random.Random) -> dict:
    """A signed deal for about one site in five, from a generator of the site's own; blank
    terms (the rules' default deal) for the rest."""
    columns = contract.DEAL_COLUMNS
    if rng.random() >= 0.2:
        return dict.fromkeys(columns)
    return {
        "lease_rate_usd_per_kw_month": round(rng.uniform(100, 160)),
        "lease_term_years": rng.choice([10, 12, 15]),
        "lease_escalator_pct": rng.choice([2.5, 3.0]),
        "lease_structure": rng.choice(contract.BY_NAME["lease_structure"].choices),
        "contracted_it_mw": None,
        "tenant_credit": rng.choice(contract.BY_NAME["tenant_credit"].choices),
        "capex_musd_per_it_mw": rng.choice([None, round(rng.uniform(8, 12), 1)]),
        "first_rent": rng.choice([None, "2028-06", "2029-01"]),
        "prepayment_musd": rng.choice([None, None, 25]),
    }


def _mining(rng: random.Random) -> dict:
    """The site's own fleet and demand-response revenue for about one site in four."""
    if rng.random() >= 0.25:
        return dict.fromkeys(contract.MINING_COLUMNS)
    return {"fleet_efficiency_j_per_th": round(rng.uniform(15, 30), 1),
            "demand_response_musd_per_year": rng.choice([None, round(rng.uniform(0, 5), 2)])}


def write_portfolio(path: Path, sites: int, seed: int = 7, blanks: float = 0.1) -> Path:
    """Write ``sites`` synthetic sites to ``path`` (.xlsx or .csv)."""
    rng = random.Random(seed)
    names = [c.name for c in contract.COLUMNS]
    rows = [[values[n] for n in names] for values in (site(rng, i, blanks) for i in range(sites))]
    if path.suffix == ".csv":
        import csv
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(names)
            writer.writerows(rows)
        return path
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Sites")
    sheet.append(names)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path
