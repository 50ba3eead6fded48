"""The one source of column labels and colours."""

from pipeline import contract, labels, tabulate
from pipeline.classify import BUCKETS


def test_every_input_column_is_labelled_with_its_contract_unit():
    for column in contract.COLUMNS:
        text = labels.label(column.name)
        assert "_" not in text
        if column.unit_label and column.unit_label != "degrees":
            assert text.endswith(f"({column.unit_label})"), text


def test_scorecard_labels_are_unique_and_readable():
    names = [*tabulate.RESULT_COLUMNS, *tabulate.INPUT_COLUMNS]
    shown = [labels.label(name) for name in names]
    assert len(set(shown)) == len(shown)
    assert not [text for text in shown if "_" in text]


def test_derived_money_columns_carry_their_unit():
    assert labels.label("econ_mining_margin_forgone_musd_per_year") == \
        "Mining margin forgone (M USD/yr)"
    assert labels.label("some_new_cost_musd") == "Some new cost (M USD)"
    assert labels.unit("econ_capex_musd") == "M USD"


def test_palette_covers_every_status_verdict_readiness_and_bucket():
    for value in (*labels.STATUSES, "fit", "unfit", "ready", "not yet", *BUCKETS):
        assert value in labels.PALETTE
    css = labels.palette_css()
    assert ".s-pass" in css and ".b-Hybrid" in css
