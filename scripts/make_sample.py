"""Write input/sites.xlsx, the fictional sample portfolio that `make report` evaluates, and
input/sites-2026Q3.xlsx, the same portfolio a quarter earlier, so the run reports changes.

Run it again after changing the rows below: `.venv/bin/python scripts/make_sample.py`.
"""

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

HEADERS = [
    ("site_id", "Site ID"), ("site_name", "Site name"), ("operator", "Operator"),
    ("country", "Country"), ("region", "State / province"), ("latitude", "Latitude"),
    ("longitude", "Longitude"), ("nearest_metro", "Nearest metro"),
    ("metro_distance_miles", "Metro distance (miles)"), ("metro_rtt_ms", "Metro RTT (ms)"),
    ("power_capacity_mw", "Power capacity (MW)"), ("power_expansion_mw", "Power expansion (MW)"),
    ("power_cost_usd_per_kwh", "Power cost ($/kWh)"), ("power_redundancy", "Power redundancy"),
    ("utility_feeds", "Utility feeds"), ("backup_generation", "Backup generation"),
    ("curtailment_hours_per_year", "Curtailment (hours/yr)"),
    ("mining_load_mw", "Mining load (MW)"), ("cooling_type", "Cooling type"),
    ("rack_density_kw", "Rack density (kW/rack)"), ("liquid_cooling_path", "Liquid cooling path"),
    ("fiber_on_site", "Fiber on site"), ("fiber_carriers", "Fiber carriers"),
    ("uplink_gbps", "Uplink (Gbps)"), ("path_to_100g", "Path to 100G"),
    ("fiber_lead_time_months", "Fiber lead time (months)"), ("staffing_24x7", "24x7 staffing"),
    ("dc_ops_staff", "DC ops staff"), ("sla_track_record", "SLA track record"),
    ("notes", "Notes"),
    ("energized_mw", "Energized now (MW)"), ("interconnection_status", "Interconnection"),
    ("time_to_power_months", "Time to power (months)"), ("permitting_status", "Permitting"),
    ("community_opposition", "Community opposition"), ("water_source", "Water source"),
    ("water_stress", "Water stress"),
]

# id, name, operator, country, region, lat, lon, metro, miles, rtt, MW, expansion MW, $/kWh,
# redundancy, feeds, backup, curtailment h, mining MW, cooling, kW/rack, liquid path,
# fiber, carriers, Gbps, 100G path, lead months, 24x7, ops staff, SLA, notes
SITES = [
    ("WTX-01", "Caprock Flats", "Ridgeline Digital", "US", "TX", 33.62, -100.84,
     "Dallas-Fort Worth", 230, None, 120, 80, 0.031, "N", 1, "no", 300, 100, "hydro", 45,
     "in_progress", "yes", 1, 10, "no", 8, "no", 6, "no", "Dickens County; ERCOT West"),
    ("WTX-02", "Pecos Mesa", "Ridgeline Digital", "US", "TX", 31.42, -103.49,
     None, None, None, 60, None, 0.039, "N", 1, "no", 450, 60, "air", 12,
     "planned", "yes", 1, 10, "no", None, "no", 3, "no", None),
    ("ND-01", "Prairie Wind", "Northern Plains Hash", "US", "ND", 46.81, -100.78,
     "Minneapolis-St. Paul", 390, None, 85, 40, 0.028, "N+1", 2, "no", 200, 85, "immersion",
     30, None, "yes", 2, 40, "yes", None, "yes", 9, "no", "Wind PPA through 2031"),
    ("QC-01", "Manicouagan Hydro", "Laurentide Compute", "CA", "Quebec", 49.22, -68.15,
     None, None, None, 45, 0, 0.035, "N+1", 2, "yes", 0, 0, "hydro", 50, "in_place",
     "yes", 2, 100, "yes", None, "yes", 12, "no", None),
    ("NO-01", "Fjordheim", "Nordkapp Data AS", "Norway", "Troms", 69.65, 18.96, "Oslo", 710,
     None, 30, 20, 0.040, "N+1", 2, "yes", 0, 0, "direct_to_chip", 60, None, "yes", 2, 100,
     "yes", None, "yes", 15, "yes", "Former aluminium smelter hall"),
    ("SE-01", "Lulea North", "Boreal Hash AB", "Sweden", "Norrbotten", 65.58, 22.15,
     "Stockholm", 440, None, 25, 10, 0.045, "N", 2, "yes", 0, 25, "air", 18, "planned", "yes",
     2, 40, "yes", None, "yes", 7, "no", None),
    ("PY-01", "Itaipu Norte", "Guarani Power Mining", "Paraguay", "Alto Parana", -25.41, -54.62,
     "Asuncion", 190, None, 100, 50, 0.038, "N", 1, "no", 0, 100, "air", 10, "none", "yes", 1, 10,
     "no", None, "no", 4, "no", "Hydro PPA with ANDE"),
    ("PY-02", "Villarrica Sur", "Guarani Power Mining", "PY", "Guaira", -25.78, -56.45,
     "Asuncion", 95, None, 15, None, 0.042, None, None, "no", 0, 15, "immersion", 35, "studied",
     "no", 0, None, None, 14, "no", 2, "no", None),
    ("ET-01", "Gibe Valley", "Abyssinia Compute", "Ethiopia", "Oromia", 7.90, 37.30,
     "Addis Ababa", 126, None, 40, None, 0.030, "N", 1, "no", 0, 40, "air", 8, "none", "no", 0,
     None, None, 30, "no", 1, "no", "Grid access via EEP substation"),
    ("ET-02", "Akaki Yard", "Abyssinia Compute", "ET", "Addis Ababa", 8.87, 38.79,
     "Addis Ababa", 12, None, 3, None, 0.025, "N", 1, "yes", 0, 3, "air", 10, "none", "yes", 1, 1,
     "no", None, "yes", 3, "no", None),
    ("KZ-01", "Ekibastuz Steppe", "Steppe Hash LLP", "Kazakhstan", "Pavlodar", 51.72, 75.32,
     "Astana", 171, None, 70, 30, 0.033, "N", 1, "yes", 0, 70, "air", 14, "planned", "yes", 1, 10,
     "no", None, "yes", 10, "no", "Coal-region grid"),
    ("KZ-02", "Karazhal Outpost", "Steppe Hash LLP", "KZ", "Karaganda", 48.00, 70.78, None,
     None, None, 4, None, 0.060, "N", 1, "no", 0, 4, "air", 8, "none", "yes", 1, 1, "no", None,
     "no", 1, "no", None),
    ("KZ-03", "Almaty Edge", "Steppe Hash LLP", "Kazakhstan", "Almaty", 43.35, 76.95, None,
     None, 3.5, 2, None, 0.050, "N+1", 2, "yes", 0, 0, "air", 18, "none", "yes", 2, 10, "yes", None,
     "yes", 5, "no", None),
    ("TX-04", "Denton Edge", "Lone Star Compute", "US", "TX", 33.21, -97.13, "Dallas-Fort Worth",
     38, 2.1, 12, 8, 0.072, "2N", 2, "yes", 0, 0, "air", 20, "planned", "yes", 3, 100, "yes",
     None, "yes", 14, "yes", "Former hosting facility"),
    ("GA-01", "Dalton Gateway", "Peachtree Hash", "US", "GA", 34.77, -84.97, "Atlanta", 85, None,
     6, 4, 0.085, "N+1", 2, "yes", 0, 0, "rear_door", 30, "planned", "yes", 2, 100, "yes", None,
     "yes", 8, "yes", None),
    ("NY-01", "Massena Link", "St. Lawrence Digital", "US", "NY", 44.93, -74.89, "Ottawa", 52,
     None, 20, 10, 0.040, "N+1", 2, "yes", 0, 20, "hydro", 25, None, "yes", 2, 100, "yes", None,
     "yes", 6, "no", "Hydro-cooled containers"),
    ("WA-01", "Wenatchee Ridge", "Cascade Compute", "US", "WA", 47.42, -120.31, "Seattle", 105,
     None, 35, 15, 0.028, "2N", 2, "yes", 0, 10, "hydro", 42, "in_place", "yes", 2, 100, "yes",
     None, "yes", 11, "yes", None),
    ("ON-01", "Niagara Escarpment", "Great Lakes Compute", "CA", "Ontario", 43.09, -79.54,
     None, None, 2.8, 25, 10, 0.048, "2N", 2, "yes", 0, 5, "direct_to_chip", 70, None, "yes",
     3, 400, "yes", None, "yes", 18, "yes", None),
    ("NO-02", "Drammen Fjord", "Nordkapp Data AS", "NO", "Viken", 59.74, 10.20, "Oslo", 23, None,
     8, None, 0.060, "N+1", 2, "yes", 0, 0, "air", 16, "planned", "yes", 2, 40, "yes", None, "yes",
     6, "yes", None),
    ("SE-02", "Uppsala Flex", "Boreal Hash AB", "SE", "Uppsala", 59.86, 17.64, "Stockholm", 40,
     None, 5, None, 0.070, "N+1", 2, "yes", 200, 0, "air", 12, "studied", "yes", 2, 40, "yes",
     None, "yes", 6, "no", "Demand-response contract with the TSO"),
    ("IL-01", "Kankakee Junction", "Prairie State Mining", "US", "IL", 41.12, -87.86, "Chicago",
     60, None, 18, 12, 0.055, None, 2, "yes", 0, 18, "air", 22, None, "yes", None, 100, None,
     None, "yes", 7, "yes", "Carrier count pending survey"),
    ("OH-01", "Zanesville Works", "Buckeye Digital", "US", "OH", 39.94, -82.01, "Columbus", 55,
     None, 9, None, 0.065, "N+1", 2, "no", 0, 9, "immersion", 28, "in_progress", "yes", 2, 100,
     "yes", None, "no", 8, "no", None),
    ("PA-01", "Susquehanna Yard", "Keystone Compute", "US", "PA", 40.80, -76.86, "Philadelphia",
     110, 4.2, 30, 20, 0.045, "2N", 2, "yes", 0, 10, "direct_to_chip", 80, None, "yes", 2, 100,
     "yes", None, "yes", 16, "yes", "Nuclear-adjacent campus"),
    ("AB-01", "Drumheller Gas", "Chinook Hash Corp", "Canada", "Alberta", 51.46, -112.71,
     "Calgary", 66, None, 50, 50, 0.034, "N", 1, "yes", 0, 50, "air", 15, "planned", "no", 0,
     None, None, 9, "yes", 7, "no", "Behind-the-meter gas generation"),
    ("MT-01", "Butte Hill", "Big Sky Mining", "US", "MT", 46.00, -112.53, None, None, None,
     22, None, 0.052, "N", 1, "no", 0, 22, "air", 12, "none", "yes", 1, 10, "no", None, "no", 2,
     "no", None),
    ("NM-01", "Farmington Flats", "Four Corners Hash", "US", "NM", 36.73, -108.22, "Albuquerque",
     180, None, 3, None, 0.090, "N", 1, "no", 0, 3, "immersion", 25, "studied", "yes", 1, 1, "no",
     None, "no", 1, "no", None),
    ("TX-03", "Rockdale Works", "Lone Star Compute", "US", "TX", 30.65, -97.00, "Austin", 60,
     None, 300, 200, 0.029, "N+1", 2, "no", 400, 250, "immersion", 40, "in_progress", "yes", 2,
     100, "yes", None, "yes", 30, "no", "Largest site; ERCOT demand response"),
    ("GA-02", "Sandersville Yard", "Peachtree Hash", "US", "GA", 32.98, -82.81, "Atlanta", 130,
     None, 14, None, 0.058, "N", 1, "no", 0, 14, "air", 16, "planned", "yes", 1, 10, "no", None,
     "no", 2, "no", None),
    ("FI-01", "Kajaani Forest", "Suomi Hash Oy", "Finland", "Kainuu", 64.22, 27.73, "Helsinki",
     300, None, 40, 20, 0.038, "N+1", 2, "yes", 0, 0, "direct_to_chip", 55, None, "yes", 2, None,
     None, None, "yes", 9, "no", "Uplink survey due next quarter"),
    ("ND-02", "Williston Spur", "Northern Plains Hash", "US", "ND", 48.15, -103.62,
     "Minneapolis-St. Paul", 600, None, 1.5, None, 0.020, "N", 1, "no", 0, 1.5, "air", 8, "none",
     "no", 0, None, None, 36, "no", 1, "no", "Flare-gas generation"),
    ("VA-01", "Leesburg Annex", "Old Dominion Compute", "US", "VA", 39.12, -77.56,
     "Washington DC", 35, 1.2, 4, 2, 0.095, "2N", 2, "yes", 0, 0, "rear_door", 35, "in_place",
     "yes", 4, 400, "yes", None, "yes", 12, "yes", None),
    ("PY-03", "Concepcion River", "Guarani Power Mining", "Paraguay", "Concepcion", None, None,
     None, None, None, 10, None, 0.036, "N", 1, "yes", 0, 10, "immersion", 30, "planned", "yes",
     1, 10, "yes", None, "yes", 5, "no", "Location survey outstanding"),
]


# Sites with time to power and deal risks, in both quarters: energized MW, interconnection,
# months to power, permitting, opposition, water source, water stress (the columns above, after
# notes). The sites above leave these blank.
OUTLOOK_SITES = [
    ("TX-06", "Haskell Flats", "Lone Star Compute", "US", "TX", 33.16, -99.73,
     "Dallas-Fort Worth", 180, None, 400, 100, 0.030, "N+1", 2, "yes", 0, 50, "direct_to_chip",
     80, "in_progress", "yes", 2, 100, "yes", None, "yes", 20, "no", "ERCOT; second substation",
     120, "approved", 20, "permitted", "none", "Groundwater, closed loop", "high"),
    ("OH-02", "Marysville Spur", "Buckeye Digital", "US", "OH", 40.24, -83.37, "Columbus", 30, None,
     100, None, 0.038, "N+1", 2, "yes", 0, 20, "direct_to_chip", 60, "in_place", "yes", 2, 100,
     "yes", None, "yes", 12, "yes", "New substation in study",
     3, "in_study", None, "by_right", "some", "Scioto River", "low_medium"),
    ("PA-02", "Lehigh Gap", "Keystone Compute", "US", "PA", 40.78, -75.60, "Philadelphia", 70,
     3.5, 40, None, 0.045, "2N", 2, "yes", 0, 0, "direct_to_chip", 60, "in_place", "yes", 3,
     100, "yes", None, "yes", 15, "yes", "Zoning appeal filed by neighbours",
     None, "energized", None, "contested", "organised", "Lehigh River", "medium_high"),
    ("VA-02", "Culpeper Crossing", "Old Dominion Compute", "US", "VA", 38.47, -77.99,
     "Washington DC", 60, 2.5, 30, None, 0.048, "2N", 2, "yes", 0, 0, "rear_door", 40,
     "in_place", "yes", 3, 400, "yes", None, "yes", 14, "yes", "County moratorium on new data "
     "centers", None, None, None, "moratorium", "some", "Municipal supply", "medium_high"),
    ("IR-01", "Karun Works", "Karun Hash Co", "Iran", "Khuzestan", 31.32, 48.67, "Tehran", 400,
     None, 60, None, 0.010, "N", 1, "no", 0, 60, "immersion", 40, "in_progress", "yes", 1, 10,
     "no", None, "yes", 6, "no", None,
     None, "energized", None, "by_right", "none", "Karun River", "extreme"),
    ("AE-01", "Jebel Ali Annex", "Gulf Compute FZE", "United Arab Emirates", "Dubai", 25.00,
     55.10, "Dubai", 20, 1.5, 20, None, 0.080, "2N", 2, "yes", 0, 0, "direct_to_chip", 60,
     "in_place", "yes", 3, 400, "yes", None, "yes", 12, "yes", None,
     None, "energized", None, "permitted", "none", "Desalinated seawater", "extreme"),
    ("ND-03", "Ellendale South", "Northern Plains Hash", "US", "ND", 46.00, -98.52,
     "Minneapolis-St. Paul", 250, None, 200, 100, 0.032, "N+1", 2, "no", 0, 0, "immersion", 50,
     "in_progress", "yes", 2, 100, "yes", None, "yes", 10, "no", "Interconnection request filed",
     None, "applied", None, "pending", "none", "Municipal supply", "low"),
    ("WY-01", "Cheyenne Ridge", "High Plains Hash", "US", "WY", 41.14, -104.82, "Denver", 100,
     None, 30, None, 0.045, "N+1", 2, "yes", 0, 10, "hydro", 45, "in_place", "yes", 2, 100, "yes",
     None, "yes", 8, "no", "Second transformer not yet ordered",
     10, "none", None, "by_right", "none", "Municipal supply", "low_medium"),
]
OUTLOOK_BLANK = (None,) * 7


# The quarter before: one site not yet acquired, one since sold, and inputs that improved.
NEW_THIS_QUARTER = {"PY-03"}
SOLD_SINCE = ("TX-05", "Pecos Valley Annex", "Ridgeline Digital", "US", "TX", 31.1, -103.2,
              None, None, None, 8, None, 0.041, "N", 1, "no", 0, 8, "air", 10, "none", "no", 0,
              None, None, 30, "no", 1, "no", "Sold in Q4")
EARLIER_VALUES = {
    "ON-01": {"fiber_carriers": 1},
    "KZ-03": {"staffing_24x7": "no"},
    "SE-01": {"liquid_cooling_path": "studied"},
    "TX-04": {"power_redundancy": "N", "utility_feeds": 1},
    "WTX-01": {"dc_ops_staff": 3},
}


def with_outlook(sites: list[tuple]) -> list[tuple]:
    """The sites above with the time-to-power and risk columns blank, then OUTLOOK_SITES."""
    return [site + OUTLOOK_BLANK for site in sites] + OUTLOOK_SITES


def write(target: Path, sites: list[tuple]) -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = "Sites"
    sheet.append([label for _, label in HEADERS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for site in sites:
        assert len(site) == len(HEADERS), site[0]
        sheet.append(list(site))
    sheet.freeze_panes = "C2"
    target.parent.mkdir(exist_ok=True)
    book.save(target)
    print(f"wrote {target} ({len(sites)} sites)")


def earlier_quarter() -> list[tuple]:
    names = [name for name, _ in HEADERS][:len(SITES[0])]
    sites = []
    for site in SITES:
        if site[0] in NEW_THIS_QUARTER:
            continue
        values = dict(zip(names, site))
        values.update(EARLIER_VALUES.get(site[0], {}))
        sites.append(tuple(values[n] for n in names))
    return sites + [SOLD_SINCE]


def main() -> None:
    folder = Path(__file__).resolve().parent.parent / "input"
    write(folder / "sites.xlsx", with_outlook(SITES))
    write(folder / "sites-2026Q3.xlsx", with_outlook(earlier_quarter()))


if __name__ == "__main__":
    main()
