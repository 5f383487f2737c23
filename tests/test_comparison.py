"""Ranks, average rank differences and Wilcoxon tests, against hand-computed values."""

import numpy as np
import pytest

from snn.comparison import compare_methods, complete_datasets, rank_methods


def test_ranks_put_the_best_first_and_share_ties():
    scores = [[0.9, 0.8, 0.8], [0.5, 0.7, 0.6]]
    np.testing.assert_array_equal(rank_methods(scores), [[1, 2.5, 2.5], [3, 1, 2]])
    np.testing.assert_array_equal(rank_methods(scores, higher_is_better=False),
                                  [[3, 1.5, 1.5], [1, 3, 2]])


def test_mean_rank_and_difference_to_the_rank_of_chance():
    scores = {"snn": {"a": 0.9, "b": 0.7, "c": 0.8, "d": 0.6},
              "bn": {"a": 0.8, "b": 0.8, "c": 0.7, "d": 0.6},
              "relu": {"a": 0.7, "b": 0.6, "c": 0.9, "d": 0.5}}
    rows = {row.method: row for row in compare_methods(scores, "snn")}
    # By hand: a: 1 2 3; b: 2 1 3; c: 2 3 1; d: 1.5 1.5 3 -> means 1.625, 1.875, 2.5.
    assert [rows[m].mean_rank for m in ("snn", "bn", "relu")] == [1.625, 1.875, 2.5]
    # Three methods: chance is rank (3 + 1) / 2 = 2.
    assert rows["snn"].rank_difference == pytest.approx(-0.375)
    assert rows["relu"].rank_difference == pytest.approx(0.5)
    assert rows["snn"].p_value is None
    assert rows["bn"].mean_score == pytest.approx(0.725)
    assert [row.method for row in compare_methods(scores, "snn")] == ["snn", "bn", "relu"]


def test_seven_tied_methods_sit_at_rank_four_as_in_the_paper():
    scores = {f"m{i}": {"a": 0.5, "b": 0.7} for i in range(7)}
    rows = compare_methods(scores, "m0")
    assert all(row.mean_rank == 4 and row.rank_difference == 0 for row in rows)
    assert all(row.p_value == 1.0 for row in rows[1:])  # identical scores: no difference


def test_wilcoxon_p_value_matches_the_exact_null_distribution():
    # Differences snn - other: +1 +2 +3 -4 +5 +6 (hundredths); ranks of |d| are 1..6, so
    # W- = 4. Under the null each sign is a fair coin: of the 64 sign patterns, 7 give a
    # negative-rank sum <= 4 ({}, {1}, {2}, {3}, {4}, {1,2}, {1,3}); two-sided p = 14/64.
    snn = dict(zip("abcdef", [0.8] * 6))
    other = dict(zip("abcdef", [0.79, 0.78, 0.77, 0.84, 0.75, 0.74]))
    rows = {row.method: row for row in compare_methods({"snn": snn, "other": other}, "snn")}
    assert rows["other"].p_value == pytest.approx(14 / 64)


def test_only_data_sets_every_method_finished_are_compared():
    scores = {"snn": {"a": 0.9, "b": 0.5, "c": 0.7},
              "bn": {"a": 0.8, "b": float("nan"), "c": 0.8}}
    assert complete_datasets(scores) == ["a", "c"]
    rows = {row.method: row for row in compare_methods(scores, "snn")}
    assert rows["snn"].mean_rank == 1.5 and rows["snn"].mean_score == pytest.approx(0.8)


def test_an_unknown_reference_or_no_common_data_set_is_an_error():
    with pytest.raises(ValueError, match="reference method 'x'"):
        compare_methods({"snn": {"a": 1.0}, "bn": {"a": 0.5}}, "x")
    with pytest.raises(ValueError, match="0 data sets"):
        compare_methods({"snn": {"a": 1.0}, "bn": {"b": 0.5}}, "snn")
