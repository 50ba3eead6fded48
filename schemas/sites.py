"""Pandera schema for parsed site rows, built from the input contract.

Values reach this schema already parsed (units converted, yes/no folded, aliases
resolved) by ``pipeline.validate``; the schema checks what a parsed value must be:
present when required, inside its range, one of its choices, a whole number for
counts, and a unique ``site_id``. Each check's ``error`` is the text a user reads.
"""

from __future__ import annotations

import pandera.pandas as pa

from pipeline import contract

DTYPES = {contract.NUMBER: "float64", contract.COUNT: "float64", contract.BOOL: "boolean"}


def _checks(column: contract.Column) -> list[pa.Check]:
    expected = f"expected {column.expected}"
    checks = []
    if column.minimum is not None:
        bound = pa.Check.gt if column.above_minimum else pa.Check.ge
        checks.append(bound(column.minimum, error=expected))
    if column.maximum is not None:
        checks.append(pa.Check.le(column.maximum, error=expected))
    if column.kind == contract.COUNT:
        checks.append(pa.Check(lambda s: s == s.round(), error=expected))
    if column.kind == contract.ENUM:
        checks.append(pa.Check.isin(column.choices, error=expected))
    return checks


SITE_SCHEMA = pa.DataFrameSchema(
    {
        column.name: pa.Column(
            DTYPES.get(column.kind),
            _checks(column),
            nullable=not column.required,
            unique=column.name == "site_id",
        )
        for column in contract.COLUMNS
    },
    strict=False,
    coerce=False,
    name="sites",
)
