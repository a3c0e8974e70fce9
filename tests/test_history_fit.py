"""Calibration of response parameters recovers a known value from synthetic monthly data with a shock."""

import pytest

from sim.history.fit import fit_effects, monthly_ard, simulate, with_effects


@pytest.mark.slow
def test_a_known_cooperation_effect_is_recovered(tiny):
    base, _ = tiny
    data = base.model_dump(mode="json", exclude_none=True)
    data.update(start_date="2016-01-01", days=240, spin_up_days=60)
    # the shock: Libyan and Tunisian interceptions from the fourth month
    data["interventions"] = [{"kind": "operational_cooperation", "start": "2016-04-01", "intensity": 1.5,
                              "targets": {"corridors": ["Central Mediterranean"], "countries": ["LBY", "TUN"]}}]
    truth = 2.0
    observed = simulate(with_effects(data, {"cooperation_enforcement": truth}), base.source, [101, 102, 103], scale=10,
                        days=None)
    # the fit never sees the seeds that made the data
    fit = fit_effects(data, base.source, observed, {"cooperation_enforcement": [0.3, 2.0, 5.0]},
                      seeds=[1, 2, 3], scale=10)
    assert fit.values["cooperation_enforcement"] == truth
    assert fit.score < monthly_ard(simulate(data, base.source, [1, 2, 3], scale=10, days=None), observed)
