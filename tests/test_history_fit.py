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


def test_response_parameters_of_people_and_of_measures_go_where_the_schema_has_them():
    from sim.history.fit import current_value

    data = {"behaviour": {"effects": {"pushback_gives_up": 0.2}}}
    out = with_effects(data, {"interception_cost_eur": 3000.0, "cooperation_enforcement": 1.5})
    assert out["behaviour"]["interception_cost_eur"] == 3000.0
    assert out["behaviour"]["effects"] == {"pushback_gives_up": 0.2, "cooperation_enforcement": 1.5}
    assert data == {"behaviour": {"effects": {"pushback_gives_up": 0.2}}}  # the input is left alone
    assert current_value(out, "interception_cost_eur") == 3000.0
    assert current_value(data, "interception_cost_eur") == 1500.0  # the schema's default
    assert current_value(data, "pushback_gives_up") == 0.2


def test_the_search_can_be_limited_to_named_parameters_and_an_unknown_name_is_refused():
    from sim.errors import InputError
    from sim.history.fit import REPLAY_GRID, search_grid

    assert search_grid(REPLAY_GRID, "") == REPLAY_GRID
    assert search_grid(REPLAY_GRID, " readmission_share, pushback_gives_up") == {
        "readmission_share": REPLAY_GRID["readmission_share"], "pushback_gives_up": REPLAY_GRID["pushback_gives_up"]}
    with pytest.raises(InputError, match="--only.*readmision_share"):
        search_grid(REPLAY_GRID, "readmision_share")


def test_every_parameter_the_replay_searches_is_in_the_schema():
    """A name in the grid that the schema lacks would be written into the scenario and refused later."""
    from sim.effects import Effects
    from sim.history.fit import REPLAY_GRID
    from sim.scenario import Behaviour

    for name in REPLAY_GRID:
        assert name in Effects.model_fields or name in Behaviour.model_fields, name
