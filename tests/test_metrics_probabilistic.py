"""Tests of the probabilistic scores of skseq.metrics, against pysteps."""

import os

import numpy as np
import pytest

from skseq.metrics import (
    brier_score,
    crps_ensemble,
    exceedance_probability,
    mae,
    make_brier_scorer,
    make_crps_scorer,
    rank_histogram,
    reliability_diagram,
    roc_curve_probabilistic,
    spread_skill_ratio,
)


@pytest.fixture
def rain():
    """Gamma-distributed 'rain' with dry pixels: obs (3, 4, 10, 12), ens (3, 7, ...)."""
    rng = np.random.default_rng(0)
    obs = rng.gamma(0.5, 2.0, (3, 4, 10, 12))
    ens = rng.gamma(0.5, 2.0, (3, 7, 4, 10, 12))
    obs[obs < 0.2] = 0.0
    ens[ens < 0.2] = 0.0
    return obs, ens


@pytest.fixture
def pysteps_verification():
    pytest.importorskip("pysteps")
    os.environ.setdefault("PYSTEPS_SILENT_IMPORT", "1")
    from pysteps.postprocessing import ensemblestats
    from pysteps.verification import ensscores, probscores

    return probscores, ensscores, ensemblestats


def test_crps_matches_pysteps(pysteps_verification):
    probscores, _, _ = pysteps_verification
    rng = np.random.default_rng(2)  # continuous: no observation equals a member
    obs, ens = (
        rng.gamma(0.5, 2.0, (3, 4, 10, 12)),
        rng.gamma(0.5, 2.0, (3, 7, 4, 10, 12)),
    )
    expected = probscores.CRPS(np.moveaxis(ens, 1, 0), obs)
    assert crps_ensemble(obs, ens) == pytest.approx(expected, rel=1e-10)
    per_lead = crps_ensemble(obs, ens, axis=(0, 2, 3))
    for lead in range(4):
        assert per_lead[lead] == pytest.approx(
            probscores.CRPS(np.moveaxis(ens[:, :, lead], 1, 0), obs[:, lead])
        )


def test_crps_exact_with_ties(pysteps_verification):
    # obs 0, members (0, 0, 1): the integral of (F - H)^2 is (1/3)^2 on [0, 1).
    # pysteps' Hersbach decomposition uses strict inequalities and gives 0 here
    probscores, _, _ = pysteps_verification
    members = np.array([[0.0, 0.0, 1.0]])
    assert crps_ensemble(np.zeros(1), members) == pytest.approx(1 / 9)
    assert probscores.CRPS(members.T, np.zeros(1)) == 0.0


def test_crps_hand_values_and_fair():
    obs = np.zeros(1)
    assert crps_ensemble(obs, np.array([[-1.0, 1.0]])) == pytest.approx(0.5)
    # fair: spread term over m (m - 1) = 2 pairs: 1 - 2 / 2 = 0
    assert crps_ensemble(obs, np.array([[-1.0, 1.0]]), fair=True) == pytest.approx(0)
    # one member: the absolute error
    y, f = np.array([1.0, 3.0]), np.array([[2.0], [0.0]])
    assert crps_ensemble(y, f) == pytest.approx(mae(y, f[:, 0]))
    # member axis elsewhere
    ens = np.random.default_rng(1).normal(size=(5, 6, 3))
    truth = np.zeros((5, 6))
    assert crps_ensemble(truth, ens, member_axis=-1) == pytest.approx(
        crps_ensemble(truth, np.moveaxis(ens, -1, 1))
    )
    with pytest.raises(ValueError, match="2 ensemble members"):
        crps_ensemble(obs, np.array([[0.0]]), fair=True)


def test_crps_shape_errors():
    with pytest.raises(ValueError, match="one axis more"):
        crps_ensemble(np.zeros((2, 3)), np.zeros((2, 3)))
    with pytest.raises(ValueError, match="shape of y_true"):
        crps_ensemble(np.zeros((2, 3)), np.zeros((2, 5, 4)))


def test_exceedance_probability_matches_pysteps(rain, pysteps_verification):
    _, _, ensemblestats = pysteps_verification
    _, ens = rain
    members_first = np.moveaxis(ens, 1, 0)
    np.testing.assert_allclose(
        exceedance_probability(ens, 1.0), ensemblestats.excprob(members_first, 1.0)
    )
    np.testing.assert_allclose(
        exceedance_probability(ens, [0.5, 5.0]),
        ensemblestats.excprob(members_first, [0.5, 5.0]),
    )


def test_reliability_diagram_matches_pysteps(rain, pysteps_verification):
    probscores, _, _ = pysteps_verification
    obs, ens = rain
    prob = exceedance_probability(ens, 1.0)
    expected_x, expected_y = probscores.reldiag(prob, obs, 1.0, n_bins=10)
    x, y, counts = reliability_diagram(obs, prob, 1.0, n_bins=10)
    np.testing.assert_allclose(x, expected_x)
    np.testing.assert_allclose(y, expected_y)
    assert counts.sum() == obs.size


def test_roc_matches_pysteps(rain, pysteps_verification):
    probscores, _, _ = pysteps_verification
    obs, ens = rain
    prob = exceedance_probability(ens, 1.0)
    pofd_e, pod_e, area_e = probscores.ROC_curve(prob, obs, 1.0, compute_area=True)
    pofd, pod, area = roc_curve_probabilistic(obs, prob, 1.0)
    np.testing.assert_allclose(pofd, pofd_e)
    np.testing.assert_allclose(pod, pod_e)
    assert area == pytest.approx(area_e)
    # a perfect probability forecast has area 1
    assert roc_curve_probabilistic(obs, (obs >= 1).astype(float), 1.0)[2] == 1.0


def test_rank_histogram_matches_pysteps(rain, pysteps_verification):
    _, ensscores, _ = pysteps_verification
    obs, ens = rain
    # continuous values without dry ties: the ranks are exact
    rng = np.random.default_rng(3)
    obs_c, ens_c = rng.normal(size=obs.shape), rng.normal(size=ens.shape)
    np.testing.assert_allclose(
        rank_histogram(obs_c, ens_c),
        ensscores.rankhist(np.moveaxis(ens_c, 1, 0), obs_c),
    )
    # with the dry threshold, ties are broken at random: same distribution
    ours = rank_histogram(obs, ens, threshold=0.1, random_state=0)
    # pysteps draws its tie-breaks from numpy's global generator: seeded here
    # (unseeded, the two histograms differed by more than 0.02 in some runs)
    state = np.random.get_state()  # noqa: NPY002 (pysteps draws from it)
    try:
        np.random.seed(0)  # noqa: NPY002
        theirs = ensscores.rankhist(np.moveaxis(ens, 1, 0), obs, X_min=0.1)
    finally:
        np.random.set_state(state)  # noqa: NPY002
    np.testing.assert_allclose(ours, theirs, atol=0.02)
    counts = rank_histogram(obs, ens, threshold=0.1, normalize=False)
    assert counts.dtype.kind == "i" and counts.shape == (8,)


def test_rank_histogram_flat_for_exchangeable_members():
    rng = np.random.default_rng(0)
    hist = rank_histogram(rng.normal(size=20000), rng.normal(size=(20000, 9)))
    np.testing.assert_allclose(hist, 0.1, atol=0.01)


def test_spread_skill_ratio():
    rng = np.random.default_rng(0)
    truth = rng.normal(size=(4000, 3))
    calibrated = rng.normal(size=(4000, 10, 3))
    assert spread_skill_ratio(truth, calibrated) == pytest.approx(1.0, abs=0.03)
    assert spread_skill_ratio(truth, 0.3 * calibrated) < 0.5
    per_lead = spread_skill_ratio(truth, calibrated, axis=0)
    assert per_lead.shape == (3,)
    with pytest.raises(ValueError, match="at least 2"):
        spread_skill_ratio(truth, calibrated[:, :1])


def test_brier_score():
    obs = np.array([0.0, 2.0, 1.0])
    prob = np.array([0.5, 1.0, 0.0])
    assert brier_score(obs, prob, 1.0) == pytest.approx((0.25 + 0 + 1) / 3)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        brier_score(obs, prob + 1, 1.0)


@pytest.mark.parametrize(
    "score", [brier_score, reliability_diagram, roc_curve_probabilistic]
)
def test_probability_errors_name_the_probability(score):
    obs = np.array([0.0, 2.0, 1.0])
    with pytest.raises(ValueError, match="probability contains NaN"):
        score(obs, np.array([0.5, np.nan, 0.0]))
    with pytest.raises(ValueError, match="y_true and probability must have"):
        score(obs, np.array([0.5, 1.0]))


def test_thresholds_must_be_finite_numbers():
    obs = np.array([0.0, 2.0, 1.0])
    prob = np.array([0.1, 0.9, 0.5])
    ens = np.array([[0.0, 1.0], [2.0, 3.0], [1.0, 0.5]])
    calls = [
        lambda t: brier_score(obs, prob, t),
        lambda t: reliability_diagram(obs, prob, t),
        lambda t: roc_curve_probabilistic(obs, prob, t),
        lambda t: exceedance_probability(ens, t),
        lambda t: exceedance_probability(ens, [1.0, t]),
        lambda t: rank_histogram(obs, ens, threshold=t),
        lambda t: make_brier_scorer(t),
    ]
    for call in calls:
        with pytest.raises(TypeError, match="threshold must be a finite real number"):
            call("1")
        with pytest.raises(ValueError, match="threshold must be a finite real number"):
            call(np.nan)
    np.testing.assert_array_equal(
        exceedance_probability(ens, np.array([1.0, 2.0])),
        exceedance_probability(ens, [1.0, 2.0]),
    )


class _ShiftedEnsemble:
    """Members ``X[:, -1] + noise`` (a persistence ensemble) for the scorers."""

    def __init__(self, scale):
        self.scale = scale

    def predict_ensemble(self, X, n_members=20, n_steps=1, random_state=None):
        rng = np.random.default_rng(random_state)
        last = np.asarray(X)[:, None, -1:]
        noise = rng.normal(size=(len(X), n_members, n_steps, *last.shape[3:]))
        return last + self.scale * noise


def test_scorers_rank_ensembles():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 2, 4, 4))
    y = X[:, -1:] + rng.normal(size=(50, 1, 4, 4))  # the truth: noise of scale 1
    crps = make_crps_scorer(n_members=16)
    brier = make_brier_scorer(threshold=0.5, n_members=16)
    assert crps(_ShiftedEnsemble(1.0), X, y) > crps(_ShiftedEnsemble(0.1), X, y)
    assert brier(_ShiftedEnsemble(1.0), X, y) > brier(_ShiftedEnsemble(0.1), X, y)
    # one output frame without its lead axis
    assert crps(_ShiftedEnsemble(1.0), X, y[:, 0]) == crps(_ShiftedEnsemble(1.0), X, y)


def test_scorers_reach_through_pipelines_and_searches():
    from sklearn.base import BaseEstimator
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    class Ensemble(_ShiftedEnsemble, BaseEstimator):
        def fit(self, X, y):
            return self

    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2, 4, 4))
    y = 2 * X[:, -1:] + rng.normal(size=(40, 1, 4, 4))
    double = FunctionTransformer(lambda a: 2 * a)
    crps = make_crps_scorer(n_members=16)
    model = make_pipeline(double, Ensemble(1.0)).fit(X, y)
    # the last step's ensembles of the transformed input (was a TypeError,
    # which GridSearchCV turned into NaN scores, then picked a "best")
    assert crps(model, X, y) == crps(Ensemble(1.0), 2 * X, y)
    search = GridSearchCV(
        make_pipeline(double, Ensemble(1.0)),
        {"ensemble__scale": [0.1, 1.0]},
        scoring=crps,
        cv=2,
    ).fit(X, y)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert search.best_params_ == {"ensemble__scale": 1.0}
    assert crps(search, X, y) == crps(model, X, y)


def test_event_thresholds_at_the_precision_of_the_data():
    ens = np.array([0.7, 0.7, 0.2, 1.0], np.float32).reshape(1, 4, 1, 1)
    # pysteps' excprob on float32 members: 0.7 is at the threshold 0.7
    assert exceedance_probability(ens, 0.7).item() == np.mean(ens >= 0.7) == 0.75
    assert exceedance_probability(ens, [0.7, 1.0]).ravel().tolist() == [0.75, 0.25]
    observed = np.array([[[0.7]]], np.float32)
    assert brier_score(observed, np.array([[[1.0]]]), 0.7) == 0.0
    # rank histogram: float32 observations at the threshold are wet
    obs = np.full((1, 1, 1), 0.7, np.float32)
    hist = rank_histogram(
        obs, np.full((1, 2, 1, 1), 0.1), threshold=0.7, normalize=False
    )
    assert hist.tolist() == [0, 0, 1]


def test_scorer_factories_and_rank_histogram_check_their_arguments():
    from sklearn.dummy import DummyRegressor

    from skseq.metrics import make_frame_scorer, make_threshold_scorer

    with pytest.raises(TypeError, match="fair must be True or False"):
        make_crps_scorer(fair="x")
    for make in (make_crps_scorer, make_brier_scorer):
        with pytest.raises(TypeError, match="random_state must be an int or None"):
            make(random_state="x")
    with pytest.raises(TypeError, match="normalize must be True or False"):
        rank_histogram(np.zeros(3), np.zeros((3, 4)), normalize="no")
    with pytest.raises(ValueError, match="Unknown threshold score"):
        make_threshold_scorer(["csi"])
    with pytest.raises(ValueError, match="Unknown frame score"):
        make_frame_scorer(["rmse"])
    X, y = np.zeros((4, 2, 3, 3)), np.zeros((4, 1, 3, 3))
    plain = DummyRegressor().fit(X.reshape(4, -1), y.reshape(4, -1))
    with pytest.raises(TypeError, match="DummyRegressor has none"):
        make_crps_scorer(4)(plain, X, y)


def test_scorers_pickle():
    import pickle

    rng = np.random.default_rng(0)
    X = rng.normal(size=(10, 2, 4, 4))
    y = X[:, -1:] + rng.normal(size=(10, 1, 4, 4))
    for scorer in (make_crps_scorer(4, fair=True), make_brier_scorer(0.5, 4)):
        loaded = pickle.loads(pickle.dumps(scorer))
        model = _ShiftedEnsemble(1.0)
        assert loaded(model, X, y) == scorer(model, X, y)


def test_scorers_take_tensors():
    import torch

    rng = np.random.default_rng(0)
    X = rng.normal(size=(10, 2, 4, 4))
    y = (X[:, -1:] + rng.normal(size=(10, 1, 4, 4))).astype(np.float32)
    crps = make_crps_scorer(n_members=4)
    tensor = torch.tensor(y, requires_grad=True)
    assert crps(_ShiftedEnsemble(1.0), X, tensor) == crps(_ShiftedEnsemble(1.0), X, y)


def test_scorers_take_frames_with_exogenous_channels():
    from skseq import ConvLSTMForecaster

    # X (n, T, 1 + k, H, W) with a calendar-like channel, y (n, T_out, H, W)
    rng = np.random.default_rng(0)
    X = rng.gamma(0.6, 2, size=(6, 3, 2, 8, 8)).astype(np.float32)
    y = rng.gamma(0.6, 2, size=(6, 2, 8, 8)).astype(np.float32)
    est = ConvLSTMForecaster(
        hidden_channels=2, n_layers=1, max_epochs=1, validation_fraction=None
    ).fit(X, y)
    members = est.predict_ensemble(X, 5, random_state=0)  # (6, 5, 2, 8, 8): y's
    expected = crps_ensemble(y, members)
    assert make_crps_scorer(5)(est, X, y) == pytest.approx(-expected)
    probability = exceedance_probability(members, 1.0)
    assert make_brier_scorer(1.0, 5)(est, X, y) == pytest.approx(
        -brier_score(y, probability, 1.0)
    )


def test_exceedance_probability_takes_a_zero_dimensional_threshold():
    members = np.arange(12.0).reshape(2, 3, 2)
    np.testing.assert_array_equal(
        exceedance_probability(members, np.array(4.0)),
        exceedance_probability(members, 4.0),
    )
    assert exceedance_probability(members, np.array([2.0, 4.0])).shape == (2, 2, 2)


def test_exceedance_probability_needs_members_and_thresholds():
    with pytest.raises(ValueError, match="y_ens has no ensemble member"):
        exceedance_probability(np.ones((2, 0, 3)), 1.0)
    with pytest.raises(ValueError, match="threshold is an empty sequence"):
        exceedance_probability(np.ones((2, 4, 3)), [])


@pytest.mark.parametrize("member_axis", [3, -4, 1.0])
def test_member_axis_outside_y_ens_is_named(member_axis):
    truth, members = np.zeros((2, 3)), np.zeros((2, 5, 3))
    with pytest.raises(ValueError, match=r"member_axis must be an axis of y_ens"):
        crps_ensemble(truth, members, member_axis=member_axis)
    with pytest.raises(ValueError, match=r"member_axis must be an axis of y_ens"):
        exceedance_probability(members, 1.0, member_axis=member_axis)


def test_flags_and_counts_are_checked(rain):
    obs, ens = rain
    with pytest.raises(TypeError, match="fair must be True or False"):
        crps_ensemble(obs, ens, fair="no")
    probability = exceedance_probability(ens, 1.0)
    with pytest.raises(TypeError, match="min_count"):
        reliability_diagram(obs, probability, 1.0, min_count=None)
    # min_count=0 keeps every bin that holds a pair
    *_, counts = reliability_diagram(obs, probability, 1.0, min_count=0)
    assert counts.sum() == obs.size


def test_degenerate_cases_of_spread_skill_rank_histogram_and_member_axis():
    # members all equal to the observation: their mean is off by an ulp,
    # which gave a ratio of rounding noise (1.41) instead of the documented NaN
    y = np.array([[0.1, 0.7, 1.3]])
    ens = np.repeat(y[:, None], 3, axis=1)
    assert np.isnan(spread_skill_ratio(y, ens))
    assert np.isnan(spread_skill_ratio(np.zeros((1, 3)), np.zeros((1, 3, 3))))
    # no point reaches the threshold: no frequencies (zeros before; pysteps NaN)
    dry = rank_histogram(np.zeros((2, 3)), np.zeros((2, 4, 3)), threshold=1.0)
    assert dry.shape == (5,) and np.isnan(dry).all()
    counts = rank_histogram(
        np.zeros((2, 3)), np.zeros((2, 4, 3)), threshold=1.0, normalize=False
    )
    assert counts.tolist() == [0] * 5
    # True is not axis 1
    for score in (crps_ensemble, exceedance_probability_at_1, spread_skill_ratio):
        with pytest.raises(ValueError, match="member_axis must be an axis"):
            score(np.zeros((2, 3)), np.zeros((2, 5, 3)), member_axis=True)


def exceedance_probability_at_1(y_true, y_ens, member_axis):
    return exceedance_probability(y_ens, 1.0, member_axis=member_axis)


def test_roc_thresholds_hold_probabilities_exactly_at_them():
    # 10 members give probabilities k / 10; with 11 thresholds each is one of
    # them. pysteps' linspace thresholds lie above 0.3, 0.6 and 0.7, so those
    # probabilities missed their threshold and the area was biased
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(0)
    truth = rng.normal(size=3000)
    obs = truth + rng.normal(size=3000)
    prob = exceedance_probability(truth[:, None] + rng.normal(size=(3000, 10)), 1.0)
    assert np.linspace(0, 1, 11)[3] > 0.3  # pysteps' threshold
    for given in (prob, prob.astype(np.float32)):
        _, pod, area = roc_curve_probabilistic(obs, given, 1.0, n_prob_thresholds=11)
        # at every threshold k / 10 the forecast says yes where p >= k / 10
        expected = [np.mean(prob[obs >= 1] >= k / 10 - 1e-9) for k in range(11)]
        np.testing.assert_allclose(pod, expected)
        # all 11 thresholds are the probabilities: the exact ROC area
        assert area == pytest.approx(roc_auc_score(obs >= 1, prob), abs=1e-12)


def test_bfloat16_thresholds_are_compared_at_bfloat16():
    torch = pytest.importorskip("torch")
    from skseq.metrics import csi

    observed = torch.tensor([0.1], dtype=torch.bfloat16)  # holds 0.10009765625
    assert not bool(observed > 0.1)  # torch compares at bfloat16: no event
    assert csi(observed, np.array([5.0]), 0.1) == 0.0  # a false alarm, no hit


def test_metric_corner_cases_of_the_sweep():
    # one member axis left: still an ndarray, as documented
    prob = exceedance_probability(np.array([0.0, 1.0, 2.0]), 1.0, member_axis=0)
    assert type(prob) is np.ndarray and prob.shape == () and prob == 2 / 3
    # fair CRPS of one member: refused when the scorer is made, not per score
    with pytest.raises(ValueError, match=r"fair=True needs at least 2 .* n_members=1"):
        make_crps_scorer(1, fair=True)
