from __future__ import annotations

import collections
import random

import pytest

from services.applications.domain.trust_checks import draw_trust_checks

SEED = "molndal-secret-2026"


def cases(per_caseworker: dict[str, int]) -> list[tuple[str, str]]:
    return [(f"{cw}-case-{i:03d}", cw) for cw, n in per_caseworker.items() for i in range(n)]


def test_same_inputs_same_draw_regardless_of_order_and_global_random_state():
    decided = cases({"karin": 40, "lars": 25, "maja": 3})
    first = draw_trust_checks(decided, 5, "2026-03", SEED)
    shuffled = decided[:]
    random.Random(7).shuffle(shuffled)
    random.seed(12345)
    assert draw_trust_checks(shuffled, 5, "2026-03", SEED) == first
    assert draw_trust_checks(iter(decided + decided), 5, "2026-03", SEED) == first  # duplicates count once


def test_at_most_n_per_caseworker_and_all_when_fewer():
    decided = cases({"karin": 40, "lars": 25, "maja": 3, "nils": 5})
    owner = dict(decided)
    chosen = draw_trust_checks(decided, 5, "2026-03", SEED)
    per = collections.Counter(owner[c] for c in chosen)
    assert per == {"karin": 5, "lars": 5, "maja": 3, "nils": 5}
    assert len(set(chosen)) == len(chosen)
    assert draw_trust_checks(decided, 0, "2026-03", SEED) == []


def test_month_and_seed_change_the_draw():
    decided = cases({"karin": 60})
    base = set(draw_trust_checks(decided, 5, "2026-03", SEED))
    assert set(draw_trust_checks(decided, 5, "2026-04", SEED)) != base
    assert set(draw_trust_checks(decided, 5, "2026-03", "another-municipality")) != base


def test_a_caseworkers_draw_does_not_depend_on_colleagues():
    alone = draw_trust_checks(cases({"karin": 30}), 5, "2026-03", SEED)
    together = draw_trust_checks(cases({"karin": 30, "lars": 30}), 5, "2026-03", SEED)
    assert [c for c in together if c.startswith("karin")] == alone


def test_a_case_listed_under_two_caseworkers_is_drawn_once():
    decided = [("shared", "karin"), ("shared", "lars")]
    assert draw_trust_checks(decided, 5, "2026-03", SEED) == ["shared"]


def test_every_case_has_the_same_chance_over_many_months():
    decided = cases({"karin": 10})
    counts: collections.Counter[str] = collections.Counter()
    months = [f"{year}-{month:02d}" for year in range(1850, 2017) for month in range(1, 13)]  # 2004 draws
    for month in months:
        counts.update(draw_trust_checks(decided, 2, month, SEED))
    expected = len(months) * 2 / 10  # about 400 each; sd about 18
    assert set(counts) == {c for c, _ in decided}
    assert all(abs(n - expected) < 0.2 * expected for n in counts.values()), counts
    chi2 = sum((n - expected) ** 2 / expected for n in counts.values())
    assert chi2 < 30  # df = 9; p < 0.001 at 27.9


@pytest.mark.parametrize(("month", "n", "seed"), [("2026-3", 5, SEED), ("2026-13", 5, SEED), ("2026-03", -1, SEED),
                                                  ("2026-03", 5, "")])
def test_bad_arguments(month, n, seed):
    with pytest.raises(ValueError):
        draw_trust_checks(cases({"karin": 3}), n, month, seed)
