"""Design PUE by cooling climate: the site's Koeppen-Geiger zone, its band in the rules
(``[climate].band_by_zone``) and that band's PUE adjustment for the cooling design."""

from __future__ import annotations

from typing import Any

from pipeline.contract import show_number
from pipeline.rules import Rules


def band(values: dict[str, Any], rules: Rules) -> str | None:
    """The cooling band of the site's climate zone, or None when the zone is not known."""
    zone = values.get("climate_zone")
    return rules["climate"]["band_by_zone"].get(zone) if zone else None


def design_pue(values: dict[str, Any], design: str, rules: Rules) -> tuple[float, str]:
    """The design PUE of a ``design`` (liquid or air) hall at the site, and why, in words."""
    flat = rules["economics"][f"pue_{design}"]
    c = rules["climate"]
    if not c["adjust_pue"]:
        return flat, f"flat {design} design PUE (climate.adjust_pue is off)"
    zone, cooling = values.get("climate_zone"), band(values, rules)
    if cooling is None:
        why = "climate zone not known" if not zone else f"climate zone {zone} has no band"
        return flat, f"flat {design} design PUE ({why})"
    step = c[f"pue_adjustment_{design}"][cooling]
    pue = round(flat + step, 4)
    sign = "+" if step >= 0 else "-"
    return pue, (f"{design} design PUE {show_number(flat)} {sign} {show_number(abs(step))} for a "
                 f"{cooling.replace('_', '-')} climate (Köppen-Geiger {zone})")
