"""ONNX export (skseq.export): graphs checked against predict with onnxruntime.

Every deep estimator of the registry is exported in each of its test
configurations and run by onnxruntime on batches of 1 and several samples;
outputs must match ``predict`` / ``predict_proba`` within 1e-4. Skipped
without the ``export`` extra (onnx, onnxruntime, onnxscript).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

ort = pytest.importorskip("onnxruntime")
onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxscript")

from skseq import (  # noqa: E402
    Conv1DActivityClassifier,
    ConvLSTMForecaster,
    KeypointLSTMClassifier,
    UNetNowcaster,
)
from skseq.baselines import PersistenceForecaster  # noqa: E402
from skseq.export import (  # noqa: E402
    _KeypointNormalize,
    export_module,
    load_weights,
    save_weights,
    to_onnx,
)
from skseq.preprocessing import (  # noqa: E402
    DerivativeIntegralFeatures,
    KeypointNormalizer,
    LogTransformer,
    RollAugmenter,
)
from skseq.utils.discovery import all_estimators  # noqa: E402
from skseq.utils.estimator_checks import make_test_data  # noqa: E402

ATOL = 1e-4


def _deep_configs():
    for name, cls in all_estimators():
        if not hasattr(cls, "_validate_fit_data"):
            continue  # baselines, transformers, meta-estimators
        for k, params in enumerate(cls._get_test_params()):
            yield pytest.param(cls, params, id=f"{name}-{k}")


def _session(model):
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return ort.InferenceSession(model.SerializeToString(), options)


def _run(session, X, dtype=np.float32):
    outputs = session.run(None, {"X": np.asarray(X, dtype=dtype)})
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, outputs))


def _fit(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return est.fit(X, y)


def _check_parity(fitted, session, X, dtype=np.float32):
    """Graph outputs == predict (and predict_proba) on X."""
    out = _run(session, X, dtype)
    if "probabilities" in out:
        np.testing.assert_allclose(
            out["probabilities"], fitted.predict_proba(X), rtol=0, atol=ATOL
        )
        np.testing.assert_array_equal(out["label"], fitted.predict(X))
    else:
        expected = fitted.predict(X)
        assert out["y_pred"].shape == expected.shape
        np.testing.assert_allclose(out["y_pred"], expected, rtol=0, atol=ATOL)
    return out


@pytest.mark.parametrize(("cls", "params"), list(_deep_configs()))
def test_graph_matches_predict_for_every_deep_estimator(cls, params):
    est = cls(**params)
    X, y = make_test_data(est)
    _fit(est, X, y)
    model = to_onnx(est, X[:3])
    assert [i.name for i in model.graph.input] == ["X"]
    session = _session(model)
    for n in (1, 5, len(X)):
        out = _check_parity(est, session, X[:n])
        assert len(next(iter(out.values()))) == n
    if hasattr(est, "classes_"):
        assert [o.name for o in model.graph.output] == ["probabilities", "label"]
    else:
        assert [o.name for o in model.graph.output] == ["y_pred"]


def test_registry_has_the_four_deep_estimators():
    names = {p.values[0].__name__ for p in _deep_configs()}
    assert {
        "Conv1DActivityClassifier",
        "KeypointLSTMClassifier",
        "ConvLSTMForecaster",
        "UNetNowcaster",
    } <= names


def test_univariate_2d_sequences():
    X, y = make_test_data(Conv1DActivityClassifier())
    X = X[:, :, 0]  # (n, T): one channel
    params = KeypointLSTMClassifier._get_test_params()[0]
    clf = _fit(KeypointLSTMClassifier(**params), X, y)
    model = to_onnx(clf, X[:2])
    assert len(model.graph.input[0].type.tensor_type.shape.dim) == 2
    _check_parity(clf, _session(model), X)


def test_tensor_examples():
    import torch

    X, y = make_test_data(Conv1DActivityClassifier())
    params = KeypointLSTMClassifier._get_test_params()[0]
    clf = _fit(KeypointLSTMClassifier(**params), X, y)
    for example in (
        torch.tensor(X[:2], requires_grad=True),
        torch.tensor(X[:2]).to(torch.bfloat16),
    ):
        _check_parity(clf, _session(to_onnx(clf, example)), X)


def test_integer_labels_and_path(tmp_path):
    X, y = make_test_data(Conv1DActivityClassifier())
    y = np.where(y == "high", 7, 3)
    clf = _fit(
        Conv1DActivityClassifier(**Conv1DActivityClassifier._get_test_params()[0]), X, y
    )
    path = tmp_path / "clf.onnx"
    model = to_onnx(clf, X[:2], path)
    assert path.exists()
    session = ort.InferenceSession(str(path))
    out = _check_parity(clf, session, X)
    assert out["label"].dtype == np.int64
    assert onnx.load(str(path)).graph.output[1].name == "label"
    assert model.graph.output[1].name == "label"
    props = {p.key: p.value for p in model.metadata_props}
    assert props["classes"] == "[3, 7]"
    assert props["skseq_model"] == "Conv1DActivityClassifier"


@pytest.mark.parametrize(
    ("cls", "params"),
    [
        (Conv1DActivityClassifier, {"channels": (4, 4), "kernel_size": 3}),
        (KeypointLSTMClassifier, {"hidden_size": 4, "head": "flatten"}),
        (KeypointLSTMClassifier, {"hidden_size": 4, "head": "last"}),
        (KeypointLSTMClassifier, {"hidden_size": 4, "head": "max", "n_layers": 2}),
        (KeypointLSTMClassifier, {"hidden_size": 4, "head": "mean", "patch_length": 3}),
        (
            KeypointLSTMClassifier,
            {"hidden_size": 4, "front_end": "conv", "conv_channels": (4, 4)},
        ),
    ],
    ids=[
        "conv1d",
        "lstm-flatten",
        "lstm-last",
        "lstm-max",
        "lstm-mean-patches",
        "lstm-conv-front-end",
    ],
)
def test_nan_padded_sequences_in_the_graph(cls, params):
    est = cls(**params, head_units=4, max_epochs=2, random_state=0)
    X, y = make_test_data(est)
    _fit(est, X, y)
    X_padded = X.copy()
    X_padded[0, 10:] = np.nan  # shorter sequences, padded at the end
    X_padded[3, 5:] = np.nan
    _check_parity(est, _session(to_onnx(est, X[:2])), X_padded)


@pytest.mark.parametrize("front_end", [None, "conv"])
def test_lstm_graph_fills_missing_values_as_predict_does(front_end):
    # a frame without any keypoint inside a sequence is a missing frame (0
    # after scaling), not the end of the sequence; so is a missing joint
    est = KeypointLSTMClassifier(
        hidden_size=4, head_units=4, front_end=front_end, max_epochs=2, random_state=0
    )
    X, y = make_test_data(est)
    _fit(est, X, y)
    X_missing = X.copy()
    X_missing[0, 2] = np.nan  # a whole frame, inside the sequence
    X_missing[1, 4, :2] = np.nan  # one joint
    X_missing[2, 3] = np.nan  # a whole frame, and padding after step 10
    X_missing[2, 10:] = np.nan
    _check_parity(est, _session(to_onnx(est, X[:2])), X_missing)


def test_bidirectional_lstm_graph_gives_nan_for_padded_sequences():
    # the LSTM reading the timesteps (behind the convolutional front end it
    # reads pooled steps, which padding at step 10 does not reach)
    params = {"hidden_size": 4, "head_units": 4, "bidirectional": True}
    est = KeypointLSTMClassifier(**params, front_end=None, max_epochs=2, random_state=0)
    X, y = make_test_data(est)
    _fit(est, X, y)
    session = _session(to_onnx(est, X[:2]))
    X_padded = X.copy()
    X_padded[0, 10:] = np.nan
    proba = _run(session, X_padded)["probabilities"]
    assert np.isnan(proba[0]).all()
    np.testing.assert_allclose(
        proba[1:], est.predict_proba(X_padded[1:]), rtol=0, atol=ATOL
    )


def test_multi_step_nowcaster_with_log_transform_and_5d_frames():
    rng = np.random.default_rng(0)
    frames = rng.gamma(0.6, 2.0, size=(10, 7, 1, 12, 10))
    X, y = frames[:, :4], frames[:, 4:]
    est = UNetNowcaster(
        depth=1, base_channels=2, log_transform=True, max_epochs=1, random_state=0
    )
    _fit(est, X, y)
    session = _session(to_onnx(est, X[:2]))
    out = _check_parity(est, session, X)
    assert out["y_pred"].shape == (10, 3, 1, 12, 10)
    assert out["y_pred"].max() <= est.target_range_[1] + 1e-4


def test_pipeline_of_derivative_integral_features_and_classifier():
    X, y = make_test_data(Conv1DActivityClassifier(), n_samples=16)
    pipe = Pipeline(
        [
            ("features", DerivativeIntegralFeatures(derivative_orders=(1, 2))),
            ("identity", "passthrough"),
            ("roll", RollAugmenter(random_state=0)),
            (
                "clf",
                Conv1DActivityClassifier(
                    channels=(4,),
                    kernel_size=3,
                    head_units=4,
                    max_epochs=2,
                    random_state=0,
                ),
            ),
        ]
    )
    _fit(pipe, X, y)
    for dtype in (np.float32, np.float64):
        session = _session(to_onnx(pipe, X[:2], dtype=dtype))
        _check_parity(pipe, session, X.astype(dtype), dtype)
        _check_parity(pipe, session, X[:1].astype(dtype), dtype)


def test_fold_ensemble_of_pipelines():
    from skseq.ensemble import FoldEnsembleClassifier

    X, y = make_test_data(Conv1DActivityClassifier(), n_samples=12)
    member = Pipeline(
        [
            ("features", DerivativeIntegralFeatures()),
            (
                "clf",
                Conv1DActivityClassifier(
                    channels=(2,), kernel_size=3, head_units=2, max_epochs=2
                ),
            ),
        ]
    )
    ensemble = _fit(FoldEnsembleClassifier(member, cv=3, random_state=0), X, y)
    model = to_onnx(ensemble, X[:2])
    assert [o.name for o in model.graph.output] == ["probabilities", "label"]
    _check_parity(ensemble, _session(model), X)


def test_derivative_integral_module_matches_transform():
    import torch

    X = np.random.default_rng(1).normal(size=(3, 40, 2)).cumsum(axis=1)
    for params in (
        {},
        {"integral_orders": (1, 2), "dt": 0.5},
        {"keep_original": False, "detrend_integrals": False},
    ):
        features = DerivativeIntegralFeatures(**params).fit(X)
        pipe = Pipeline(
            [("f", features), ("clf", _tiny_fitted_classifier(features.transform(X)))]
        )
        module, _ = export_module(pipe, X)
        out = module.transformers[0](torch.as_tensor(X)).numpy()
        np.testing.assert_allclose(out, features.transform(X), rtol=1e-10, atol=1e-10)
        # NaN-padded sequences: each on its valid steps, the padding left NaN
        padded = X.copy()
        padded[0, 25:], padded[2, 4:] = np.nan, np.nan
        out = module.transformers[0](torch.as_tensor(padded)).numpy()
        expected = features.transform(padded)
        np.testing.assert_array_equal(np.isnan(out), np.isnan(expected))
        np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-10)


def _tiny_fitted_classifier(X):
    y = np.arange(len(X)) % 2
    est = Conv1DActivityClassifier(
        channels=(2,), kernel_size=3, head_units=2, max_epochs=1, random_state=0
    )
    return _fit(est, X, y)


def test_keypoint_normalizer_module_matches_transform():
    import torch

    rng = np.random.default_rng(0)
    X = rng.normal(size=(5, 6, 30))
    X[0, :, 16:18] = np.nan  # root joint missing everywhere
    X[1, 2, 4:6] = np.nan  # one joint missing in one frame
    X[2, :3, 2:4] = np.nan  # reference joint missing: even count of lengths
    X[3, 1] = np.nan  # a frame without joints
    for params in ({}, {"root_joint": None, "reference": None}):
        norm = KeypointNormalizer(**params).fit(X)
        module = _KeypointNormalize(norm.root_joint, norm.reference, norm.missing)
        out = module(torch.as_tensor(X)).numpy()
        np.testing.assert_allclose(out, norm.transform(X), rtol=1e-12, atol=1e-12)


def test_pipeline_of_keypoint_normalizer_and_lstm():
    X, y = make_test_data(KeypointLSTMClassifier(), n_samples=16)
    X = np.tile(X, (1, 1, 10))[:, :, :30] + 2.0  # 15 joints x (x, y)
    X[2, :, 4:6] = 0.0  # a joint not detected ("zero" convention)
    pipe = Pipeline(
        [
            ("norm", KeypointNormalizer(missing="zero")),
            (
                "clf",
                KeypointLSTMClassifier(
                    hidden_size=4, head_units=4, max_epochs=2, random_state=0
                ),
            ),
        ]
    )
    _fit(pipe, X, y)
    _check_parity(pipe, _session(to_onnx(pipe, X[:2])), X)


def test_keypoint_normalizer_of_single_frames_is_refused_by_name():
    # fitted on (n, 2K) frames, its graph module (for sequences) failed
    # inside torch.export with an opaque error
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(12, 30)).astype(np.float32), np.arange(12) % 2
    pipe = Pipeline(
        [
            ("norm", KeypointNormalizer()),
            (
                "clf",
                Conv1DActivityClassifier(
                    **Conv1DActivityClassifier._get_test_params()[0]
                ),
            ),
        ]
    )
    _fit(pipe, X, y)
    assert pipe[0].input_ndim_ == 2
    with pytest.raises(ValueError, match="KeypointNormalizer \\(step 'norm'\\) for 3D"):
        to_onnx(pipe, X[:2])


def test_pipeline_of_log_transformer_and_forecaster():
    est = UNetNowcaster(**UNetNowcaster._get_test_params()[0])
    X, y = make_test_data(est)
    pipe = _fit(Pipeline([("log", LogTransformer()), ("nowcast", est)]), X, y)
    _check_parity(pipe, _session(to_onnx(pipe, X[:2])), X)


def test_unsupported_steps_raise_naming_them():
    X, y = make_test_data(Conv1DActivityClassifier())
    clf = _fit(
        clone(
            Conv1DActivityClassifier(**Conv1DActivityClassifier._get_test_params()[0])
        ),
        X,
        y,
    )
    pipe = Pipeline([("my_scaler", FunctionTransformer()), ("clf", clf)])
    with pytest.raises(TypeError, match=r"'my_scaler' \(FunctionTransformer\)"):
        to_onnx(pipe, X[:2])
    frames, target = make_test_data(PersistenceForecaster())
    baseline = PersistenceForecaster().fit(frames, target)
    with pytest.raises(TypeError, match="cannot export PersistenceForecaster"):
        to_onnx(baseline, frames[:2])
    with pytest.raises(ValueError, match="n_timesteps"):
        to_onnx(clf, frames[:2])
    with pytest.raises(ValueError, match=r"fitted on sequences of \d+ steps"):
        to_onnx(clf, np.concatenate([X, X], axis=1)[:2])  # other length


def test_fitted_search_and_frozen_estimator_export_their_model():
    from sklearn.frozen import FrozenEstimator
    from sklearn.model_selection import GridSearchCV

    X, y = make_test_data(Conv1DActivityClassifier())
    params = Conv1DActivityClassifier._get_test_params()[0]
    search = GridSearchCV(
        Conv1DActivityClassifier(**params), {"head_units": [2, 4]}, cv=2
    )
    _fit(search, X, y)
    nested = Pipeline([("roll", RollAugmenter()), ("model", FrozenEstimator(search))])
    _fit(nested, X, y)  # fits the augmenter; the frozen search stays as it is
    for fitted in (search, FrozenEstimator(search), nested):
        _check_parity(search.best_estimator_, _session(to_onnx(fitted, X[:2])), X)
    unrefitted = _fit(clone(search).set_params(refit=False), X, y)
    with pytest.raises(TypeError, match="only when fitted with refit"):
        to_onnx(unrefitted, X[:2])


def test_unfitted_raises():
    from sklearn.exceptions import NotFittedError

    X, _ = make_test_data(Conv1DActivityClassifier())
    with pytest.raises(NotFittedError):
        to_onnx(Conv1DActivityClassifier(), X[:2])


@pytest.mark.parametrize(
    "cls", [KeypointLSTMClassifier, UNetNowcaster], ids=lambda c: c.__name__
)
def test_save_and_load_weights(cls, tmp_path):
    pytest.importorskip("safetensors")
    params = cls._get_test_params()[0]
    X, y = make_test_data(cls(**params))
    trained = _fit(cls(**params), X, y)
    path = tmp_path / "weights.safetensors"
    save_weights(trained, path)
    # another fit, on other data: other weights, input scaling, clipping range
    y_other = y[:8] if y.dtype.kind in "OUS" else y[:8] * 2
    other = _fit(cls(**{**params, "random_state": 1}), X[:8] * 3 + 1, y_other)
    assert load_weights(other, path) is other
    if cls is UNetNowcaster:
        np.testing.assert_allclose(other.predict(X), trained.predict(X))
        # the ensembles too: the error model travels with the weights
        np.testing.assert_allclose(
            other.predict_ensemble(X, 4, 2, random_state=0),
            trained.predict_ensemble(X, 4, 2, random_state=0),
        )
        n_windows = trained.ensemble_noise_["n_windows"]
        assert other.ensemble_noise_["n_windows"] == n_windows
    else:
        np.testing.assert_array_equal(other.predict(X), trained.predict(X))
        np.testing.assert_allclose(other.predict_proba(X), trained.predict_proba(X))
        wrong = _fit(cls(**params), X, np.where(y == "high", "up", "down"))
        with pytest.raises(ValueError, match="classes"):
            load_weights(wrong, path)
    with pytest.raises(ValueError, match="holds the weights of a"):
        load_weights(
            _fit(
                Conv1DActivityClassifier(
                    **Conv1DActivityClassifier._get_test_params()[0]
                ),
                *make_test_data(Conv1DActivityClassifier()),
            ),
            path,
        )


def test_weights_need_a_deep_estimator_a_file_and_the_saved_sizes(tmp_path):
    pytest.importorskip("safetensors")
    from sklearn.linear_model import LogisticRegression

    path = tmp_path / "weights.safetensors"
    linear = LogisticRegression().fit([[0.0], [1.0]], [0, 1])
    for function in (save_weights, load_weights):
        with pytest.raises(TypeError, match="needs a fitted skseq deep estimator"):
            function(linear, path)
    params = Conv1DActivityClassifier._get_test_params()[0]
    X, y = make_test_data(Conv1DActivityClassifier(**params))
    trained = _fit(Conv1DActivityClassifier(**params), X, y)
    with pytest.raises(IsADirectoryError, match="is a folder"):
        save_weights(trained, tmp_path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        save_weights(trained, tmp_path / "missing" / "w.safetensors")
    # an empty path, and loading a folder or a missing file: named before
    # safetensors' "I/O error" or "No such device (os error 19)"
    for function in (save_weights, load_weights):
        with pytest.raises(ValueError, match="path is empty"):
            function(trained, "")
    with pytest.raises(IsADirectoryError, match="is a folder"):
        load_weights(trained, tmp_path)
    with pytest.raises(FileNotFoundError, match="No file"):
        load_weights(trained, tmp_path / "w.safetensors")
    with pytest.raises(ValueError, match="path is empty"):
        to_onnx(trained, X[:2], "")
    save_weights(trained, path)
    # fitted on sequences of another length: its network would load (it pools
    # over time), but the saved one was fitted on other data sizes
    longer = np.concatenate([X, X], axis=1)
    other = _fit(Conv1DActivityClassifier(**params), longer, y)
    with pytest.raises(ValueError, match=r"n_timesteps_in_=\d+ \(this one: \d+\)"):
        load_weights(other, path)
    np.testing.assert_array_equal(
        load_weights(_fit(Conv1DActivityClassifier(**params), X, y), path).predict(X),
        trained.predict(X),
    )


def test_weights_paths_expand_the_home_folder(tmp_path, monkeypatch):
    # "~/w.safetensors" is the home folder's file, not a folder named "~"
    pytest.importorskip("safetensors")
    monkeypatch.setenv("HOME", str(tmp_path))
    params = Conv1DActivityClassifier._get_test_params()[0]
    X, y = make_test_data(Conv1DActivityClassifier(**params))
    trained = _fit(Conv1DActivityClassifier(**params), X, y)
    save_weights(trained, "~/w.safetensors")
    assert (tmp_path / "w.safetensors").is_file()
    loaded = load_weights(
        _fit(Conv1DActivityClassifier(**params), X, y), "~/w.safetensors"
    )
    np.testing.assert_array_equal(loaded.predict(X), trained.predict(X))


def test_weights_load_into_a_nowcaster_fitted_on_frames_of_another_size(tmp_path):
    # the networks are convolutional: only the frame and channel counts must
    # match, not H x W
    pytest.importorskip("safetensors")
    rng = np.random.default_rng(0)
    small = rng.random((8, 5, 8, 8)).astype(np.float32) * 5
    large = rng.random((8, 5, 16, 16)).astype(np.float32) * 5
    params = {"depth": 1, "base_channels": 2, "max_epochs": 1, "random_state": 0}
    saved = UNetNowcaster(**params).fit(large[:, :3], large[:, 3:])
    path = tmp_path / "weights.safetensors"
    save_weights(saved, path)
    loaded = load_weights(UNetNowcaster(**params).fit(small[:, :3], small[:, 3:]), path)
    np.testing.assert_allclose(
        loaded.predict(large[:, :3]), saved.predict(large[:, :3])
    )


def test_to_onnx_checks_its_example_dtype_and_path(tmp_path):
    params = Conv1DActivityClassifier._get_test_params()[0]
    X, y = make_test_data(Conv1DActivityClassifier(**params))
    trained = _fit(Conv1DActivityClassifier(**params), X, y)
    with pytest.raises(TypeError, match="X_example has dtype"):
        to_onnx(trained, X.astype(str)[:2])
    with pytest.raises(ValueError, match="dtype must be float32 or float64; got 'x'"):
        to_onnx(trained, X[:2], dtype="x")
    with pytest.raises(IsADirectoryError, match="is a folder"):
        to_onnx(trained, X[:2], tmp_path)


def test_load_weights_names_a_different_sequence_scaling(tmp_path):
    pytest.importorskip("safetensors")
    params = Conv1DActivityClassifier._get_test_params()[0]
    X, y = make_test_data(Conv1DActivityClassifier(**params))
    # amplitudes over six decades: "auto" scales each sequence
    spread = X * np.logspace(-3, 3, len(X))[:, None, None]
    saved = _fit(Conv1DActivityClassifier(**params), spread, y)
    plain = _fit(Conv1DActivityClassifier(**params), X, y)
    assert saved.sequence_scaling_ and not plain.sequence_scaling_
    path = tmp_path / "weights.safetensors"
    save_weights(saved, path)
    with pytest.raises(ValueError, match="Fit it with sequence_scaling=True"):
        load_weights(plain, path)
    scaled = _fit(Conv1DActivityClassifier(**params, sequence_scaling=True), X, y)
    np.testing.assert_allclose(
        load_weights(scaled, path).predict_proba(spread), saved.predict_proba(spread)
    )


def test_load_weights_refuses_other_prediction_settings(tmp_path):
    pytest.importorskip("safetensors")
    from safetensors import safe_open
    from safetensors.torch import load_file, save_file

    # the weights hold no settings: loaded into an estimator with another
    # scale_input or log_transform they predicted wrong values, silently
    params = Conv1DActivityClassifier._get_test_params()[0]
    X, y = make_test_data(Conv1DActivityClassifier(**params))
    unscaled = _fit(Conv1DActivityClassifier(**params, scale_input=False), X, y)
    scaled = _fit(Conv1DActivityClassifier(**params), X, y)
    path = tmp_path / "unscaled.safetensors"
    save_weights(unscaled, path)
    before = scaled.predict_proba(X)
    with pytest.raises(ValueError, match=r"scale_input=False \(this one: True\)"):
        load_weights(scaled, path)
    np.testing.assert_array_equal(scaled.predict_proba(X), before)
    # a file written before the settings were recorded: which fitted scaling
    # arrays it holds tells scale_input apart
    with safe_open(str(path), framework="pt") as f:
        metadata = dict(f.metadata())
    del metadata["params"]
    save_file(load_file(path), tmp_path / "older.safetensors", metadata=metadata)
    with pytest.raises(ValueError, match=r"holds the fitted scaling \[\]"):
        load_weights(scaled, tmp_path / "older.safetensors")
    frames = np.random.default_rng(0).random((6, 4, 8, 8)).astype(np.float32)
    tiny = {"depth": 1, "base_channels": 2, "max_epochs": 1, "random_state": 0}
    logged = UNetNowcaster(**tiny, log_transform=True).fit(frames[:, :2], frames[:, 2:])
    save_weights(logged, tmp_path / "unet.safetensors")
    plain = UNetNowcaster(**tiny).fit(frames[:, :2], frames[:, 2:])
    with pytest.raises(ValueError, match=r"log_transform=True \(this one: False\)"):
        load_weights(plain, tmp_path / "unet.safetensors")
    # trained otherwise (epochs, rate), or predicting by tiles: loaded
    other = UNetNowcaster(
        **{**tiny, "max_epochs": 2}, log_transform=True, lr=1e-4, tile_size=None
    )
    other.fit(frames[:, :2], frames[:, 2:])
    loaded = load_weights(other, tmp_path / "unet.safetensors")
    np.testing.assert_allclose(
        loaded.predict(frames[:, :2]), logged.predict(frames[:, :2])
    )


def _calendar_frames(step, rng, n=6, T=4, size=6):
    """Frames ``(n, T, 3, size, size)``: a value channel, then the sine and
    cosine of a phase advancing ``step`` radians per frame."""
    phase = rng.uniform(0, 2 * np.pi, (n, 1)) + step * np.arange(T)[None]
    shape = (n, T, 1, size, size)
    sin = np.broadcast_to(np.sin(phase)[:, :, None, None, None], shape)
    cos = np.broadcast_to(np.cos(phase)[:, :, None, None, None], shape)
    return np.concatenate([rng.gamma(0.6, 2, shape), sin, cos], 2).astype(np.float32)


def test_save_and_load_weights_carry_the_forecasters_calendar(tmp_path):
    pytest.importorskip("safetensors")
    rng = np.random.default_rng(0)
    hourly, weekly = (
        _calendar_frames(2 * np.pi / 24, rng),
        _calendar_frames(2 * np.pi / 7, rng),
    )
    y = rng.gamma(0.6, 2, size=(6, 3, 6, 6)).astype(np.float32)
    params = {"hidden_channels": 2, "n_layers": 1, "max_epochs": 1, "random_state": 0}
    trained = ConvLSTMForecaster(**params).fit(hourly, y)
    path = tmp_path / "forecaster.safetensors"
    save_weights(trained, path)
    other = load_weights(ConvLSTMForecaster(**params).fit(weekly, y), path)
    assert other.future_steps_ == pytest.approx(trained.future_steps_)
    np.testing.assert_array_equal(other.predict(hourly), trained.predict(hourly))
    np.testing.assert_array_equal(
        other.predict_ensemble(hourly, 5, random_state=0),
        trained.predict_ensemble(hourly, 5, random_state=0),
    )
    assert other.n_calibration_samples_ == trained.n_calibration_samples_
    # fitted without calendar channels: another decoder, refused before loading
    plain = ConvLSTMForecaster(**params).fit(rng.normal(size=hourly.shape), y)
    before = plain.predict(hourly)
    with pytest.raises(ValueError, match="calendar channel pairs"):
        load_weights(plain, path)
    np.testing.assert_array_equal(plain.predict(hourly), before)
    # a network of other shapes: a clear error, the weights left as they were
    wider = ConvLSTMForecaster(**{**params, "hidden_channels": 3}).fit(hourly, y)
    before = wider.predict(hourly)
    with pytest.raises(ValueError, match=r"hidden_channels=2 \(this one: 3\)"):
        load_weights(wider, path)
    np.testing.assert_array_equal(wider.predict(hourly), before)


def test_compiled_estimator_exports_its_network_and_weights(tmp_path):
    """compile=True (issue 19) wraps the network; export and the weight files
    see the network itself (plain keys, loadable into an uncompiled twin)."""
    pytest.importorskip("safetensors")
    params = Conv1DActivityClassifier._get_test_params()[0]
    X, y = make_test_data(Conv1DActivityClassifier(**params))
    compiled = _fit(
        Conv1DActivityClassifier(**params, compile=True, compile__backend="eager"),
        X,
        y,
    )
    assert type(compiled.module_).__name__ == "OptimizedModule"
    path = tmp_path / "weights.safetensors"
    save_weights(compiled, path)
    plain = load_weights(_fit(Conv1DActivityClassifier(**params), X, y), path)
    np.testing.assert_allclose(
        plain.predict_proba(X), compiled.predict_proba(X), rtol=1e-5, atol=1e-6
    )
    module, _ = export_module(compiled, X[:2])
    assert not any("_orig_mod" in name for name, _ in module.named_parameters())


def test_weights_without_safetensors_name_the_extra(monkeypatch, tmp_path):
    import sys

    from skseq.export import load_weights, save_weights

    monkeypatch.setitem(sys.modules, "safetensors", None)
    monkeypatch.setitem(sys.modules, "safetensors.torch", None)
    with pytest.raises(ImportError, match=r"^save_weights needs safetensors.*'export'"):
        save_weights(object(), tmp_path / "w.safetensors")
    with pytest.raises(ImportError, match=r"^load_weights needs safetensors.*'export'"):
        load_weights(object(), tmp_path / "w.safetensors")
