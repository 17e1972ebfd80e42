"""Tests of skseq.base: validate_data, check_sample_weight, unfitted_on_error
and the parameter constraints (Rule, positive_int ...), called directly."""

import re
from typing import ClassVar

import numpy as np
import pytest
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.validation import check_is_fitted

from skseq.base import (
    Rule,
    check_sample_weight,
    fraction,
    non_negative_int,
    positive_int,
    positive_int_sequence,
    unfitted_on_error,
    validate_data,
)


class _Estimator(BaseEstimator):
    """The smallest estimator validate_data records a fitted shape on."""

    def fit(self, X, y=None):
        return self


# ------------------------------------------------------------- validate_data
def test_validate_data_sequences_records_the_fitted_shape():
    est = _Estimator()
    X = np.arange(5 * 7 * 3, dtype=np.float64).reshape(5, 7, 3)
    out = validate_data(est, X, reset=True)
    assert out.dtype == np.float32 and out.shape == (5, 7, 3)
    np.testing.assert_array_equal(out, X)
    assert (est.n_timesteps_in_, est.n_channels_in_, est.n_features_in_) == (7, 3, 21)
    # afterwards the same shape passes, of any number of samples
    assert validate_data(est, X[:2], reset=False).shape == (2, 7, 3)


def test_validate_data_sequences_2d_is_univariate_unless_refused():
    est = _Estimator()
    assert validate_data(est, np.zeros((5, 7)), reset=True).shape == (5, 7, 1)
    assert (est.n_timesteps_in_, est.n_channels_in_, est.n_features_in_) == (7, 1, 7)
    with pytest.raises(ValueError, match=r"got 2D with shape \(5, 7\)"):
        validate_data(_Estimator(), np.zeros((5, 7)), reset=True, allow_2d=False)


def test_validate_data_sequences_errors():
    est = _Estimator()
    with pytest.raises(NotFittedError, match="not fitted yet"):
        validate_data(est, np.zeros((5, 7, 3)), reset=False)
    validate_data(est, np.zeros((5, 7, 3)), reset=True)
    expected = re.escape(
        "X has 18 features, but _Estimator is expecting 21 features as input: it "
        "was fitted on sequences of shape (n_samples, 7, 3) and got sequences of "
        "shape (n_samples, 6, 3)."
    )
    with pytest.raises(ValueError, match=expected):
        validate_data(est, np.zeros((5, 6, 3)), reset=False)
    with pytest.raises(ValueError, match=r"^X_valid has 14 features"):
        validate_data(est, np.zeros((5, 7, 2)), reset=False, name="X_valid")
    # as many features in another shape: no "21 features, expecting 21"
    transposed = re.escape(
        "X has sequences of shape (n_samples, 3, 7), but _Estimator was fitted on "
        "sequences of shape (n_samples, 7, 3): as many features in another shape."
    )
    with pytest.raises(ValueError, match=transposed):
        validate_data(est, np.zeros((5, 3, 7)), reset=False)
    with pytest.raises(ValueError, match=re.escape("X has 2 timesteps")):
        validate_data(_Estimator(), np.zeros((5, 2, 3)), reset=True, min_length=3)
    with_nan = np.zeros((5, 7, 3))
    with_nan[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="X contains NaN"):
        validate_data(_Estimator(), with_nan, reset=True)
    kept = validate_data(_Estimator(), with_nan, reset=True, allow_nan=True)
    assert np.isnan(kept).sum() == 1
    with pytest.raises(ValueError, match="layout must be one of"):
        validate_data(_Estimator(), np.zeros((5, 7, 3)), reset=True, layout="table")


def test_validate_data_frames_records_the_fitted_shape():
    est = _Estimator()
    out = validate_data(est, np.zeros((4, 3, 2, 6, 5)), reset=True, layout="frames")
    assert out.shape == (4, 3, 2, 6, 5)
    assert est.n_input_frames_ == 3 and est.n_channels_in_ == 2
    assert est.frame_shape_ == (6, 5) and est.n_features_in_ == 180
    # (n, T, H, W): one channel
    one = _Estimator()
    out = validate_data(one, np.zeros((4, 3, 6, 5)), reset=True, layout="frames")
    assert out.shape == (4, 3, 1, 6, 5)
    assert (one.n_channels_in_, one.frame_shape_, one.n_features_in_) == (
        1,
        (6, 5),
        90,
    )


def test_validate_data_frames_errors_and_any_frame_size():
    est = _Estimator()
    validate_data(est, np.zeros((4, 3, 2, 6, 5)), reset=True, layout="frames")
    expected = re.escape(
        "X has 240 features, but _Estimator is expecting 180 features as input: it "
        "was fitted on frames of shape (n_frames, C, (H, W)) = (3, 2, (6, 5)) and "
        "got frames of shape (n_frames, C, (H, W)) = (3, 2, (8, 5))."
    )
    larger = np.zeros((4, 3, 2, 8, 5))
    with pytest.raises(ValueError, match=expected):
        validate_data(est, larger, reset=False, layout="frames")
    # a fully convolutional model takes any H x W, not another T or C
    out = validate_data(est, larger, reset=False, layout="frames", any_frame_size=True)
    assert out.shape == (4, 3, 2, 8, 5)
    expected = re.escape(
        "X has (n_frames, C) = (2, 2) but _Estimator was fitted on (3, 2)"
    )
    with pytest.raises(ValueError, match=expected):
        validate_data(
            est,
            np.zeros((4, 2, 2, 6, 5)),
            reset=False,
            layout="frames",
            any_frame_size=True,
        )
    with pytest.raises(ValueError, match=r"got 3D with shape \(4, 3, 6\)"):
        validate_data(_Estimator(), np.zeros((4, 3, 6)), reset=True, layout="frames")


def test_validate_data_any_layout():
    est = _Estimator()
    out = validate_data(est, np.ones((3, 2, 4)), reset=True, layout="any")
    assert out.shape == (3, 2, 4) and est.n_features_in_ == 8
    with pytest.raises(ValueError, match=r"^X has 6 features"):
        validate_data(est, np.ones((3, 6)), reset=False, layout="any")
    with pytest.raises(ValueError, match="at least 2 axes; got"):
        validate_data(_Estimator(), np.ones(3), reset=True, layout="any")
    with pytest.raises(
        ValueError, match=re.escape("0 values per sample (shape (3, 0, 2))")
    ):
        validate_data(_Estimator(), np.ones((3, 0, 2)), reset=True, layout="any")


# ------------------------------------------------------- check_sample_weight
def test_check_sample_weight_values():
    weight = check_sample_weight([1, 2, 3], 3)
    assert weight.dtype == np.float64
    np.testing.assert_array_equal(weight, [1.0, 2.0, 3.0])
    # a single number weighs every sample the same
    np.testing.assert_array_equal(check_sample_weight(2, 4), [2.0, 2.0, 2.0, 2.0])


@pytest.mark.parametrize(
    ("sample_weight", "error", "match"),
    [
        ([1, 1, 1], ValueError, re.escape("must have shape (4,), one weight per")),
        (np.ones((4, 1)), ValueError, re.escape("got shape (4, 1)")),
        ([1, -1, 1, 1], ValueError, "contains negative values"),
        (np.zeros(4), ValueError, "must not be all zeros"),
        ([1, np.nan, 1, 1], ValueError, "sample_weight contains NaN"),
        (True, TypeError, "sample_weight must be array-like; got bool"),
    ],
)
def test_check_sample_weight_errors(sample_weight, error, match):
    with pytest.raises(error, match=match):
        check_sample_weight(sample_weight, 4)


# --------------------------------------------------------- unfitted_on_error
class _Failing(BaseEstimator):
    def __init__(self, fail=False):
        self.fail = fail

    @unfitted_on_error
    def fit(self, X, y=None):
        """Record a fitted shape, then fail when told to."""
        self.n_features_in_ = 3
        self.fitted_value_ = np.mean(X)
        self._private_seed_ = 7  # check_is_fitted counts it as fitted
        self._private = "kept"
        if self.fail:
            raise RuntimeError("fit failed after recording its shape")
        return self


def test_unfitted_on_error_removes_fitted_attributes():
    est = _Failing().fit([1.0, 3.0])
    assert est.fitted_value_ == 2.0 and est.n_features_in_ == 3
    assert _Failing.fit.__name__ == "fit"
    assert _Failing.fit.__doc__.startswith("Record a fitted shape")
    est.set_params(fail=True)
    with pytest.raises(RuntimeError, match="fit failed after recording its shape"):
        est.fit([5.0])
    # neither this fit's attributes nor the earlier fit's are left behind
    assert not hasattr(est, "fitted_value_") and not hasattr(est, "n_features_in_")
    assert not hasattr(est, "_private_seed_")
    assert est.fail is True and est._private == "kept"  # parameters, private state
    with pytest.raises(NotFittedError):
        check_is_fitted(est)


def _fitting_methods():
    from skseq.utils.discovery import all_estimators

    for name, cls in all_estimators():
        for method in ("fit", "fit_transform", "fit_resample", "partial_fit"):
            func = getattr(cls, method, None)
            if func is not None and func.__module__.startswith("skseq"):
                yield pytest.param(cls, method, id=f"{name}.{method}")


@pytest.mark.parametrize(("cls", "method"), list(_fitting_methods()))
def test_every_fitting_method_leaves_no_half_fitted_state(cls, method):
    # each fitting method that skseq defines resets the fitted attributes
    # when it raises: through unfitted_on_error, or, for the deep
    # estimators' fit, its own handler (which restores a continued fit)
    from skseq.estimators._base import BaseDeepEstimator

    func = getattr(cls, method)
    if func is BaseDeepEstimator.fit:
        return
    while getattr(func, "_wraps_table_output", False):  # ArrayOutputMixin's
        func = func.__wrapped__
    assert func.__code__ is unfitted_on_error(lambda self: None).__code__, (
        f"{cls.__name__}.{method} is not wrapped by unfitted_on_error"
    )


# ------------------------------------------------------ parameter constraints
@pytest.mark.parametrize(
    ("constraint", "accepted", "refused"),
    [
        (positive_int(), [1, 7, np.int64(3)], [0, -1, 2.5, 1.0, "1", None]),
        (non_negative_int(), [0, 1, np.int32(4)], [-1, 0.0, 0.5, "0", None]),
        (fraction(), [0, 0.0, 0.5, np.float32(0.25)], [1, 1.0, -0.1, 2.5, None]),
        (fraction("both"), [0.0, 0.5, 1.0], [1.5, -0.1, None]),
        (fraction("neither"), [0.5], [0.0, 1.0]),
    ],
)
def test_interval_constraints_accept_and_refuse(constraint, accepted, refused):
    assert [constraint.is_satisfied_by(v) for v in accepted] == [True] * len(accepted)
    assert [constraint.is_satisfied_by(v) for v in refused] == [False] * len(refused)


def test_positive_int_sequence_accepts_and_refuses():
    rule = positive_int_sequence("a tuple of positive ints")
    assert str(rule) == "a tuple of positive ints"
    for value in [(1, 2), [3], np.array([1, 2]), (np.int64(2),)]:
        assert rule.is_satisfied_by(value), value
    for value in [(), [], (1, 0), (1, 2.0), (True,), np.array([[1]]), 3, "12"]:
        assert not rule.is_satisfied_by(value), value
    empty_ok = positive_int_sequence("sizes", allow_empty=True)
    assert empty_ok.is_satisfied_by(()) and empty_ok.is_satisfied_by([])
    assert not empty_ok.is_satisfied_by((0,))


def test_rule_predicate_that_raises_is_unsatisfied():
    rule = Rule(lambda v: v.startswith("cuda"), "a device string")
    assert rule.is_satisfied_by("cuda:0") is True
    assert rule.is_satisfied_by("cpu") is False
    assert rule.is_satisfied_by(3) is False  # int has no startswith: not raised
    assert str(rule) == "a device string"


class _Constrained(BaseEstimator):
    _parameter_constraints: ClassVar[dict] = {
        "channels": [positive_int_sequence("a tuple of positive ints")],
        "n": [positive_int()],
        "f": [fraction()],
    }

    def __init__(self, channels=(4,), n=1, f=0.0):
        self.channels = channels
        self.n = n
        self.f = f


@pytest.mark.parametrize(
    ("params", "match"),
    [
        (
            {"channels": (0,)},
            re.escape("'channels' parameter of _Constrained must be a tuple of "),
        ),
        ({"n": 0}, re.escape("'n' parameter of _Constrained must be an int in")),
        ({"f": 1.0}, re.escape("must be a float in the range [0.0, 1.0). Got 1.0")),
    ],
)
def test_constraints_name_the_rule_in_scikit_learn_errors(params, match):
    _Constrained()._validate_params()  # the defaults satisfy every rule
    with pytest.raises(InvalidParameterError, match=match):
        _Constrained(**params)._validate_params()


# ------------------------------------------------------------ ArrayOutputMixin
def _table_transformers():
    from skseq.preprocessing import (
        DerivativeIntegralFeatures,
        KeypointNormalizer,
        LogTransformer,
        RollAugmenter,
    )

    return [
        LogTransformer(),
        RollAugmenter(random_state=0),
        DerivativeIntegralFeatures(),
        KeypointNormalizer(root_joint=0, reference=(0, 1), flip_pairs=()),
    ]


@pytest.mark.parametrize(
    "transformer", _table_transformers(), ids=lambda t: type(t).__name__
)
def test_set_output_makes_2d_outputs_dataframes(transformer):
    """A table out of a sequence transformer follows set_output, as scikit-learn's do."""
    import pandas as pd
    import sklearn
    from sklearn.base import clone

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.random((6, 8)) + 0.1, index=list("uvwxyz"))
    X.columns = [f"c{i}" for i in range(8)]
    expected = clone(transformer).fit_transform(X)  # numpy by default
    assert isinstance(expected, np.ndarray) and expected.ndim == 2
    est = clone(transformer).set_output(transform="pandas")
    for out in (est.fit_transform(X), est.transform(X)):
        assert isinstance(out, pd.DataFrame)
        assert list(out.columns) == list(est.get_feature_names_out())
        assert list(out.index) == list("uvwxyz")
    np.testing.assert_allclose(est.fit_transform(X).to_numpy(), expected)
    with sklearn.config_context(transform_output="pandas"):
        assert isinstance(clone(transformer).fit_transform(X), pd.DataFrame)
    assert isinstance(est.set_output(transform="default").transform(X), np.ndarray)


def test_set_output_passes_scikit_learns_pandas_checks_and_refuses_unknown():
    import warnings

    from sklearn.utils.estimator_checks import (
        check_global_output_transform_pandas,
        check_set_output_transform_pandas,
    )

    from skseq.preprocessing import LogTransformer, RollAugmenter

    for est in (LogTransformer(), RollAugmenter(random_state=0)):
        with warnings.catch_warnings():  # the checks mix DataFrames and arrays
            warnings.simplefilter("ignore", UserWarning)
            check_set_output_transform_pandas(type(est).__name__, est)
            check_global_output_transform_pandas(type(est).__name__, est)
    with pytest.raises(ValueError, match=r"transform must be one of .*'bogus'"):
        LogTransformer().set_output(transform="bogus")


def test_feature_names_out_pass_scikit_learns_checks():
    import warnings

    from sklearn.utils.estimator_checks import (
        check_transformer_get_feature_names_out,
        check_transformer_get_feature_names_out_pandas,
    )

    from skseq.baselines import SequenceFlattener, SequenceSummarizer
    from skseq.preprocessing import (
        DerivativeIntegralFeatures,
        LogTransformer,
        RollAugmenter,
    )

    # names of another length, and names other than the fitted DataFrame's
    # columns, are refused in scikit-learn's words (RollAugmenter took the
    # latter; the length messages had skseq's own wording)
    for est in (
        LogTransformer(),
        RollAugmenter(random_state=0),
        DerivativeIntegralFeatures(),
        SequenceFlattener(),
        SequenceSummarizer(),
    ):
        with warnings.catch_warnings():  # the checks mix DataFrames and arrays
            warnings.simplefilter("ignore", UserWarning)
            check_transformer_get_feature_names_out(type(est).__name__, est)
            check_transformer_get_feature_names_out_pandas(type(est).__name__, est)


def test_keypoint_names_must_be_the_fitted_columns():
    import pandas as pd

    from skseq.preprocessing import KeypointNormalizer

    frames = pd.DataFrame(
        np.random.default_rng(0).random((6, 4)), columns=["ax", "ay", "bx", "by"]
    )
    est = KeypointNormalizer(root_joint=0, reference=(0, 1)).fit(frames)
    assert list(est.get_feature_names_out()) == ["ax", "ay", "bx", "by"]
    with pytest.raises(ValueError, match="input_features is not equal to feature"):
        est.get_feature_names_out(["w", "x", "y", "z"])


def test_pipeline_pandas_columns_are_its_feature_names_out():
    import pandas as pd
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from skseq.preprocessing import LogTransformer

    X = pd.DataFrame(np.random.default_rng(0).random((6, 3)), columns=list("abc"))
    model = make_pipeline(LogTransformer(), StandardScaler())
    out = model.set_output(transform="pandas").fit_transform(X)
    assert list(out.columns) == list(model.get_feature_names_out()) == list("abc")


@pytest.mark.parametrize(
    "param", ["max_epochs", "batch_size", "patience", "lr", "gradient_clip"]
)
def test_a_bool_is_not_a_number_of_the_training_arguments(param):
    from numbers import Real

    from sklearn.utils._param_validation import InvalidParameterError

    from skseq import Conv1DActivityClassifier
    from skseq.base import NumberInterval, positive_int

    # True was taken for 1 (patience=True stopped after one epoch)
    X = np.random.default_rng(0).normal(size=(8, 16, 1))
    with pytest.raises(InvalidParameterError, match=f"'{param}' parameter"):
        Conv1DActivityClassifier(**{param: True}).fit(X, np.arange(8) % 2)
    assert positive_int().is_satisfied_by(np.int64(3))
    assert not positive_int().is_satisfied_by(np.True_)
    assert not NumberInterval(Real, 0, 1, closed="both").is_satisfied_by(False)
