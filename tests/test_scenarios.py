"""Behaviour as scenario files (spec/scenarios.md), through the one runner."""

from pathlib import Path

import pytest

from voiceskill.scenarios import Runner, find_scenarios

HERE = Path(__file__).parent
PEERS = HERE.parent.parent / "shared" / "peers" / "ha-intents-nl" / "scenarios"
AUDIO = HERE / "scenarios" / "audio"
OWN = [p for p in find_scenarios([HERE / "scenarios"]) if AUDIO not in p.parents]
PEER = find_scenarios([PEERS]) if PEERS.is_dir() else []


@pytest.fixture(scope="module")
def runner() -> Runner:
    return Runner()


@pytest.mark.parametrize("path", OWN, ids=[str(p.relative_to(HERE)) for p in OWN])
def test_own_scenario(runner: Runner, path: Path) -> None:
    result = runner.run_file(path)
    assert result.passed, "\n".join(result.failure_lines())


@pytest.mark.skipif(not PEER, reason="../shared/peers is not beside this checkout")
@pytest.mark.parametrize("path", PEER, ids=[p.name for p in PEER])
def test_peer_scenario(runner: Runner, path: Path) -> None:
    result = runner.run_file(path)
    assert result.passed, "\n".join(result.failure_lines())


def test_enough_scenarios_cover_every_intent() -> None:
    from voiceskill.scenarios import load_scenario

    assert len(OWN) >= 80
    intents = {turn.expect.get("intent") for p in OWN for turn in load_scenario(p).turns}
    for needed in ("add_item", "remove_item", "set_quantity", "read_cart", "cart_total", "clear_cart",
                   "checkout", "undo", "help", "handover", "yes", "no", "cancel", "goodbye", "fallback",
                   "replace_item", "ask_product", "reorder", "forget_me"):
        assert needed in intents, needed
