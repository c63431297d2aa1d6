"""The corpus of spoken Dutch (tests/corpus): its size, its validity and the floors it holds,
and the classifier (meant / asked / wrong / missed) on small inline cases."""

from __future__ import annotations

from pathlib import Path

import pytest

from voiceskill.corpus import (
    ASKED,
    MEANT,
    MISSED,
    WRONG,
    CorpusError,
    CorpusFile,
    CorpusRunner,
    Summary,
    classify,
    load_corpus,
    load_corpus_file,
    run_corpus,
)

HERE = Path(__file__).parent
CORPUS = HERE / "corpus"
SPEC_CATALOG = HERE / "catalogs" / "spec.csv"
FILES = sorted(CORPUS.rglob("*.yaml"))
BLIND = CORPUS / "blind"
"""Blind batches (tests/corpus/blind/BATCH): written by people who never saw our code or corpus, run
once for the record (bench/results/blind), then kept here under floors of their own."""

MIN_CASES = 600
MIN_CATALOGS = 3
MEANT_FLOOR = 0.97
"""Share of corpus cases that must be meant: the issue's aim (98.8% of 1,319 cases measured 2026-12-01)."""
WRONG_CEILING = 0.005
BLIND_MEANT_FLOOR = 0.95
"""Share of the blind batches' cases that must be meant now (96.4% of 725, measured 2026-12-08; their first runs
were 70.1%, 88.8% and 93.5%, bench/results/blind): raise it as they are fixed."""
BLIND_WRONG_CEILING = 0.005
"""0.4% (3 of 725) measured 2026-12-08, all from batch 3's first run, not fixed yet."""
"""Share of corpus cases that may change the cart wrongly: the issue's aim (0.1%, 1 of 1,319, measured 2026-12-01); lower it
as understanding improves."""


@pytest.fixture(scope="module")
def runner() -> CorpusRunner:
    return CorpusRunner()


@pytest.fixture(scope="module")
def corpus(runner: CorpusRunner) -> list[CorpusFile]:
    """The valid corpus files (an invalid one fails test_every_corpus_file_is_valid on its own)."""
    files = []
    for path in FILES:
        try:
            loaded = load_corpus_file(path)
            runner.check_file(loaded)
        except CorpusError:
            continue
        files.append(loaded)
    return files


@pytest.fixture(scope="module")
def summary(runner: CorpusRunner, corpus: list[CorpusFile]) -> Summary:
    return runner.run([f for f in corpus if BLIND not in f.path.parents])


@pytest.fixture(scope="module")
def blind(runner: CorpusRunner, corpus: list[CorpusFile]) -> Summary:
    return runner.run([f for f in corpus if BLIND in f.path.parents])


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(CORPUS)) for p in FILES])
def test_every_corpus_file_is_valid(runner: CorpusRunner, path: Path) -> None:
    runner.check_file(load_corpus_file(path))


def test_the_corpus_is_big_and_spans_catalogs(corpus: list[CorpusFile]) -> None:
    cases = sum(len(f.cases) for f in corpus)
    catalogs = {str(f.catalog.resolve()) if f.catalog else "built-in" for f in corpus}
    assert cases >= MIN_CASES, f"{cases} valid cases in {len(corpus)} files under {CORPUS}, want {MIN_CASES}"
    assert len(catalogs) >= MIN_CATALOGS, f"catalogs used: {sorted(catalogs)}"


def test_no_case_raises(summary: Summary) -> None:
    crashed = [line for r in summary.results if r.error for line in r.failure_lines()]
    assert not crashed, "\n".join(crashed[:30])


def test_meant_share_holds_its_floor(summary: Summary) -> None:
    share = summary.overall.meant_share
    lines = [f"{name}: {t.meant} of {t.cases} meant" for name, t in summary.phenomena.items()]
    assert share >= MEANT_FLOOR, f"{share:.1%} meant, floor {MEANT_FLOOR:.0%}\n" + "\n".join(lines)


def test_wrong_share_stays_under_its_ceiling(summary: Summary) -> None:
    share = summary.overall.wrong_share
    wrong = [line for r in summary.of(WRONG) for line in r.failure_lines()[:1]]
    assert share <= WRONG_CEILING, f"{share:.1%} wrong, ceiling {WRONG_CEILING:.1%}\n" + "\n".join(wrong[:40])


def test_blind_batches_hold_their_floors(blind: Summary) -> None:
    assert blind.overall.cases >= 150, f"{blind.overall.cases} blind cases under {BLIND}"
    wrong = [line for r in blind.of(WRONG) for line in r.failure_lines()[:1]]
    assert blind.overall.meant_share >= BLIND_MEANT_FLOOR, f"{blind.overall.meant_share:.1%} meant"
    assert blind.overall.wrong_share <= BLIND_WRONG_CEILING, "\n".join(wrong)


# The classifier on its own.

@pytest.mark.parametrize("failures, before, after, asks, expected, verdict", [
    ([], {}, {"bananen": 2}, False, {"bananen": 2}, MEANT),
    ([], {}, {}, True, {}, MEANT),                                       # an expected question is meant
    (["x"], {}, {}, True, {"bananen": 2}, ASKED),
    (["x"], {"melk": 1}, {"melk": 1}, True, {"melk": 2}, ASKED),
    (["x"], {}, {"bananen": 3}, False, {"bananen": 2}, WRONG),
    (["x"], {}, {"bananen": 3}, True, {"bananen": 2}, WRONG),            # a question does not excuse a change
    (["x"], {"melk": 1}, {}, False, {"melk": 1}, WRONG),                 # removing is a change too
    (["x"], {}, {}, False, {"bananen": 2}, MISSED),
    (["x"], {}, {"bananen": 2}, False, {"bananen": 2}, MISSED),          # right cart, wrong reply
    (["x"], {}, {"bananen": 2}, False, None, MISSED),                    # no cart expected: never wrong
])
def test_classify(failures, before, after, asks, expected, verdict) -> None:
    assert classify(failures, before, after, asks, expected) == verdict


# Inline corpus files through the whole assistant.

def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


INLINE = f"""phenomenon: inline
catalog: {SPEC_CATALOG}
cases:
  - say: twee bananen
    cart: {{bananen: 2}}
    intent: add_item
    asks: false
  - say: twee pakken melk
    cart: {{halfvolle-melk: 2}}
  - say: twee bananen
    cart: {{bananen: 3}}
  - say: tot ziens
    cart: {{bananen: 1}}
  - say: twee bananen
    cart: {{bananen: 2}}
    reply_contains: [komkommer]
  - given: [twee pakken halfvolle melk]
    say: nee, drie
    cart: {{halfvolle-melk: 3}}
    reply_excludes: [Bedoel je]
"""


def test_inline_cases_land_in_each_class(tmp_path: Path) -> None:
    write(tmp_path, "inline.yaml", INLINE)
    summary = run_corpus([tmp_path])
    verdicts = [r.verdict for r in summary.results]
    assert verdicts == [MEANT, ASKED, WRONG, MISSED, MISSED, MEANT]
    given = summary.results[5]
    assert given.before == {"halfvolle-melk": 2} and given.cart == {"halfvolle-melk": 3}
    wrong = summary.results[2]
    assert wrong.cart == {"bananen": 2} and wrong.failures == ["expected cart {'bananen': 3}, got {'bananen': 2}"]
    assert "inline.yaml, case 3 ('twee bananen')" in wrong.failure_lines()[0]
    overall = summary.overall
    assert (overall.cases, overall.meant, overall.asked, overall.wrong, overall.missed) == (6, 2, 1, 1, 2)
    assert overall.meant_share == pytest.approx(2 / 6) and overall.wrong_share == pytest.approx(1 / 6)


def test_every_case_gets_a_fresh_shopper_and_phenomena_are_counted_apart(tmp_path: Path) -> None:
    base = f"catalog: {SPEC_CATALOG}\ncases:\n"
    write(tmp_path, "a.yaml", "phenomenon: a\n" + base + "  - {say: twee bananen, cart: {bananen: 2}}\n" * 3)
    sub = tmp_path / "sub"
    sub.mkdir()
    write(sub, "b.yaml", f"phenomenon: b\ncatalog: {SPEC_CATALOG}\ncases:\n"
          "  - {say: een komkommer, cart: {komkommer: 1}}\n")
    write(tmp_path, "a_too.yaml", "phenomenon: a\n" + base + "  - {say: drie bananen, cart: {bananen: 2}}\n")
    summary = run_corpus([tmp_path])
    assert {name: (t.cases, t.meant, t.wrong) for name, t in summary.phenomena.items()} == {
        "a": (4, 3, 1), "b": (1, 1, 0)}
    assert [r.cart for r in summary.results[:3]] == [{"bananen": 2}] * 3   # not 4 and 6: no cart is shared
    assert summary.to_dict()["phenomena"]["a"]["meant_share"] == 0.75


def test_catalog_is_relative_to_the_file_and_defaults_to_the_built_in(tmp_path: Path) -> None:
    (tmp_path / "catalogs").mkdir()
    (tmp_path / "catalogs" / "spec.csv").write_text(SPEC_CATALOG.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "corpus").mkdir()
    relative = write(tmp_path / "corpus", "r.yaml", "phenomenon: r\ncatalog: ../catalogs/spec.csv\n"
                     "cases:\n  - {say: twee bananen, cart: {bananen: 2}}\n")
    builtin = write(tmp_path / "corpus", "d.yaml", "phenomenon: d\ncases:\n  - {say: twee bananen, cart: {}}\n")
    assert load_corpus_file(relative).catalog == tmp_path / "corpus" / "../catalogs/spec.csv"
    assert load_corpus_file(builtin).catalog is None
    assert len(load_corpus([tmp_path / "corpus"])) == 2


@pytest.mark.parametrize("text, message", [
    ("phenomenon: x\ncases: [unclosed\n", "cannot read corpus file"),
    ("cases:\n  - {say: ja, cart: {}}\n", "needs 'phenomenon' and a list of 'cases'"),
    ("phenomenon: x\ncases: []\n", "'cases' is empty"),
    ("phenomenon: x\nname: y\ncases:\n  - {say: ja, cart: {}}\n", "unknown key(s) name"),
    ("phenomenon: x\ncatalog: nope.csv\ncases:\n  - {say: ja, cart: {}}\n", "catalog nope.csv not found"),
    ("phenomenon: x\ncases:\n  - {say: ja, cart: {}}\n  - {say: nee}\n", "case 2: 'cart' is required"),
    ("phenomenon: x\ncases:\n  - {cart: {}}\n", "case 1: 'say' is required"),
    ("phenomenon: x\ncases:\n  - {say: ja, cart: {}, intnet: yes}\n", "case 1: unknown key(s) intnet"),
    ("phenomenon: x\ncases:\n  - {say: twee melk, cart: {melk: twee}}\n", "case 1 ('twee melk'): 'cart' must map"),
    ("phenomenon: x\ncases:\n  - {say: ja, cart: {}, asks: [1]}\n", "'asks' must be true or false"),
    ("phenomenon: x\ncases:\n  - just text\n", "case 1: a case is a mapping"),
])
def test_bad_files_name_the_file_and_the_case(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, "bad.yaml", text)
    with pytest.raises(CorpusError) as error:
        load_corpus_file(path)
    assert str(path) in str(error.value) and message in str(error.value)


def test_unknown_products_are_named(tmp_path: Path) -> None:
    path = write(tmp_path, "ids.yaml", f"phenomenon: x\ncatalog: {SPEC_CATALOG}\n"
                 "cases:\n  - {say: twee bananen, cart: {bananen: 2}}\n  - {say: kiwi, cart: {kiwi: 1}}\n")
    with pytest.raises(CorpusError, match=r"ids\.yaml, case 2 \('kiwi'\): product id\(s\) kiwi not in the catalog"):
        CorpusRunner().check_file(load_corpus_file(path))


def test_words_stay_words(tmp_path: Path) -> None:
    path = write(tmp_path, "w.yaml", "phenomenon: x\ncases:\n  - {say: no, cart: {}, asks: false}\n"
                 "  - {given: ja, say: 12, cart: {}}\n")
    cases = load_corpus_file(path).cases
    assert cases[0].say == "no" and cases[0].expect["asks"] is False
    assert cases[1].given == ("ja",) and cases[1].say == "12"


def test_a_crash_is_recorded_not_raised(tmp_path: Path, monkeypatch) -> None:
    path = write(tmp_path, "c.yaml", f"phenomenon: x\ncatalog: {SPEC_CATALOG}\n"
                 "cases:\n  - {say: twee bananen, cart: {bananen: 2}}\n")
    runner = CorpusRunner()
    corpus = load_corpus_file(path)
    assistant = runner.runner.assistant(corpus.catalog)

    def boom(*args, **kwargs):
        raise RuntimeError("kapot")

    monkeypatch.setattr(assistant, "turn", boom)
    result = runner.run([corpus]).results[0]
    assert result.verdict == MISSED and "kapot" in result.error
    assert "RuntimeError" in result.failure_lines()[0]
