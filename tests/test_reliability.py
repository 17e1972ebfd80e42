"""Reliability suite: every public estimator is enrolled through the registry.

For each class returned by :func:`skseq.utils.discovery.all_estimators` this
module runs a bad-input matrix, persistence and determinism checks on tiny
configurations (``_get_test_params`` where the class has one). A new public
class is tested automatically; one that needs special data (a DataFrame
transformer, a sampler) is listed in ``SPECIAL_DATA`` with its reason.
"""

from __future__ import annotations

import io
import pickle
import warnings
from numbers import Integral

import joblib
import numpy as np
import pandas as pd
import pytest
import sklearn
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone, is_classifier
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils import get_tags
from sklearn.utils._param_validation import Interval, InvalidParameterError
from sklearn.utils.estimator_checks import check_param_validation
from sklearn.utils.validation import check_is_fitted
from skorch.callbacks import Callback

from skseq.base import input_layout
from skseq.ensemble import FoldEnsembleClassifier
from skseq.estimators._base import (
    TRAINING_PARAMETER_CONSTRAINTS,
    BaseDeepEstimator,
    NonFiniteLossError,
)
from skseq.preprocessing import LogTransformer
from skseq.utils.discovery import all_estimators
from skseq.utils.estimator_checks import _all_finite, make_test_data

#: classes whose input is not a numeric array; tested in their own modules
SPECIAL_DATA = {
    "Heatmapper": "takes a traffic table (DataFrame), tested in test_heatmap.py",
    "RollOversampler": "a sampler (fit_resample), tested in test_augment.py",
    "FoldEnsembleClassifier": "meta-estimator; needs an inner estimator (test_ensemble.py)",
}


def _instances():
    for name, cls in all_estimators():
        if name in SPECIAL_DATA:
            continue
        params = cls._get_test_params() if hasattr(cls, "_get_test_params") else [{}]
        yield name, cls(**params[0])


INSTANCES = list(_instances())
IDS = [name for name, _ in INSTANCES]
ESTIMATORS = [est for _, est in INSTANCES]
DEEP = [est for est in ESTIMATORS if isinstance(est, BaseDeepEstimator)]
DEEP_IDS = [type(est).__name__ for est in DEEP]


def _fit(est, X, y):
    return est.fit(X) if y is None else est.fit(X, y)


def _out(est, X):
    return est.predict(X) if hasattr(est, "predict") else est.transform(X)


def _is_deep(est) -> bool:
    return isinstance(est, BaseDeepEstimator)


def _frames(est) -> bool:
    return input_layout(est) == "frames"


def _bad_fit_cases(est):
    """(case, X, y) triples that must raise ValueError/TypeError in fit."""
    X, y = make_test_data(est)
    cases = [
        ("1d", X.ravel()[:10], None if y is None else y[:10]),
        ("6d", X.reshape(X.shape + (1,) * (6 - X.ndim)), y),
        ("zero_samples", X[:0], None if y is None else y[:0]),
        ("zero_length_time_axis", X[:, :0], y),
        ("nan", _with(X, np.nan), y),
        ("+inf", _with(X, np.inf), y),
        ("-inf", _with(X, -np.inf), y),
        ("strings", X.astype(str), y),
        ("object_with_string", _object_with_string(X), y),
        ("complex", X + 1j, y),
        ("bool", X > 0.5, y),
        (
            "ragged_list",
            [list(map(list, X[0])), list(map(list, X[1][:-1]))],
            None if y is None else y[:2],
        ),
    ]
    if _frames(est):
        cases += [
            ("2d_for_frames", X[:, 0, 0], y),
            ("3d_for_frames", X[:, 0], y),
            ("dataframe_for_frames", pd.DataFrame(X[:, 0, 0]), y),
        ]
    if y is not None:
        cases += [
            ("y_length_mismatch", X, y[:-1]),
            ("y_none", X, None),
        ]
        if is_classifier(est):
            y_nan = (
                y.astype(float)
                if y.dtype.kind in "fi"
                else np.where(y == y[0], 0, 1).astype(float)
            )
            y_nan[0] = np.nan
            cases += [
                ("y_with_nan", X, y_nan),
                ("single_class", X, np.zeros(len(X))),
                ("continuous_y", X, np.linspace(0, 1, len(X))),
            ]
        else:
            y_nan = y.copy()
            y_nan.flat[0] = np.nan
            cases += [
                ("y_with_nan", X, y_nan),
                ("y_wrong_rank", X, y.reshape(len(y), -1)),
            ]
    return cases


def _with(X, value):
    X = X.astype(float).copy()
    X.flat[3] = value
    return X


def _object_with_string(X):
    X = X.astype(object)
    X.flat[0] = "3.0 mm"
    return X


#: the message of the cases whose error must name the actual problem
_FIT_MATCH = {
    "ragged_list": "could not be turned into a regular array",
    "y_none": "requires y to be passed",
}


def _bad_fit_params():
    return [
        pytest.param(est, case, X, y, id=f"{name}-{case}")
        for name, est in INSTANCES
        for case, X, y in _bad_fit_cases(est)
    ]


@pytest.mark.parametrize("param, case, X, y", _bad_fit_params())
def test_bad_input_in_fit_raises_clear_error(param, case, X, y):
    est = clone(param)
    if case == "6d" and isinstance(est, LogTransformer):
        pytest.skip("LogTransformer is elementwise and takes any rank")
    if case == "nan" and est.__sklearn_tags__().input_tags.allow_nan:
        pytest.skip("NaN is documented as missing data for this estimator")
    with pytest.raises((ValueError, TypeError), match=_FIT_MATCH.get(case)) as info:
        if case == "y_none":
            est.fit(X, None)  # explicitly, not fit(X) with y left out
        else:
            _fit(est, X, y)
    message = str(info.value)
    assert len(message) > 15, f"uninformative message for {case}: {message!r}"
    with pytest.raises(NotFittedError):
        check_is_fitted(est)


def _bad_predict_cases(est):
    X, _ = make_test_data(est)
    cases = [
        ("nan", _with(X, np.nan)),
        ("inf", _with(X, np.inf)),
        ("strings", X.astype(str)),
        ("wrong_rank", X[..., None, None]),
        ("fewer_channels_or_smaller_frames", X[..., :-1]),
        ("zero_samples", X[:0]),
    ]
    if _frames(est):
        cases.append(("fewer_frames", X[:, 1:]))
    return cases


@pytest.mark.parametrize(
    "param, case, X_bad",
    [
        pytest.param(est, case, Xb, id=f"{name}-{case}")
        for name, est in INSTANCES
        for case, Xb in _bad_predict_cases(est)
    ],
)
def test_bad_input_at_predict_raises_clear_error(param, case, X_bad):
    est = clone(param)
    X, y = make_test_data(est)
    _fit(est, X, y)
    if case == "nan" and est.__sklearn_tags__().input_tags.allow_nan:
        pytest.skip("NaN is documented as padding for this estimator")
    if case == "wrong_rank" and isinstance(est, LogTransformer):
        pytest.skip("LogTransformer is elementwise and takes any rank")
    if case == "fewer_channels_or_smaller_frames" and getattr(
        est, "_any_frame_size", False
    ):
        # fully convolutional frame estimators predict on any H x W (issue 15)
        assert _out(est, X_bad).shape[-2:] == X_bad.shape[-2:]
        return
    if case == "fewer_channels_or_smaller_frames" and not _is_deep(est):
        if not hasattr(est, "n_features_in_"):
            pytest.skip("stateless transformer: any channel count is valid")
    with pytest.raises((ValueError, TypeError)) as info:
        _out(est, X_bad)
    assert len(str(info.value)) > 15


@pytest.mark.parametrize("param", ESTIMATORS, ids=IDS)
def test_accepted_dtypes_and_memory_layouts(param):
    X, y = make_test_data(param)
    variants = {
        "float16": X.astype(np.float16),
        "int64": (X * 10).astype(np.int64),
        "float32_fortran": np.asfortranarray(X.astype(np.float32)),
        "non_contiguous": np.repeat(X, 2, axis=0)[::2],
    }
    for name, X_var in variants.items():
        out = _out(_fit(clone(param), X_var, y), X_var)
        assert _all_finite(out), name


@pytest.mark.parametrize("param", DEEP, ids=DEEP_IDS)
def test_huge_values_never_give_silent_nan(param):
    X, y = make_test_data(param)
    est = clone(param)
    try:
        out = _out(
            _fit(
                est,
                X * 1e30,
                None if y is None else (y if is_classifier(est) else y * 1e30),
            ),
            X * 1e30,
        )
    except (ValueError, TypeError) as exc:  # NonFiniteLossError is a ValueError
        assert "loss" in str(exc) or "infinity" in str(exc) or "too large" in str(exc)
        with pytest.raises(NotFittedError):
            check_is_fitted(est)
    else:
        assert _all_finite(out)


@pytest.mark.parametrize("param", ESTIMATORS, ids=IDS)
def test_persistence_fitted_and_unfitted(param):
    X, y = make_test_data(param)
    for est in (clone(param), _fit(clone(param), X, y)):
        for restored in (_pickle(est), _joblib(est)):
            assert restored.get_params().keys() == est.get_params().keys()
            if hasattr(est, "n_features_in_"):
                np.testing.assert_array_equal(_out(restored, X), _out(est, X))
            else:
                with pytest.raises(NotFittedError):
                    check_is_fitted(restored)


def _pickle(obj):
    return pickle.loads(pickle.dumps(obj))


def _joblib(obj):
    buffer = io.BytesIO()
    joblib.dump(obj, buffer)
    buffer.seek(0)
    return joblib.load(buffer)


@pytest.mark.parametrize("param", ESTIMATORS, ids=IDS)
def test_clone_is_unfitted_with_equal_params(param):
    X, y = make_test_data(param)
    fitted = _fit(clone(param), X, y)
    copy = clone(fitted)
    assert copy.get_params().keys() == fitted.get_params().keys()
    with pytest.raises(NotFittedError):
        check_is_fitted(copy)


@pytest.mark.parametrize("param", DEEP, ids=DEEP_IDS)
def test_determinism_and_random_state_none(param):
    X, y = make_test_data(param)
    a = _out(_fit(clone(param).set_params(random_state=11), X, y), X)
    b = _out(_fit(clone(param).set_params(random_state=11), X, y), X)
    np.testing.assert_array_equal(a, b)
    est = clone(param).set_params(random_state=None)
    if "clip_output" in est.get_params():
        # two different tiny networks can both fall below the smallest target,
        # and the clip would then map both to the same constant frame
        est.set_params(clip_output=False)
    outs = [
        est.fit(X, y).predict_proba(X)
        if is_classifier(est)
        else est.fit(X, y).predict(X)
        for _ in range(2)
    ]
    assert not np.array_equal(outs[0], outs[1])


@pytest.mark.parametrize("param", DEEP, ids=DEEP_IDS)
def test_unseen_labels_and_score(param):
    est = clone(param)
    X, y = make_test_data(est)
    _fit(est, X, y)
    pred = est.predict(X)
    if is_classifier(est):
        assert est.score(X, y) == pytest.approx(np.mean(pred == y))
        y_unseen = y.copy()
        y_unseen[0] = "never seen"
        # sklearn semantics: a label never seen in fit is counted as wrong
        correct = np.sum(pred[1:] == y[1:])
        assert est.score(X, y_unseen) == pytest.approx(correct / len(y))
    else:
        score = est.score(X, y)
        assert np.isfinite(score)
        expected = 1 - np.sum((y - pred) ** 2) / np.sum((y - y.mean()) ** 2)
        assert score == pytest.approx(expected, rel=1e-4, abs=1e-6)


# ---------------------------------------------------------------------- fuzzing
_FITTED: dict[str, object] = {}


def _fitted(name_and_est):
    name, est = name_and_est
    if name not in _FITTED:
        X, y = make_test_data(est)
        _FITTED[name] = _fit(clone(est), X, y)
    return _FITTED[name]


_DTYPES = st.sampled_from(
    [
        np.float64,
        np.float32,
        np.float16,
        np.int64,
        np.bool_,
        np.complex128,
        "str",
        object,
    ]
)


@st.composite
def _arrays(draw):
    ndim = draw(st.integers(0, 6))
    shape = tuple(draw(st.lists(st.integers(0, 5), min_size=ndim, max_size=ndim)))
    dtype = draw(_DTYPES)
    values = draw(st.sampled_from(["normal", "nan", "inf", "huge", "zeros"]))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    a = rng.normal(size=shape)
    if values == "nan" and a.size:
        a.flat[0] = np.nan
    elif values == "inf" and a.size:
        a.flat[-1] = np.inf
    elif values == "huge":
        a = a * 1e30
    elif values == "zeros":
        a = np.zeros(shape)
    if dtype == "str":
        return a.astype(str)
    with np.errstate(all="ignore"):
        return a.astype(dtype)


@pytest.mark.parametrize("entry", INSTANCES, ids=IDS)
@settings(max_examples=30, deadline=None)
@given(X=_arrays())
def test_fuzzed_predict_gives_output_or_documented_error(entry, X):
    """Random ranks, sizes, dtypes and values: a valid output or a clear error."""
    est = _fitted(entry)
    try:
        out = _out(est, X)
    except (ValueError, TypeError) as exc:
        assert len(str(exc)) > 15
        return
    out = np.asarray(out)
    assert len(out) == len(X)
    if out.dtype.kind == "f" and X.dtype.kind in "fiu" and np.isfinite(X).all():
        if np.abs(X).max(initial=0) < 1e6:
            assert np.isfinite(out).all(), "silent NaN/inf from finite input"


# ------------------------------------------------------------ hardened core
# Each test below covers one class of defects for every enrolled estimator.


class _PoisonWeights(Callback):
    """Sets the weights to ``value`` when training ends (a last step gone bad)."""

    def __init__(self, value=float("nan")):
        self.value = value

    def on_train_end(self, net, **kwargs):
        with torch.no_grad():
            for param in net.module_.parameters():
                param.fill_(self.value)


def _quiet(est):
    """No early stopping or schedule: the epochs and lr asked for are the ones run."""
    params = {"patience": None, "lr_schedule": None, "verbose": 0}
    return clone(est).set_params(**params)


def _fitted_names(est):
    return sorted(k for k in vars(est) if k.endswith("_") and not k.startswith("_"))


def _special_instances():
    from skseq.preprocessing import Heatmapper, RollOversampler

    return [Heatmapper(), RollOversampler(), _ensemble()]


def _ensemble():
    inner = next(e for e in DEEP if type(e).__name__ == "Conv1DActivityClassifier")
    return FoldEnsembleClassifier(clone(inner), cv=2, random_state=0)


#: every public class, those with special data included
CONSTRAINED = [*ESTIMATORS, *_special_instances()]
CONSTRAINED_IDS = [type(est).__name__ for est in CONSTRAINED]


def test_registry_covers_every_public_class():
    assert sorted(CONSTRAINED_IDS) == [name for name, _ in all_estimators()]


@pytest.mark.parametrize("param", CONSTRAINED, ids=CONSTRAINED_IDS)
def test_every_constructor_argument_is_validated_declaratively(param):
    """scikit-learn's own check: one constraint per argument, bad types and
    values (including 0 for counts) refused with InvalidParameterError."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_param_validation(type(param).__name__, clone(param))


_BAD_SHARED_VALUES = [
    ("device", "CUDA"),
    ("device", "gpu"),
    ("device", 0),
    ("callbacks", "x"),
    ("callbacks", [1]),
    ("callbacks", [("name", "not a callback")]),
    ("lr", 0.0),
    ("lr", float("nan")),
    ("lr", -np.float32(1)),
    ("batch_size", 0),
    ("batch_size", 2.5),
    ("max_epochs", 0),
    ("max_epochs", "many"),
    ("validation_fraction", 1.0),
    ("patience", 0),
    ("optimizer", "sgdd"),
    ("optimizer", torch.nn.Linear),
    ("weight_decay", -1e-3),
    ("warm_start", "yes"),
    ("random_state", "x"),
    ("accelerator", "cuda"),
]


@pytest.mark.parametrize("param", DEEP, ids=DEEP_IDS)
def test_bad_shared_arguments_refused_before_any_torch_code(param, monkeypatch):
    X, y = make_test_data(param)

    def no_torch(*args, **kwargs):
        raise AssertionError("a network was built before the arguments were checked")

    monkeypatch.setattr(type(param), "_build_module", no_torch)
    for name, value in _BAD_SHARED_VALUES:
        est = clone(param).set_params(**{name: value})
        with pytest.raises(InvalidParameterError, match=f"'{name}' parameter"):
            est.fit(X, y)
        with pytest.raises(NotFittedError):
            check_is_fitted(est)


@pytest.mark.parametrize("param", ESTIMATORS, ids=IDS)
def test_numpy_scalars_accepted_wherever_python_numbers_are(param):
    X, y = make_test_data(param)
    est = clone(param)
    for name, value in est.get_params(deep=False).items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        est.set_params(
            **{name: (np.int64 if isinstance(value, int) else np.float32)(value)}
        )
    if _is_deep(est):
        # lr may be "auto" (KeypointLSTMClassifier): a numpy learning rate too
        est.set_params(lr=np.float32(3e-3), batch_size=np.int64(est.batch_size))
    assert _all_finite(_out(_fit(est, X, y), X))


#: arguments valid alone, invalid together or for the data: refused before training
_BAD_COMBINATIONS = {
    "KeypointLSTMClassifier": [
        ({"lr_schedule": "step", "lr_step_size": None}, "lr_step_size")
    ],
    "ConvLSTMForecaster": [
        ({"encoder_decoder": False, "attention": True}, "encoder_decoder=True"),
        ({"kernel_size": 4}, "odd"),
    ],
    "UNetNowcaster": [
        ({"residual": "prior", "advection_prior": False}, "advection_prior"),
        ({"depth": 5}, "depth"),  # 2**5 = 32 > the 9 x 11 test frames
    ],
}


@pytest.mark.parametrize(
    "param, params, match",
    [
        pytest.param(est, params, match, id=f"{type(est).__name__}-{match}")
        for est in DEEP
        for params, match in _BAD_COMBINATIONS.get(type(est).__name__, [])
    ],
)
def test_bad_combinations_refused_before_training(param, params, match, monkeypatch):
    X, y = make_test_data(param)
    est = clone(param).set_params(**params)

    def no_torch(*args, **kwargs):
        raise AssertionError("a network was built before the arguments were checked")

    monkeypatch.setattr(type(est), "_build_module", no_torch)
    with pytest.raises(ValueError, match=match):
        est.fit(X, y)
    with pytest.raises(NotFittedError):
        check_is_fitted(est)


@pytest.mark.parametrize("param", DEEP, ids=DEEP_IDS)
@pytest.mark.parametrize(
    "case",
    ["nan_weights_after_last_step", "huge_weights_after_last_step", "sgd_lr_1e10"],
)
def test_fit_never_returns_non_finite_weights_or_outputs(param, case):
    X, y = make_test_data(param)
    est = _quiet(param)
    if case == "sgd_lr_1e10":  # issue 13, defect 1
        est.set_params(optimizer="sgd", lr=1e10, max_epochs=1)
    else:
        value = np.nan if case.startswith("nan") else 1e30
        est.set_params(callbacks=[_PoisonWeights(value)])
    try:
        est.fit(X, y)
    except NonFiniteLossError as exc:
        assert "NaN or infinity" in str(exc) or "loss became" in str(exc)
        assert _fitted_names(est) == []
        with pytest.raises(NotFittedError):
            check_is_fitted(est)
    else:
        assert case != "nan_weights_after_last_step"
        assert _all_finite(_out(est, X))
        if is_classifier(est):
            assert _all_finite(est.predict_proba(X))


@pytest.mark.parametrize("param", DEEP, ids=DEEP_IDS)
def test_warm_start_continues_with_the_current_training_arguments(param):
    X, y = make_test_data(param)
    est = _quiet(param).set_params(max_epochs=2, warm_start=True)
    est.fit(X, y)
    first_weights = [p.detach().clone() for p in est.module_.parameters()]
    est.set_params(max_epochs=1, lr=1e-4, batch_size=5)
    est.fit(X[:8], y[:8], validation_data=(X[8:], y[8:]))
    assert est.n_epochs_ == 3 and est.max_epochs_ == 1
    assert est.net_.optimizer_.param_groups[0]["lr"] == pytest.approx(1e-4)
    assert est.net_.batch_size == 5
    assert "valid_loss" in est.history_[-1]
    assert "valid_loss" not in est.history_[0]
    changed = [
        not torch.equal(a, b) for a, b in zip(first_weights, est.module_.parameters())
    ]
    assert any(changed), "the continued fit did not train the same network"
    # a weighted continuation of an unweighted fit keeps the optimizer state
    state = est.net_.optimizer_.state_dict()["state"]
    est.fit(X, y, sample_weight=np.linspace(0.5, 1.5, len(X)))
    assert est.n_epochs_ == 4 and est.net_.criterion_.reduction == "none"
    assert est.net_.optimizer_.state_dict()["state"].keys() == state.keys()
    assert _all_finite(_out(est, X))


@pytest.mark.parametrize("param", DEEP, ids=DEEP_IDS)
def test_bad_validation_data_is_named_x_valid(param):
    X, y = make_test_data(param)
    X_wrong_shape = X[8:, :-1] if X.ndim == 3 else X[8:, :1]
    X_nan = np.full_like(X[8:], np.nan, dtype=np.float64)
    for X_valid, match in [(X_wrong_shape, "X_valid has"), (X_nan, "X_valid")]:
        est = _quiet(param)
        with pytest.raises(ValueError, match=match) as info:
            est.fit(X[:8], y[:8], validation_data=(X_valid, y[8:]))
        assert "X has" not in str(info.value) and "Input X " not in str(info.value)
        assert _fitted_names(est) == []


def _architecture_change(est):
    """One argument that shapes the network, changed to another valid value."""
    for name, constraints in type(est)._parameter_constraints.items():
        value = getattr(est, name)
        if name in TRAINING_PARAMETER_CONSTRAINTS or isinstance(value, bool):
            continue
        if isinstance(value, int) and any(
            isinstance(c, Interval) and c.type is Integral for c in constraints
        ):
            return {name: value + 1}
    raise AssertionError(f"{type(est).__name__} has no integer architecture argument")


@pytest.mark.parametrize("param", DEEP, ids=DEEP_IDS)
def test_rejected_warm_start_leaves_the_fitted_model_intact(param):
    X, y = make_test_data(param)
    est = _quiet(param).set_params(warm_start=True)
    est.fit(X, y)
    before = _out(est, X)
    n_epochs, names = est.n_epochs_, _fitted_names(est)
    rejections = [
        ("other shape", {}, (X[..., :-1], y), "warm_start"),
        ("architecture changed", _architecture_change(est), (X, y), "warm_start"),
        ("device changed", {"device": "cuda:7"}, (X, y), "warm_start"),
        ("diverged", {"callbacks": [_PoisonWeights()]}, (X, y), "NaN or infinity"),
        ("bad sample_weight", {}, (X, y, -np.ones(len(X))), "sample_weight"),
    ]
    if is_classifier(est):
        y_new = y.astype(object)
        y_new[0] = "a label never seen"
        rejections.append(("new label", {}, (X, y_new), "classes_"))
    params = est.get_params(deep=False)
    for case, changes, args, match in rejections:
        est.set_params(**changes)
        with pytest.raises(ValueError, match=match):
            est.fit(*args)
        est.set_params(**{k: params[k] for k in changes})
        assert est.n_epochs_ == n_epochs and _fitted_names(est) == names, case
        np.testing.assert_array_equal(_out(est, X), before, err_msg=case)
    # and it can still be continued
    est.set_params(max_epochs=1).fit(X, y)
    assert est.n_epochs_ == n_epochs + 1


@pytest.mark.parametrize("param", DEEP, ids=DEEP_IDS)
@pytest.mark.skipif(torch.cuda.is_available(), reason="simulates a CPU-only machine")
def test_cuda_trained_model_predicts_after_unpickling_on_cpu(param):
    """Set the state a CUDA-trained model has when pickled, then unpickle it here.

    skorch's ``__setstate__`` maps a ``device="cuda"`` net to the CPU on a
    machine without CUDA (with a warning); the estimator must follow.
    """
    X, y = make_test_data(param)
    est = _fit(clone(param), X, y)
    expected = _out(est, X)
    est.device = "cuda"  # the constructor argument it was trained with
    est.net_.device = "cuda"  # what skorch records after training on CUDA
    vars(est)["device_"] = "cuda"  # what skseq <= 0.x stored
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # skorch: "no CUDA devices ... on cpu"
        restored = _pickle(est)
    assert str(restored.net_.device) == "cpu"
    assert restored.device_ == "cpu"
    np.testing.assert_array_equal(_out(restored, X), expected)


@pytest.mark.parametrize("param", ESTIMATORS, ids=IDS)
def test_torch_tensor_input_like_numpy(param):
    X, y = make_test_data(param)
    expected = _out(_fit(clone(param), X, y), X)
    X_t = torch.as_tensor(X)
    y_t = None if y is None or y.dtype.kind not in "fiu" else torch.as_tensor(y)
    out = _out(_fit(clone(param), X_t, y if y_t is None else y_t), X_t)
    if expected.dtype.kind in "fiu":
        np.testing.assert_allclose(
            np.asarray(out, dtype=float), expected, rtol=1e-4, atol=1e-6
        )
    else:
        np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize(
    "param",
    [e for e in ESTIMATORS if get_tags(e).input_tags.two_d_array],
    ids=[n for n, e in INSTANCES if get_tags(e).input_tags.two_d_array],
)
def test_pandas_nullable_input_like_numpy(param):
    X, y = make_test_data(param)
    X2 = X.reshape(len(X), -1)
    expected = _out(_fit(clone(param), X2, y), X2)
    df = pd.DataFrame(X2).astype("Float64")
    y_pd = None if y is None else pd.Series(y, dtype="string")
    out = _out(_fit(clone(param), df, y_pd), df)
    out = out.to_numpy() if hasattr(out, "to_numpy") else np.asarray(out)
    if expected.dtype.kind == "f":
        np.testing.assert_allclose(out.astype(float), expected, rtol=1e-4, atol=1e-6)
    else:
        np.testing.assert_array_equal(out.astype(expected.dtype), expected)


@pytest.mark.parametrize("param", DEEP, ids=DEEP_IDS)
def test_sample_weight_weighs_the_loss(param):
    X, y = make_test_data(param)
    est = clone(param)
    plain = _out(_fit(clone(est), X, y), X)
    ones = _out(clone(est).fit(X, y, sample_weight=np.ones(len(X))), X)
    twos = _out(clone(est).fit(X, y, sample_weight=np.full(len(X), 2.0)), X)
    w = np.random.default_rng(0).random(len(X)) ** 4
    weighted = clone(est).fit(X, y, sample_weight=w)
    np.testing.assert_array_equal(ones, twos)  # only relative weights count
    # a single number weighs every sample the same, as in scikit-learn
    np.testing.assert_array_equal(
        _out(clone(est).fit(X, y, sample_weight=2.0), X), ones
    )
    if plain.dtype.kind == "f":
        np.testing.assert_allclose(ones, plain, rtol=1e-4, atol=1e-5)
        assert not np.allclose(_out(weighted, X), plain)
    else:
        a, b = weighted.predict_proba(X), clone(est).fit(X, y).predict_proba(X)
        assert not np.allclose(a, b)
    for bad, match in [
        (-np.ones(len(X)), "sample_weight contains negative values"),
        (np.ones(len(X) - 1), r"sample_weight must have shape \(12,\)"),
        (np.zeros(len(X)), "sample_weight must not be all zeros"),
    ]:
        refused = clone(est)
        with pytest.raises(ValueError, match=match):
            refused.fit(X, y, sample_weight=bad)
        with pytest.raises(NotFittedError):
            check_is_fitted(refused)


@pytest.mark.parametrize("param", DEEP, ids=DEEP_IDS)
def test_sample_weight_routed_through_pipeline(param):
    X, y = make_test_data(param)
    w = np.random.default_rng(1).random(len(X))
    direct = _out(clone(param).fit(X, y, sample_weight=w), X)
    pipe = make_pipeline(FunctionTransformer(), clone(param))
    step = pipe.steps[-1][0]
    via_step_name = pipe.fit(X, y, **{f"{step}__sample_weight": w})
    np.testing.assert_array_equal(_out(via_step_name, X), direct)
    with sklearn.config_context(enable_metadata_routing=True):
        routed = make_pipeline(
            FunctionTransformer(), clone(param).set_fit_request(sample_weight=True)
        ).fit(X, y, sample_weight=w)
        np.testing.assert_array_equal(_out(routed, X), direct)


@pytest.mark.parametrize(
    "param",
    [e for e in ESTIMATORS if not _is_deep(e)],
    ids=[n for n, e in INSTANCES if not _is_deep(e)],
)
def test_sample_weight_refused_where_unsupported(param):
    X, y = make_test_data(param)
    with pytest.raises(TypeError, match="sample_weight"):
        clone(param).fit(X, y, sample_weight=np.ones(len(X)))


@pytest.mark.parametrize("param", DEEP, ids=DEEP_IDS)
def test_skorch_passthrough_parameters(param):
    X, y = make_test_data(param)
    params = {
        "optimizer": "sgd",
        "optimizer__momentum": 0.9,
        "iterator_train__drop_last": False,
        "iterator_valid__num_workers": 0,
    }
    built = type(param)(**{**param.get_params(deep=False), **params})
    est = clone(param).set_params(**params)
    for candidate in (built, est, clone(est), _pickle(est)):
        assert {k: candidate.get_params()[k] for k in params} == params
    est.fit(X, y)
    assert est.net_.optimizer_.param_groups[0]["momentum"] == 0.9
    assert "optimizer__momentum=0.9" in repr(est)
    with pytest.raises(TypeError, match="unexpected keyword argument 'momentum'"):
        type(param)(momentum=0.9)
    for bad, match in [
        ({"optimizer__lr": 0.1}, "use lr="),
        ({"criterion__reduction": "sum"}, "set by skseq"),
        ({"optimizer__no_such_thing": 1}, "no parameter"),
        ({"iterator_train__no_such_thing": 1}, "no parameter"),
        # the validation iterator serves predict: its rows would be lost
        ({"iterator_valid__drop_last": True}, "cut to whole batches"),
        ({"iterator_valid__shuffle": True}, "shuffled"),
    ]:
        refused = clone(est).set_params(**bad)
        with pytest.raises(ValueError, match=match):
            refused.fit(X, y)


def test_passthrough_parameters_in_grid_search():
    est = next(e for e in DEEP if is_classifier(e))
    X, y = make_test_data(est, n_samples=16)
    grid = [0.3, 0.7]  # neither is SGD's default momentum (0)
    search = GridSearchCV(
        clone(est).set_params(optimizer="sgd"),
        {"optimizer__momentum": grid},
        cv=2,
    ).fit(X, y)
    assert [p["optimizer__momentum"] for p in search.cv_results_["params"]] == grid
    best = search.best_params_["optimizer__momentum"]
    assert best == grid[search.best_index_]
    assert search.best_estimator_.get_params()["optimizer__momentum"] == best
    optimizer = search.best_estimator_.net_.optimizer_
    assert isinstance(optimizer, torch.optim.SGD)
    assert [group["momentum"] for group in optimizer.param_groups] == [best] * len(
        optimizer.param_groups
    )


@pytest.mark.parametrize(
    "param", [*DEEP, _ensemble()], ids=[*DEEP_IDS, "FoldEnsembleClassifier"]
)
def test_failed_refit_leaves_no_stale_fitted_state(param):
    """A fit that raises never leaves the estimator (half-)fitted, even refitted.

    For the estimators that fit in stages (networks, fold models); the
    transformers and baselines validate everything before they set anything,
    so a refused refit leaves their previous, consistent state (as
    scikit-learn's do).
    """
    X, y = make_test_data(param)
    est = _fit(clone(param), X, y)
    with pytest.raises((ValueError, TypeError)):
        _fit(est, _with(X, np.inf), y)
    with pytest.raises(NotFittedError):
        check_is_fitted(est)
    assert _fitted_names(est) == []


def test_fold_ensemble_failing_after_some_folds_is_unfitted(monkeypatch):
    import skseq.ensemble

    X, y = make_test_data(_ensemble())
    first, second = np.arange(6), np.arange(6, 12)
    ens = _ensemble().set_params(cv=[(first, second), (second, first)])
    fold_fit = skseq.ensemble._fit_fold
    fitted_folds = []

    def recording_fit_fold(*args, **kwargs):
        if fitted_folds and fail_second:
            raise RuntimeError("the second fold failed")
        fitted_folds.append(fold_fit(*args, **kwargs))
        return fitted_folds[-1]

    monkeypatch.setattr(skseq.ensemble, "_fit_fold", recording_fit_fold)
    fail_second = False
    ens.fit(X, y)  # fitted first: the failed refit must not leave it fitted
    assert len(ens.estimators_) == 2
    fitted_folds.clear()
    fail_second = True
    with pytest.raises(RuntimeError, match="the second fold failed"):
        ens.fit(X, y)
    assert len(fitted_folds) == 1  # the first fold was fitted, the second failed
    check_is_fitted(fitted_folds[0])
    with pytest.raises(NotFittedError):
        check_is_fitted(ens)
    assert _fitted_names(ens) == []
    # a fold whose training part lacks a class is refused before any fit
    y_bad = y.copy()
    y_bad[second] = y[second[0]]
    fitted_folds.clear()
    with pytest.raises(ValueError, match="lacks the classes"):
        ens.fit(X, y_bad)
    assert fitted_folds == []


TRANSFORMERS = [e for e in ESTIMATORS if hasattr(e, "transform")]


@pytest.mark.parametrize(
    "param", TRANSFORMERS, ids=[type(e).__name__ for e in TRANSFORMERS]
)
def test_pandas_transform_output_does_not_break_3d_transformers(param):
    X, y = make_test_data(param)
    if "random_state" in param.get_params():  # RollAugmenter's fit_transform rolls
        param = clone(param).set_params(random_state=0)
    expected = _fit(clone(param), X, y).transform(X)
    expected_fitted = clone(param).fit_transform(X, y)
    with sklearn.config_context(transform_output="pandas"):
        est = clone(param)
        fitted = est.fit_transform(X) if y is None else est.fit_transform(X, y)
        out = est.transform(X)
    if np.ndim(expected) > 2:
        assert isinstance(out, np.ndarray) and isinstance(fitted, np.ndarray)
    else:
        assert isinstance(out, pd.DataFrame) and isinstance(fitted, pd.DataFrame)
    np.testing.assert_allclose(np.asarray(out), expected)
    np.testing.assert_allclose(np.asarray(fitted), expected_fitted)
    # set_output on the estimator itself works like the global configuration
    est = clone(param)
    assert est.set_output(transform="pandas") is est
    out = _fit(est, X, y).transform(X)
    assert isinstance(out, np.ndarray if np.ndim(expected) > 2 else pd.DataFrame)
    np.testing.assert_allclose(np.asarray(out), expected)


def test_readme_pipeline_under_pandas_transform_output():
    from skseq import Conv1DActivityClassifier
    from skseq.preprocessing import DerivativeIntegralFeatures, RollAugmenter

    X, y = make_test_data(Conv1DActivityClassifier())
    model = make_pipeline(
        DerivativeIntegralFeatures(),
        RollAugmenter(random_state=0),
        Conv1DActivityClassifier(**Conv1DActivityClassifier._get_test_params()[0]),
    )
    expected = clone(model).fit(X, y).predict(X)  # default (numpy) output
    with sklearn.config_context(transform_output="pandas"):
        model.set_output(transform="pandas")
        model.fit(X, y)
        pred = model.predict(X)
        np.testing.assert_array_equal(pred, expected)
        assert model.score(X, y) == pytest.approx(np.mean(pred == y))


def test_bases_are_real_abstract_classes():
    import inspect

    from skseq.baselines import _FrameBaseline
    from skseq.estimators._base import BaseFrameRegressor
    from skseq.estimators.classification import BaseSequenceClassifier

    for base in (BaseDeepEstimator, BaseSequenceClassifier, BaseFrameRegressor):
        assert inspect.isabstract(base), base
        with pytest.raises(TypeError, match="abstract"):
            base()
    assert inspect.isabstract(_FrameBaseline)
    for _, cls in all_estimators():
        assert not inspect.isabstract(cls)


def test_fold_ensemble_passes_sample_weight_to_its_folds():
    from sklearn.neighbors import KNeighborsClassifier

    X, y = make_test_data(_ensemble())
    w = np.linspace(0.1, 2.0, len(X))
    weighted = _ensemble().fit(X, y, sample_weight=w)
    plain = _ensemble().fit(X, y)
    assert not np.allclose(weighted.predict_proba(X), plain.predict_proba(X))
    with pytest.raises(ValueError, match="sample_weight"):
        _ensemble().fit(X, y, sample_weight=w[:-1])
    knn = FoldEnsembleClassifier(KNeighborsClassifier(), cv=2)
    with pytest.raises(TypeError, match="does not take sample_weight"):
        knn.fit(X.reshape(len(X), -1), y, sample_weight=w)
    with pytest.raises(NotFittedError):
        check_is_fitted(knn)


@pytest.mark.parametrize("est", ESTIMATORS, ids=IDS)
def test_input_layout_is_declared(est):
    # every array estimator says which X it reads (skseq.base.input_layout)
    assert input_layout(est) in ("sequences", "frames", "any")


def test_input_layout_of_the_special_estimators():
    from skseq.estimators import UNetNowcaster
    from skseq.preprocessing import Heatmapper, RollOversampler

    assert input_layout(Heatmapper()) is None  # tables
    assert input_layout(RollOversampler()) == "sequences"
    assert input_layout(FoldEnsembleClassifier(UNetNowcaster())) == "frames"
    assert input_layout(FoldEnsembleClassifier(LogTransformer())) == "any"


#: sequence estimators that take 2D input (univariate sequences) as a table
TABLE_INPUT = [
    est
    for est in ESTIMATORS
    if input_layout(est) != "frames" and type(est).__name__ != "KeypointNormalizer"
]


@pytest.mark.parametrize("param", TABLE_INPUT, ids=lambda e: type(e).__name__)
def test_dataframe_column_names_are_recorded_and_checked(param):
    # scikit-learn's rule: feature_names_in_ from a DataFrame fit, an error
    # for other names at predict time, a warning for unnamed input
    X, y = make_test_data(param)
    X = np.abs(X[:, :, 0])  # univariate sequences, non-negative for LogTransformer
    columns = [f"t{t}" for t in range(X.shape[1])]
    frame = pd.DataFrame(X, columns=columns)
    est = _fit(clone(param), frame, y)
    np.testing.assert_array_equal(est.feature_names_in_, columns)
    with pytest.raises(ValueError, match="feature names should match"):
        _out(est, frame[columns[::-1]])
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        _out(est, X)
    assert not hasattr(_fit(est, X, y), "feature_names_in_")  # refit on numpy
