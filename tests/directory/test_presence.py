"""An agent's record keeps what it chose: the vocabulary's chosen presences, no more."""

from supportcall import vocabulary
from supportcall.directory.models import Agent


def test_an_agent_may_choose_exactly_the_vocabularys_chosen_presences():
    assert set(Agent.Presence.values) == vocabulary.CHOSEN_PRESENCES
