"""`sitefit template` and `sitefit rules`: files a finance team edits and hands back."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from openpyxl import load_workbook

from conftest import invoke
from pipeline import contract
from pipeline.rules import RulesError, default_rules, parse_defaults


def test_template_has_every_column_checks_and_reads_back_cleanly(tmp_path):
    path = tmp_path / "template.xlsx"
    result = invoke("template", path)
    assert result.exit_code == 0
    book = load_workbook(path)
    sites = book["Sites"]
    assert [c.value for c in sites[1]] == [c.name for c in contract.COLUMNS]
    assert sites.max_row == 2  # one example row
    checks = {str(v.sqref).split(":")[0]: v for v in sites.data_validations.dataValidation}
    letter = {c.name: sites.cell(row=1, column=i + 1).column_letter
              for i, c in enumerate(contract.COLUMNS)}
    assert checks[f"{letter['cooling_type']}2"].type == "list"
    assert "direct_to_chip" in checks[f"{letter['cooling_type']}2"].formula1
    assert checks[f"{letter['fiber_on_site']}2"].formula1 == '"yes,no"'
    assert checks[f"{letter['latitude']}2"].type == "decimal"
    assert checks[f"{letter['utility_feeds']}2"].type == "whole"
    notes = {row[0]: row for row in book["Columns"].iter_rows(min_row=2, values_only=True)
             if row[0] in contract.BY_NAME}
    assert notes["power_capacity_mw"][1:3] == ("yes", "MW")
    assert invoke("validate", path).exit_code == 0
    evaluated = invoke("evaluate", path, "--out", tmp_path / "out", "--no-pdf")
    assert evaluated.exit_code == 0 and "1 site evaluated" in evaluated.stderr


def test_template_refuses_a_non_xlsx_name(tmp_path):
    result = invoke("template", tmp_path / "t.csv")
    assert result.exit_code == 2 and "name it like template.xlsx" in result.stderr


def test_rules_text_is_grouped_by_gate_with_units_and_sources():
    out = invoke("rules").stdout
    for heading in ("Location", "Power", "Cooling", "Networking", "Operations", "Scores"):
        assert f"\n{heading}\n" in out
    assert "training.pass_min_capacity_mw" in out and "20 MW" in out
    assert "CBRE H1 2023" in out and "arXiv 1811.10737" in out
    assert default_rules().sha256 in out


def test_rules_toml_round_trips(tmp_path):
    path = tmp_path / "rules.toml"
    path.write_text(invoke("rules", "--format", "toml").stdout)
    assert tomllib.loads(path.read_text()) == default_rules().values
    shown = invoke("rules", "--rules", path).stdout
    assert default_rules().sha256 in shown
    edited = path.read_text().replace("pass_min_capacity_mw = 20.0", "pass_min_capacity_mw = 30.0")
    path.write_text(edited)
    changed = invoke("rules", "--rules", path, "--format", "toml").stdout
    assert "pass_min_capacity_mw = 30.0" in changed


ROOT = Path(__file__).parent.parent
SHIPPED = (ROOT / "pipeline" / "rules.toml").read_text()
SAMPLE = ROOT / "input" / "sites.xlsx"


def test_every_default_value_has_an_about_table():
    values, about = parse_defaults(SHIPPED)
    assert set(about) == set(default_rules().flat())
    assert about["power.training.pass_min_capacity_mw"].unit == "MW"


def test_a_default_without_an_about_table_is_refused():
    start = SHIPPED.index('[about."scores.fail"]')
    end = SHIPPED.index("[about.", start + 1)
    with pytest.raises(RulesError, match="scores.fail"):
        parse_defaults(SHIPPED[:start] + SHIPPED[end:])


def test_an_about_table_for_no_value_is_refused():
    extra = SHIPPED + '\n[about."scores.bonus"]\nunit = "points"\nsource = "x"\nas_of = "2024"\nmeans = "y"\n'
    with pytest.raises(RulesError, match="scores.bonus"):
        parse_defaults(extra)


def test_a_copy_of_the_shipped_file_is_accepted_but_its_about_tables_cannot_change(tmp_path):
    path = tmp_path / "rules.toml"
    path.write_text(SHIPPED.replace("pass_min_capacity_mw = 20.0", "pass_min_capacity_mw = 30.0"))
    shown = invoke("rules", "--rules", path)
    assert shown.exit_code == 0
    assert "set by " + str(path) + "; the default is 20" in shown.stdout
    path.write_text(SHIPPED.replace('unit = "MW"', 'unit = "GW"', 1))
    refused = invoke("rules", "--rules", path)
    assert refused.exit_code == 2
    assert 'about."power.training.pass_min_capacity_mw"' in refused.stderr


def test_about_cannot_be_set_from_the_command_line(tmp_path):
    result = invoke("evaluate", SAMPLE, "--out", tmp_path / "o", "--no-pdf",
                    "--set", "about.scores.pass.unit=GW")
    assert result.exit_code == 2 and "about tables describe the defaults" in result.stderr


def test_rules_text_shows_what_each_value_means_and_when_its_source_was_current():
    out = invoke("rules").stdout
    assert "training power passes on capacity at this many MW or more" in out
    assert "CBRE H1 2023: AI tenants seek 5-25 MW (as of 2023-06)" in out


@pytest.mark.parametrize("text, message", [
    ("[power.training]\npass_max_price_usd_per_kwh = nan\n",
     "power.training.pass_max_price_usd_per_kwh = nan: must be a finite number"),
    ("[power.training]\npass_min_capacity_mw = inf\n",
     "power.training.pass_min_capacity_mw = inf: must be a finite number"),
    ("[economics]\ncapex_musd_per_it_mw_liquid = [8.0, nan, 11.0]\n",
     "economics.capex_musd_per_it_mw_liquid = [8.0, nan, 11.0]: must be finite numbers"),
    ('[power.inference]\nredundant_levels = ["N+7"]\n',
     "power.inference.redundant_levels: 'N+7' is not a power_redundancy value (N, N+1, 2N)"),
    ('[cooling]\nadvanced_paths = ["warp_drive"]\n',
     "cooling.advanced_paths: 'warp_drive' is not a liquid_cooling_path value"),
    ('[cooling]\nadvanced_cooling_types = ["plasma"]\n',
     "cooling.advanced_cooling_types: 'plasma' is not a cooling_type value"),
    ('[cooling]\ndefault_path_by_cooling_type = { vapour = "in_place" }\n',
     "cooling.default_path_by_cooling_type: 'vapour' is not a cooling_type value"),
    ('[cooling]\ndefault_path_by_cooling_type = { hydro = "someday" }\n',
     "cooling.default_path_by_cooling_type: 'someday' is not a liquid_cooling_path value"),
    ('[power.inference]\nredundant_levels = ["N+1", 2]\n',
     "power.inference.redundant_levels = ['N+1', 2]: expected a list of text"),
    ('[economics]\nlease_usd_per_kw_month = [120, "x", 185]\n',
     "economics.lease_usd_per_kw_month = [120, 'x', 185]: expected a list of numbers"),
    ("[scores]\npass = " + "[" * 3000 + "]" * 3000 + "\n", "nested too deeply"),
])
def test_a_bad_value_in_a_rules_file_is_named_and_exits_2(tmp_path, text, message):
    path = tmp_path / "r.toml"
    path.write_text(text)
    result = invoke("rules", "--rules", path)
    assert result.exit_code == 2
    assert f"rules file {path}: {message}" in result.stderr


@pytest.mark.parametrize("setting, message", [
    ("power.training.pass_max_price_usd_per_kwh=nan", "must be a finite number"),
    ("location.inference.pass_max_rtt_ms=-inf", "must be a finite number"),
    ('power.inference.redundant_levels=["N+7"]', "'N+7' is not a power_redundancy value"),
    ("cooling.advanced_paths=[1]", "expected a list of text"),
    ("scores.pass=" + "[" * 3000, "nested too deeply"),
])
def test_a_bad_setting_is_named_and_exits_2(tmp_path, setting, message):
    result = invoke("evaluate", SAMPLE, "--out", tmp_path / "o", "--no-pdf", "--set", setting)
    assert result.exit_code == 2 and message in result.stderr
    assert setting.split("=")[0] in result.stderr
    assert not (tmp_path / "o").exists()


def test_docs_rules_md_is_what_the_code_and_the_rules_file_generate():
    from cogapp import Cog

    status = Cog().main(["cog", "--check", "--diff", str(ROOT / "docs" / "rules.md")])
    assert status == 0, "docs/rules.md is stale: run cog -r docs/rules.md"
