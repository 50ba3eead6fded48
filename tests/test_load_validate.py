"""The input contract on real files: forgiving headers and values, clear rejections."""

from __future__ import annotations

import pytest

from conftest import HEADER, ROW, write_csv, write_xlsx
from pipeline.load import LoadError, load
from pipeline.validate import validate


def check(path):
    return validate(load(path))


def one_row(tmp_path, header, row, kind="xlsx"):
    writer = write_xlsx if kind == "xlsx" else write_csv
    return check(writer(tmp_path / f"in.{kind}", [header, row]))


@pytest.mark.parametrize("header", [
    "power_capacity_mw", "Power capacity (MW)", "POWER CAPACITY MW", "power-capacity [MW]",
    " Power  Capacity ", "Capacity (MW)"])
def test_headers_match_forgivingly(tmp_path, header):
    result = one_row(tmp_path, [header if h == "power_capacity_mw" else h for h in HEADER], ROW)
    assert result.problems == [] and result.sites["power_capacity_mw"].tolist() == [30.0]


@pytest.mark.parametrize("column, cell, expected", [
    ("power_capacity_mw", "12 MW", 12.0),
    ("power_capacity_mw", "12,000 kW", 12.0),
    ("power_capacity_mw", "1,200", 1200.0),
    ("power_capacity_mw", "0.5 GW", 500.0),
    ("power_cost_usd_per_kwh", "0.045 $/kWh", 0.045),
    ("power_cost_usd_per_kwh", "4.5 c/kWh", 0.045),
    ("power_cost_usd_per_kwh", "4.5¢/kWh", 0.045),
    ("power_cost_usd_per_kwh", "45 $/MWh", 0.045),
    ("power_cost_usd_per_kwh", "45 USD per MWh", 0.045),
    ("power_cost_usd_per_kwh", "$0.045", 0.045),
])
def test_values_with_units_are_converted(tmp_path, column, cell, expected):
    row = [cell if h == column else v for h, v in zip(HEADER, ROW)]
    result = one_row(tmp_path, HEADER, row, "csv")
    assert result.problems == []
    assert result.sites[column].tolist() == [pytest.approx(expected)]


@pytest.mark.parametrize("column, cell, expected", [
    ("metro_distance_miles", "160 km", 99.42),
    ("metro_rtt_ms", "0.004 s", 4.0),
    ("rack_density_kw", "45 kW/rack", 45.0),
    ("uplink_gbps", "100GE", 100.0),
    ("uplink_gbps", "400 Mbps", 0.4),
    ("fiber_lead_time_months", "2 years", 24.0),
    ("curtailment_hours_per_year", "300 h/yr", 300.0),
    # the site's own deal
    ("lease_rate_usd_per_kw_month", "128 USD/kW-month", 128.0),
    ("lease_rate_usd_per_kw_month", "128,000 $/MW-month", 128.0),
    ("lease_term_years", "180 months", 15.0),
    ("lease_escalator_pct", "3 %", 3.0),
    ("lease_escalator_pct", "2.5 % a year", 2.5),
    ("capex_musd_per_it_mw", "9.5 M USD/MW", 9.5),
    ("capex_musd_per_it_mw", "9,500 $/kW", 9.5),
    ("prepayment_musd", "1.2 B USD", 1200.0),
    ("contracted_it_mw", "245 MW", 245.0),
])
def test_optional_columns_convert_units(tmp_path, column, cell, expected):
    result = one_row(tmp_path, [*HEADER, column], [*ROW, cell], "csv")
    assert result.problems == []
    assert result.sites[column].tolist() == [pytest.approx(expected, rel=1e-3)]


def test_unit_in_the_header_applies_to_bare_numbers(tmp_path):
    header = [h if h != "power_capacity_mw" else "Power capacity (kW)" for h in HEADER]
    result = one_row(tmp_path, header, ROW)
    assert result.sites["power_capacity_mw"].tolist() == [0.03]


def test_header_unit_of_the_wrong_kind_stops_the_run(tmp_path):
    header = [h if h != "power_capacity_mw" else "Power capacity (ms)" for h in HEADER]
    with pytest.raises(LoadError, match=r"'ms', a time unit, but power_capacity_mw takes power"):
        one_row(tmp_path, header, ROW)


@pytest.mark.parametrize("column, cell, message", [
    ("power_capacity_mw", "12 ms", "'ms' is a time unit; expected a number in MW"),
    ("power_capacity_mw", "twelve", "not a number; expected a number in MW"),
    ("power_capacity_mw", "12 furlongs", "unknown unit 'furlongs'"),
    ("power_capacity_mw", "0", "expected a number in MW, > 0"),
    ("power_capacity_mw", "-3", "expected a number in MW, > 0"),
    ("power_cost_usd_per_kwh", "0,045", "ambiguous decimal comma"),
    ("cooling_type", "liquid", "expected one of air, hydro, immersion, rear_door, direct_to_chip"),
    ("fiber_on_site", "maybe", "expected yes or no"),
    ("staffing_24x7", "", "required, but the cell is blank"),
    ("site_name", None, "required, but the cell is blank"),
])
def test_bad_values_are_rejected_with_reasons(tmp_path, column, cell, message):
    row = [cell if h == column else v for h, v in zip(HEADER, ROW)]
    result = one_row(tmp_path, HEADER, row)
    assert len(result.sites) == 0 and result.rejected_rows == [2]
    (problem,) = result.problems
    assert (problem.row, problem.column, problem.sheet) == (2, column, "Sites")
    assert message in problem.problem


@pytest.mark.parametrize("column, cell, message", [
    ("latitude", "120", "expected a number in degrees, >= -90 and <= 90"),
    ("curtailment_hours_per_year", "9000", "<= 8760"),
    ("utility_feeds", "0", "expected a whole number, >= 1"),
    ("fiber_carriers", "1.5", "expected a whole number"),
    ("power_redundancy", "N+2", "expected one of N, N+1, 2N"),
    ("liquid_cooling_path", "maybe later", "expected one of none, studied"),
    ("metro_rtt_ms", "0", "> 0"),
    ("lease_escalator_pct", "30 %", "<= 20"),
    ("lease_rate_usd_per_kw_month", "128 $/kWh", "'$/kwh' is a price unit"),
    ("lease_structure", "net-net", "expected one of triple_net, modified_gross, gross"),
    ("first_rent", "soon", "not a month; expected a month or a date"),
    ("first_rent", "13/2028", "not a month"),
])
def test_optional_columns_are_checked_too(tmp_path, column, cell, message):
    result = one_row(tmp_path, [*HEADER, column], [*ROW, cell])
    (problem,) = result.problems
    assert problem.column == column and message in problem.problem
    assert problem.value == cell


@pytest.mark.parametrize("column, cell, expected", [
    ("fiber_on_site", "Y", True), ("fiber_on_site", "FALSE", False), ("fiber_on_site", 1, True),
    ("fiber_on_site", "n", False), ("cooling_type", "Direct-to-chip", "direct_to_chip"),
    ("cooling_type", "DLC", "direct_to_chip"), ("cooling_type", " Rear door ", "rear_door"),
    ("cooling_type", "AIR", "air"),
])
def test_words_people_use_are_understood(tmp_path, column, cell, expected):
    row = [cell if h == column else v for h, v in zip(HEADER, ROW)]
    result = one_row(tmp_path, HEADER, row)
    assert result.problems == [] and result.sites[column].tolist() == [expected]


@pytest.mark.parametrize("column, cell, expected", [
    ("lease_structure", "NNN", "triple_net"), ("lease_structure", "Triple net", "triple_net"),
    ("lease_structure", "Modified gross", "modified_gross"),
    ("lease_structure", "full service", "gross"),
    ("tenant_credit", "IG", "investment_grade"), ("tenant_credit", "Backstop", "backstopped"),
    ("tenant_credit", "not rated", "unrated"),
    ("first_rent", "2028-06", "2028-06"), ("first_rent", "06/2028", "2028-06"),
    ("first_rent", "2028-6-15", "2028-06"),
])
def test_deal_words_and_months_people_write(tmp_path, column, cell, expected):
    result = one_row(tmp_path, [*HEADER, column], [*ROW, cell], "csv")
    assert result.problems == [] and result.sites[column].tolist() == [expected]


def test_a_first_rent_given_as_a_date_cell(tmp_path):
    import datetime as dt
    result = one_row(tmp_path, [*HEADER, "first_rent"], [*ROW, dt.datetime(2029, 3, 1)])
    assert result.problems == [] and result.sites["first_rent"].tolist() == ["2029-03"]


@pytest.mark.parametrize("cell", ["n+1", "N + 1", "N+1"])
def test_redundancy_spellings(tmp_path, cell):
    result = one_row(tmp_path, [*HEADER, "power_redundancy"], [*ROW, cell])
    assert result.sites["power_redundancy"].tolist() == ["N+1"]


def test_blank_cells_are_missing_never_zero(tmp_path):
    result = one_row(tmp_path, [*HEADER, "rack_density_kw", "dc_ops_staff"], [*ROW, None, " "])
    assert result.problems == []
    assert result.sites[["rack_density_kw", "dc_ops_staff"]].isna().all(axis=None)


def test_duplicate_site_ids_reject_every_copy_naming_the_others(tmp_path):
    rows = [HEADER, ROW, ["B-1", *ROW[1:]], ROW, ROW]
    result = check(write_xlsx(tmp_path / "dup.xlsx", rows))
    assert result.rejected_rows == [2, 4, 5] and result.sites.index.tolist() == [3]
    messages = {p.row: p.problem for p in result.problems}
    assert "also in rows 4, 5" in messages[2] and "also in rows 2, 4" in messages[5]


def test_every_problem_of_a_row_is_reported_at_once(tmp_path):
    row = ["A-1", "Alpha", "12 ms", "cheap", "liquid", "maybe", "yes"]
    result = one_row(tmp_path, HEADER, row)
    assert [p.column for p in result.problems] == [
        "power_capacity_mw", "power_cost_usd_per_kwh", "cooling_type", "fiber_on_site"]


def test_nothing_is_lost(tmp_path):
    rows = [HEADER] + [[f"S{i}", *ROW[1:]] for i in range(10)]
    rows[3][2] = "lots"
    rows[7][4] = "fans and hope"
    result = check(write_xlsx(tmp_path / "n.xlsx", rows))
    assert len(result.sites) + len(result.rejected_rows) == result.data_rows == 10


def test_extra_columns_are_carried_through(tmp_path):
    result = one_row(tmp_path, [*HEADER, "Budget code"], [*ROW, "FIN-42"])
    assert result.sites["Budget code"].tolist() == ["FIN-42"]


def test_missing_required_column_stops_the_run(tmp_path):
    header = [h for h in HEADER if h != "staffing_24x7"]
    with pytest.raises(LoadError, match="required column staffing_24x7 missing"):
        one_row(tmp_path, header, ROW[:-1])


def test_header_below_title_rows_and_blank_rows_keep_spreadsheet_row_numbers(tmp_path):
    rows = [["Q3 portfolio"], [], HEADER, ROW, [], ["B-1", "Beta", "x", 0.04, "air", "yes", "no"]]
    result = check(write_xlsx(tmp_path / "t.xlsx", rows))
    assert result.table.header_row == 3 and result.data_rows == 2
    assert result.sites.index.tolist() == [4] and result.problems[0].row == 6


def test_sites_sheet_is_preferred(tmp_path):
    from openpyxl import Workbook
    book = Workbook()
    book.active.title = "Notes"
    book.active.append(["read me"])
    sheet = book.create_sheet("Sites")
    sheet.append(HEADER)
    sheet.append(ROW)
    book.save(tmp_path / "two.xlsx")
    result = check(tmp_path / "two.xlsx")
    assert result.table.sheet == "Sites" and len(result.sites) == 1


@pytest.mark.parametrize("options", [{"delimiter": ";"}, {"encoding": "utf-8-sig"},
                                     {"encoding": "latin-1"}])
def test_csv_dialects_and_encodings(tmp_path, options):
    row = ["A-1", "Zürich Nord", 30, 0.04, "air", "yes", "yes"]
    result = check(write_csv(tmp_path / "d.csv", [HEADER, row], **options))
    assert result.problems == [] and result.sites["site_name"].tolist() == ["Zürich Nord"]


@pytest.mark.parametrize("name, content, message", [
    ("x.txt", b"hello", "not a spreadsheet"),
    ("x.xlsx", b"PK\x03\x04 this is not a zip", "cannot be read as a spreadsheet"),
    ("x.csv", b"", "the sheet is empty"),
    ("x.csv", b"a,b,c\n1,2,3\n", "no header row found"),
])
def test_unreadable_files_stop_with_a_clear_message(tmp_path, name, content, message):
    (tmp_path / name).write_bytes(content)
    with pytest.raises(LoadError, match=message):
        load(tmp_path / name)


def test_each_kind_of_problem_has_a_stable_code(tmp_path):
    rows = [HEADER, ["A-1", "Alpha", "12 ms", 0.04, "air", "yes", "yes"],
            ["A-2", "Beta", "lots", 0.04, "air", "yes", "yes"],
            ["A-3", "Gamma", 30, "0,04", "air", "yes", "yes"],
            ["A-4", "Delta", -5, 0.04, "air", "yes", "yes"],
            ["A-5", "Eps", None, 0.04, "air", "yes", "yes"],
            ["A-6", "Zeta", 30, 0.04, "air", "yes", "yes"],
            ["A-6", "Eta", 30, 0.04, "air", "yes", "yes"]]
    result = check(write_xlsx(tmp_path / "in.xlsx", rows))
    assert [(p.site_id, p.column, p.code) for p in result.problems] == [
        ("A-1", "power_capacity_mw", "unit-error"),
        ("A-2", "power_capacity_mw", "type-error"),
        ("A-3", "power_cost_usd_per_kwh", "ambiguous-decimal"),
        ("A-4", "power_capacity_mw", "constraint-error"),
        ("A-5", "power_capacity_mw", "required-missing"),
        ("A-6", "site_id", "duplicate-id"),
        ("A-6", "site_id", "duplicate-id")]
