"""Today's risks on each leg, from the authorities' figures and the levers: interception, death,
refusal before boarding, and detection of a crossing."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import kernels
from .world import World


@dataclass
class LegRisks:
    """Per-leg probabilities for one day."""

    p_intercept: np.ndarray
    p_death: np.ndarray
    p_refused: np.ndarray  # refused boarding at a check before commercial transport, or stopped on the shore or
    # in a raid before a smuggled land crossing
    p_detect: np.ndarray  # a crossing is seen (1 where every crossing is registered)
    corruption: np.ndarray  # corruption of the authority controlling the leg (0 if uncontrolled)
    open: np.ndarray  # not closed today
    pushback: np.ndarray  # share of those intercepted pushed straight back (the country's, or a pushbacks event's)


def leg_risks(world: World, behaviour, country_today: dict[str, np.ndarray], today) -> LegRisks:
    """Today's interception and death probability on each leg, from the authorities and levers."""
    effects = behaviour.effects
    controller = np.maximum(world.control, 0)
    effort = country_today["effectiveness"][controller] * today.enforce_mult
    corrupt = np.where(world.controlled, country_today["corruption"][controller], 0.0)
    # bribed officials let a share of crossings through unchecked
    p = (1.0 - kernels.exp(-behaviour.interception_scale * effort)) * (1.0 - effects.bribe_pass_through * corrupt)
    p_intercept = np.where(world.controlled, np.clip(p, 0, effects.max_interception), 0.0)
    # under pressure smugglers use worse boats, night crossings and longer detours
    p_death = np.clip(world.risk * today.risk_mult * (1.0 + behaviour.danger_under_pressure * p_intercept), 0,
                      effects.max_death)
    # fraudulent documents beat checks before boarding where officials can be bought; on the shore and at the
    # staging areas before a land crossing, bribed officials let people through
    fraud = country_today["corruption"][world.leg_country]
    p_refused = np.where(world.commercial, today.check * (1.0 - effects.fraud_beats_checks * fraud),
                         np.where(world.shore | world.staging, today.check * (1.0 - effects.bribe_pass_through * corrupt), 0.0))
    share = world.base["detection_share"][controller]
    watch = np.where(np.isnan(share),
                     1.0 - kernels.exp(-behaviour.detection_scale * country_today["effectiveness"][controller]), share)
    p_detect = np.where(world.detects & ~world.sea & world.controlled, watch, 1.0)
    return LegRisks(p_intercept=p_intercept, p_death=p_death, p_refused=p_refused, p_detect=p_detect,
                    corruption=corrupt, open=~today.closed,
                    pushback=np.where(np.isnan(today.pushback), world.pushback, today.pushback))
