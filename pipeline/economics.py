"""Indicative conversion economics for sites that suit AI: capacity, capex, revenue, payback.

Every figure comes from the site's inputs and the assumptions under ``[economics]`` in the
rules file (each with its unit and source there), and ``basis`` spells out the arithmetic,
so a finance team can trace and change any of it. Indicative: no substitute for a quote.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.classify import SiteResult, bucket_workloads
from pipeline.classify.gates import advanced_path, stated_path
from pipeline.contract import show_number
from pipeline.rules import Rules

LOW, BASE, HIGH = 0, 1, 2
HOURS_PER_YEAR = 8760
COLUMNS = ("econ_workload", "econ_it_mw", "econ_binding_constraint", "econ_capex_musd",
           "econ_lease_musd_per_year", "econ_mining_margin_forgone_musd_per_year",
           "econ_net_musd_per_year", "econ_payback_years", "econ_payback_best_years",
           "econ_payback_worst_years", "econ_basis")


@dataclass(frozen=True)
class Economics:
    workload: str
    it_mw: float
    binding: str
    capex_musd: tuple[float, float, float]  # low, base, high
    lease_musd_per_year: tuple[float, float, float]
    mining_margin_musd_per_year: float
    basis: str

    def net(self, lease: int) -> float:
        return self.lease_musd_per_year[lease] - self.mining_margin_musd_per_year

    def payback(self, capex: int, lease: int) -> float | None:
        """Years to pay back the conversion; None when it never does."""
        net = self.net(lease)
        return round(self.capex_musd[capex] / net, 1) if net > 0 else None

    @property
    def payback_base(self) -> float | None:
        return self.payback(BASE, BASE)

    def row(self) -> dict:
        return {"econ_workload": self.workload, "econ_it_mw": self.it_mw,
                "econ_binding_constraint": self.binding, "econ_capex_musd": self.capex_musd[BASE],
                "econ_lease_musd_per_year": self.lease_musd_per_year[BASE],
                "econ_mining_margin_forgone_musd_per_year": self.mining_margin_musd_per_year,
                "econ_net_musd_per_year": round(self.net(BASE), 2),
                "econ_payback_years": self.payback_base,
                "econ_payback_best_years": self.payback(LOW, HIGH),
                "econ_payback_worst_years": self.payback(HIGH, LOW), "econ_basis": self.basis}


def for_workload(site: SiteResult, workload: str, rules: Rules) -> Economics:
    """The economics of converting ``site`` for ``workload``."""
    e, c, v = rules["economics"], rules["cooling"], site.values
    n = show_number
    gross = v["power_capacity_mw"]
    kept = min(gross, (v.get("mining_load_mw") or 0.0) * e["mining_kept_share"])
    facility = gross - kept
    liquid = advanced_path(v["cooling_type"],
                           stated_path(v["cooling_type"], v.get("liquid_cooling_path"), c), c)
    pue = e["pue_liquid"] if liquid else e["pue_air"]
    after_pue = facility / pue
    reserve = e[f"redundancy_reserve_{workload}"]
    after_reserve = after_pue * (1 - reserve)
    need = c[workload]["pass_min_rack_density_kw"]
    density = v.get("rack_density_kw")
    share = min(1.0, density / need) if density else 1.0
    it_mw = round(after_reserve * share, 2)
    losses = {"power (PUE)": facility - after_pue, "redundancy": after_pue - after_reserve,
              "cooling density": after_reserve - it_mw}
    binding = max(losses, key=losses.get)

    capex = tuple(round(max(0.0, it_mw * e["capex_musd_per_it_mw"][i]
                            - facility * e["power_credit_musd_per_mw"][2 - i]), 2)
                  for i in (LOW, BASE, HIGH))
    premium = 1 + (e["inference_lease_premium"] if workload == "inference" else 0.0)
    lease = tuple(round(it_mw * 1000 * rate * 12 * premium / 1e6, 2)
                  for rate in e["lease_usd_per_kw_month"])
    ph_per_mw = 1e6 / e["fleet_efficiency_j_per_th"] / 1000  # 1 MW / (J/TH) -> TH/s -> PH/s
    margin_mwh = ph_per_mw * e["hashprice_usd_per_ph_day"] / 24 - \
        1000 * v["power_cost_usd_per_kwh"]  # USD per MWh of mining
    drawn = it_mw * pue  # facility power the AI load draws; the rest can keep mining
    forgone = round(max(0.0, margin_mwh) * drawn * HOURS_PER_YEAR / 1e6, 2)
    basis = (
        f"{n(gross)} MW gross - {n(round(kept, 2))} MW mining kept ({n(e['mining_kept_share'])} "
        f"of mining_load_mw) = {n(round(facility, 2))} MW; / PUE {n(pue)} "
        f"({'liquid' if liquid else 'air'}) x (1 - {n(reserve)} redundancy reserve) x "
        f"{n(round(share, 3))} cooling density ({n(density) + ' kW' if density else 'not given'}"
        f" of {n(need)} kW) = {n(it_mw)} MW critical IT. Capex {n(it_mw)} MW x "
        f"{n(e['capex_musd_per_it_mw'][BASE])} M USD - {n(round(facility, 2))} MW x "
        f"{n(e['power_credit_musd_per_mw'][BASE])} M USD power credit. Lease {n(it_mw)} MW x "
        f"{n(e['lease_usd_per_kw_month'][BASE])} USD/kW-month"
        f"{' + ' + n(e['inference_lease_premium'] * 100) + '% inference premium' if premium > 1 else ''}"
        f". Mining forgone: {n(ph_per_mw)} PH/s per MW ({n(e['fleet_efficiency_j_per_th'])} J/TH)"
        f" x {n(e['hashprice_usd_per_ph_day'])} USD/PH/day - power at "
        f"{n(v['power_cost_usd_per_kwh'])} USD/kWh = {n(round(margin_mwh, 2))} USD/MWh on the "
        f"{n(round(drawn, 2))} MW the AI load draws (IT x PUE). Assumptions as of "
        f"{e['as_of']}.")
    return Economics(workload, it_mw, binding, capex, lease, forgone, basis)


def evaluate(site: SiteResult, rules: Rules) -> Economics | None:
    """The site's economics for its bucket's workload (the faster payback for a Hybrid);
    None for a Neither site."""
    options = [for_workload(site, w, rules) for w in bucket_workloads(site.bucket)]
    if not options:
        return None
    return min(options, key=lambda o: (o.payback_base is None, o.payback_base or 0.0))
