import pytest

from inftool_hf.significance import compare_reports, mcnemar_p, paired_comparison, wilson_interval


def test_wilson_interval_matches_the_textbook_values():
    # Wilson 95% intervals (z = 1.96): 5/10 → [0.2366, 0.7634]; 0/10 → [0, 0.2775]; 73/100 → [0.6357, 0.8073]
    assert wilson_interval(5, 10) == pytest.approx((0.2366, 0.7634), abs=1e-4)
    assert wilson_interval(0, 10) == pytest.approx((0.0, 0.2775), abs=1e-4)
    assert wilson_interval(10, 10) == pytest.approx((0.7225, 1.0), abs=1e-4)
    assert wilson_interval(73, 100) == pytest.approx((0.6357, 0.8073), abs=1e-4)
    assert wilson_interval(0, 0) == (0.0, 1.0)
    # more points, a narrower interval around the same score
    narrow, wide = wilson_interval(120, 400), wilson_interval(22, 73)
    assert narrow[1] - narrow[0] < 0.5 * (wide[1] - wide[0])
    with pytest.raises(ValueError, match="correct <= total"):
        wilson_interval(5, 3)


def test_mcnemar_counts_only_the_points_that_changed():
    assert mcnemar_p(10, 0) == pytest.approx(2 / 2**10)
    assert mcnemar_p(3, 3) == 1.0 and mcnemar_p(0, 0) == 1.0
    assert mcnemar_p(7, 2) == pytest.approx(2 * (1 + 9 + 36) / 2**9)  # P(X <= 2), X ~ Binomial(9, 1/2), two-sided
    assert mcnemar_p(2, 7) == mcnemar_p(7, 2)


def test_paired_comparison_tells_a_gain_from_noise():
    before = {f"p{i}": 0 for i in range(100)}
    gain = {**before, **{f"p{i}": 1 for i in range(30)}}
    result = paired_comparison(before, gain)
    assert (result["points"], result["gained"], result["lost"]) == (100, 30, 0)
    assert result["delta"] == pytest.approx(0.30) and result["verdict"] == "better"
    assert 0.2 < result["interval"][0] < 0.3 < result["interval"][1] < 0.4 and result["p_value"] < 1e-6
    # one point up, one down: no change the measurement can see
    shuffle = {**before, "p0": 1, "p1": 0}
    swapped = {**shuffle, "p0": 0, "p1": 1}
    noise = paired_comparison(shuffle, swapped)
    assert noise["delta"] == 0 and noise["verdict"] == "no detectable change" and noise["p_value"] == 1.0
    assert noise["interval"][0] < 0 < noise["interval"][1]
    assert paired_comparison(gain, before)["verdict"] == "worse"
    # four points gained, none lost: the bootstrap interval excludes 0, McNemar does not call it (p = 0.125)
    few = paired_comparison(before, {**before, **{f"p{i}": 1 for i in range(4)}})
    assert few["interval"][0] > 0 and few["p_value"] == pytest.approx(0.125)
    assert few["verdict"] == "no detectable change"
    # only the points both scored, and the same interval every time (a fixed seed)
    assert paired_comparison(before, {**gain, "extra": 1})["points"] == 100
    assert paired_comparison(before, gain) == result
    assert paired_comparison({}, gain)["verdict"] == "no shared points"


def test_reports_are_compared_per_category_on_the_same_points():
    categories = {"r1#0": "simple", "r2#0": "simple", "r3#0": "irrelevance", "r3#1": "irrelevance"}
    before = {"outcomes": {"r1#0": 0, "r2#0": 0, "r3#0": 1, "r3#1": 1}, "point_categories": categories}
    after = {"outcomes": {"r1#0": 1, "r2#0": 1, "r3#0": 0, "r3#1": 1}, "point_categories": categories}
    result = compare_reports(before, after)
    assert set(result) == {"all", "simple", "irrelevance"}
    assert (result["simple"]["gained"], result["simple"]["lost"], result["simple"]["points"]) == (2, 0, 2)
    assert (result["irrelevance"]["gained"], result["irrelevance"]["lost"]) == (0, 1)
    assert result["all"]["delta"] == pytest.approx(0.25)
    assert compare_reports({"categories": {}}, after) == {}  # a report from before outcomes were recorded
