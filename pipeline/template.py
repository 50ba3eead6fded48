"""A blank input workbook for finance teams: every contract column, checks and one example."""

from __future__ import annotations

from pathlib import Path

import xlsxwriter

from pipeline import contract, labels

EXAMPLE = {
    "site_id": "EX-01", "site_name": "Example site (replace this row)",
    "operator": "Example Mining Co", "country": "US", "region": "TX", "latitude": 33.2148,
    "longitude": -97.1331, "nearest_metro": "Dallas-Fort Worth", "metro_distance_miles": 38,
    "metro_rtt_ms": 2.1, "power_capacity_mw": 24, "power_expansion_mw": 10,
    "power_cost_usd_per_kwh": 0.045, "power_redundancy": "N+1", "utility_feeds": 2,
    "backup_generation": "yes", "curtailment_hours_per_year": 0, "mining_load_mw": 6,
    "cooling_type": "immersion", "rack_density_kw": 40, "liquid_cooling_path": "planned",
    "fiber_on_site": "yes", "fiber_carriers": 2, "uplink_gbps": 100, "path_to_100g": "yes",
    "fiber_lead_time_months": None, "staffing_24x7": "yes", "dc_ops_staff": 8,
    "sla_track_record": "no", "energized_mw": 16, "interconnection_status": "approved",
    "time_to_power_months": 14, "permitting_status": "permitted", "community_opposition": "none",
    "water_source": "Municipal supply, closed-loop cooling", "water_stress": "medium_high",
    "notes": "Free text",
}
ROWS_CHECKED = 5000


def write_template(path: Path) -> None:
    """Write the template workbook: a Sites sheet to fill in and a Columns sheet that explains."""
    book = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False,
                                           "strings_to_formulas": False})
    required = book.add_format({"bold": True, "bg_color": labels.HEADER.fill,
                               "font_color": labels.HEADER.ink})
    optional = book.add_format({"bold": True, "bg_color": labels.OPTIONAL_HEADER.fill,
                               "font_color": labels.OPTIONAL_HEADER.ink})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    sites = book.add_worksheet("Sites")
    sites.freeze_panes(1, 2)
    for col, column in enumerate(contract.COLUMNS):
        sites.write_string(0, col, column.name, required if column.required else optional)
        sites.set_column(col, col, max(14, len(column.name) + 2))
        sites.write_comment(0, col, _note(column), {"x_scale": 2, "y_scale": 1.5})
        check = _validation(column)
        if check:
            sites.data_validation(1, col, ROWS_CHECKED, col, check)
        value = EXAMPLE.get(column.name)
        if isinstance(value, str):
            sites.write_string(1, col, value)
        elif value is not None:
            sites.write_number(1, col, value)

    notes = book.add_worksheet("Columns")
    notes.set_column(0, 0, 28)
    notes.set_column(1, 2, 12)
    notes.set_column(3, 3, 40)
    notes.set_column(4, 4, 60)
    notes.set_column(5, 5, 16)
    for col, heading in enumerate(("column", "required", "unit", "valid values", "meaning",
                                   "from coordinates")):
        notes.write_string(0, col, heading, required)
    for row, column in enumerate(contract.COLUMNS, start=1):
        notes.write_string(row, 0, column.name)
        notes.write_string(row, 1, "yes" if column.required else "no")
        notes.write_string(row, 2, column.unit_label)
        notes.write_string(row, 3, column.expected, wrap)
        notes.write_string(row, 4, column.meaning, wrap)
        notes.write_string(row, 5, "filled if blank" if column.from_coordinates else "")
    notes.write_string(len(contract.COLUMNS) + 2, 0,
                       "Dark headers are required. Blank cells are missing values, never zeros. "
                       "Numbers may carry a unit of the same kind (12,000 kW, 4.5 c/kWh, 160 km). "
                       "Columns marked 'filled if blank' are worked out from latitude and "
                       "longitude when left blank; a value you give always wins.")
    book.close()


def _note(column: contract.Column) -> str:
    kind = "Required" if column.required else "Optional"
    return f"{kind}. {column.label}. Expected: {column.expected}."


def _validation(column: contract.Column) -> dict | None:
    """An Excel input check matching the contract, with the contract's words as its message."""
    message = {"error_title": column.name, "error_message": f"Expected {column.expected}"[:255],
               "input_title": column.name[:32], "input_message": column.expected[:255]}
    if column.kind == contract.ENUM:
        return {"validate": "list", "source": list(column.choices), **message}
    if column.kind == contract.BOOL:
        return {"validate": "list", "source": ["yes", "no"], **message}
    if column.kind in (contract.NUMBER, contract.COUNT):
        low = column.minimum if column.minimum is not None else -1e15
        high = column.maximum if column.maximum is not None else 1e15
        kind = "integer" if column.kind == contract.COUNT else "decimal"
        if column.above_minimum:
            return {"validate": kind, "criteria": ">", "value": low, **message}
        return {"validate": kind, "criteria": "between", "minimum": low, "maximum": high,
                **message}
    if column.kind == contract.TEXT:
        return {"validate": "length", "criteria": "<=", "value": column.max_length, **message}
    return None
