"""Tests of skseq.estimators.classification."""

import pickle
import warnings
from functools import partial

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.ensemble import VotingClassifier
from sklearn.model_selection import GridSearchCV, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils import estimator_checks as sk_checks
from sklearn.utils.estimator_checks import parametrize_with_checks
from skorch.callbacks import EarlyStopping

from skseq import Conv1DActivityClassifier, KeypointLSTMClassifier
from skseq.utils.estimator_checks import parametrize_with_skseq_checks

CLASSIFIERS = [
    cls(**params)
    for cls in (Conv1DActivityClassifier, KeypointLSTMClassifier)
    for params in cls._get_test_params()
]


def _sklearn_expected_failures(estimator):
    """Checks of scikit-learn's 2D suite a small neural network cannot pass."""
    failures = {
        "check_classifiers_train": (
            "the 2-epoch network does not reach the 83% training accuracy sklearn "
            "asserts on its blobs; test_trained_networks_pass_the_accuracy_checks "
            "runs the check on a trained one"
        ),
        "check_class_weight_classifiers": (
            "asserts that class_weight={0: 1000, ...} makes more than 87% of the "
            "predictions class 0, which 2 epochs do not reach; "
            "test_trained_networks_pass_the_accuracy_checks runs it trained"
        ),
        "check_sample_weight_equivalence_on_dense_data": (
            "weights enter the loss only: the input scaling, the BatchNorm batch "
            "statistics and the dropout masks see the repeated rows, not the "
            "weights (equivalent without those three, as tried)"
        ),
        "check_do_not_raise_errors_in_init_or_set_params": (
            "passes kwargs=<value> to the **kwargs of skorch passthrough parameters; "
            "skseq's own version of the check covers the named arguments"
        ),
    }
    return failures


@parametrize_with_checks(
    [clone(est).set_params(max_epochs=2) for est in CLASSIFIERS[::2]],
    expected_failed_checks=_sklearn_expected_failures,
    xfail_strict=True,
)
def test_sklearn_estimator_checks(estimator, check):
    """2D input (n_samples, n_timesteps) is read as univariate sequences."""
    check(estimator)


@pytest.mark.parametrize(
    "check",
    [
        sk_checks.check_class_weight_classifiers,
        sk_checks.check_classifiers_train,
        partial(
            sk_checks.check_classifiers_train, readonly_memmap=True, X_dtype="float32"
        ),
    ],
    ids=["class_weight", "train", "train_memmap_float32"],
)
@pytest.mark.parametrize("Est", [Conv1DActivityClassifier, KeypointLSTMClassifier])
def test_trained_networks_pass_the_accuracy_checks(Est, check):
    """The checks xfailed above for 2-epoch networks, on networks trained
    enough (30 epochs at a higher learning rate) to be judged by them."""
    estimator = Est(**Est._get_test_params()[0]).set_params(max_epochs=30, lr=0.03)
    check(Est.__name__, estimator)


@parametrize_with_skseq_checks(CLASSIFIERS)
def test_skseq_estimator_checks(estimator, check):
    check(estimator)


def _toy_sequences(n=24, T=16, C=3, seed=0):
    rng = np.random.default_rng(seed)
    y = np.array(["walk", "run", "sit"])[np.arange(n) % 3]
    X = rng.normal(scale=0.3, size=(n, T, C))
    freq = {"walk": 1.0, "run": 3.0, "sit": 0.0}
    t = np.linspace(0, 2 * np.pi, T)
    for i, label in enumerate(y):
        X[i, :, 0] += np.sin(freq[label] * t)
    return X, y


@pytest.mark.parametrize("Est", [Conv1DActivityClassifier, KeypointLSTMClassifier])
def test_string_labels_and_proba(Est):
    X, y = _toy_sequences()
    clf = Est(**Est._get_test_params()[0]).fit(X, y)
    assert list(clf.classes_) == ["run", "sit", "walk"]
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert set(clf.predict(X)) <= set(clf.classes_)
    assert clf.n_features_in_ == 16 * 3 and clf.n_channels_in_ == 3
    np.testing.assert_allclose(np.exp(clf.predict_log_proba(X)), proba, rtol=1e-12)


@pytest.mark.parametrize("Est", [Conv1DActivityClassifier, KeypointLSTMClassifier])
def test_log_proba_stays_finite_where_proba_rounds_to_zero(Est, monkeypatch):
    X, y = _toy_sequences()
    clf = Est(**Est._get_test_params()[0]).fit(X, y)
    logits = np.tile([[0.0, 800.0, -800.0]], (len(X), 1))
    monkeypatch.setattr(clf, "_forward", lambda X: logits)
    assert clf.predict_proba(X)[0, 2] == 0.0
    np.testing.assert_allclose(clf.predict_log_proba(X)[0], [-800.0, 0.0, -1600.0])


def test_conv1d_learns_toy_problem():
    X, y = _toy_sequences(n=60)
    clf = Conv1DActivityClassifier(
        channels=(16, 16),  # 8 channels with avg+max pooling: 0.77-1.0 by seed
        kernel_size=5,
        head_units=16,
        max_epochs=40,
        validation_fraction=None,
        random_state=0,
    ).fit(X, y)
    X_test, y_test = _toy_sequences(n=30, seed=1)
    assert clf.score(X_test, y_test) >= 0.9


def test_keypoint_lstm_learns_toy_problem():
    X, y = _toy_sequences(n=60, T=8)
    clf = KeypointLSTMClassifier(
        hidden_size=16,
        n_layers=2,
        max_epochs=40,
        lr_schedule="step",  # the seed's schedule; cosine needs more epochs
        dropout=0.0,  # the seed's too; 40 epochs are too few with dropout
        validation_fraction=None,
        random_state=0,
    ).fit(X, y)
    X_test, y_test = _toy_sequences(n=30, T=8, seed=1)
    assert clf.score(X_test, y_test) >= 0.9


def test_class_weight_balanced_and_dict():
    X, y = _toy_sequences(n=30)
    y = np.where(np.arange(30) < 24, "major", "minor")
    params = Conv1DActivityClassifier._get_test_params()[0]
    clf = Conv1DActivityClassifier(**params, class_weight="balanced").fit(X, y)
    np.testing.assert_allclose(clf.class_weight_, [30 / (2 * 24), 30 / (2 * 6)])
    clf = Conv1DActivityClassifier(
        **params, class_weight={"major": 1.0, "minor": 4.0}
    ).fit(X, y)
    np.testing.assert_allclose(clf.class_weight_, [1.0, 4.0])
    with pytest.raises(ValueError, match="class_weight"):
        Conv1DActivityClassifier(**params, class_weight="heavy").fit(X, y)


@pytest.mark.parametrize(
    "class_weight, message",
    [
        ({"major": -0.5, "minor": 1.0}, r"finite and >= 0 .*'major': -0.5"),
        ({"major": np.nan, "minor": 1.0}, "finite and >= 0"),
        ({"major": 1.0, "minor": np.inf}, "finite and >= 0"),
        ({"major": 0.0, "minor": 0.0}, "every training sample weight 0"),
    ],
)
def test_class_weights_that_cannot_train_are_refused(class_weight, message):
    # negative weights trained silently (maximising a class's loss), NaN or inf
    # ones stopped with advice about lr, and all-zero ones "fitted" a network
    # left at its initial weights
    X, y = _toy_sequences(n=30)
    y = np.where(np.arange(30) < 24, "major", "minor")
    params = Conv1DActivityClassifier._get_test_params()[0]
    clf = Conv1DActivityClassifier(**params, class_weight=class_weight)
    with pytest.raises(ValueError, match=message):
        clf.fit(X, y)
    assert not hasattr(clf, "classes_")


def test_class_weight_values_must_be_numbers():
    X, y = _toy_sequences(n=30)
    y = np.where(np.arange(30) < 24, "major", "minor")
    params = Conv1DActivityClassifier._get_test_params()[0]
    clf = Conv1DActivityClassifier(**params, class_weight={"major": "a", "minor": 1})
    with pytest.raises(TypeError, match=r"class_weight must map labels to numbers"):
        clf.fit(X, y)


def test_class_and_sample_weights_that_weigh_nothing_are_refused():
    X, y = _toy_sequences(n=30)
    y = np.where(np.arange(30) < 24, "major", "minor")
    params = KeypointLSTMClassifier._get_test_params()[0]
    clf = KeypointLSTMClassifier(**params, class_weight={"major": 1.0, "minor": 0.0})
    with pytest.raises(ValueError, match="every training sample weight 0"):
        clf.fit(X, y, sample_weight=(y == "minor").astype(float))
    clf.fit(X, y, sample_weight=np.ones(30))  # some weight left: it trains


@pytest.mark.parametrize("Est", [Conv1DActivityClassifier, KeypointLSTMClassifier])
def test_missing_labels_are_a_value_error_naming_y(Est):
    # among strings a missing label failed in sorting with a TypeError
    # ("'<' not supported between instances of 'float' and 'str'")
    X, y = _toy_sequences(n=12)
    y = y.astype(object)
    y[5] = np.nan
    clf = Est(**Est._get_test_params()[0])
    with pytest.raises(ValueError, match=r"y contains missing values \(1 of 12"):
        clf.fit(X, y)
    numeric = np.arange(12) % 3 + 0.0
    numeric[3] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning from a cast first
        with pytest.raises(ValueError, match="y contains NaN or infinity"):
            clf.fit(X, numeric)
    clf.fit(X, _toy_sequences(n=12)[1])
    with pytest.raises(ValueError, match="y_valid contains missing values"):
        clf.set_params(warm_start=True).fit(
            X, _toy_sequences(n=12)[1], validation_data=(X, y)
        )


def test_a_split_that_would_leave_a_class_out_of_training_is_not_made():
    # 100 / 2 / 2 samples at validation_fraction=0.75 trained on [25, 0, 1]
    X, _ = _toy_sequences(n=104)
    y = np.array(["common"] * 100 + ["rare1"] * 2 + ["rare2"] * 2)
    params = dict(
        Conv1DActivityClassifier._get_test_params()[0],
        max_epochs=1,
        validation_fraction=0.75,
    )
    clf = Conv1DActivityClassifier(**params)
    with pytest.warns(UserWarning, match="training without a validation split"):
        clf.fit(X, y)
    assert clf.validation_fraction_ == 0.0
    # at 0.5 each class keeps a training sample: the split is made
    clf.set_params(validation_fraction=0.5).fit(X, y)
    assert clf.validation_fraction_ == 0.5


@pytest.mark.parametrize("cls", [Conv1DActivityClassifier, KeypointLSTMClassifier])
def test_a_class_weight_of_zero_leaves_the_class_out(cls):
    # batches of one sample: some hold only the class of weight 0
    X, y = _toy_sequences(n=12)
    labels = np.unique(y)
    weights = {label: float(k > 0) for k, label in enumerate(labels)}
    params = dict(cls._get_test_params()[0], max_epochs=2, batch_size=1)
    clf = cls(**params, class_weight=weights).fit(X, y)
    assert np.isfinite(clf.history_[:, "train_loss"]).all()
    assert np.isfinite(clf.predict_proba(X)).all()


@pytest.mark.parametrize("cls", [Conv1DActivityClassifier, KeypointLSTMClassifier])
def test_unit_sample_weights_fit_as_no_weights_with_class_weight(cls):
    X, y = _toy_sequences(n=24)
    y = np.where(np.arange(24) < 18, "major", "minor")
    params = dict(cls._get_test_params()[0], max_epochs=3, batch_size=8)
    make = lambda: cls(**params, class_weight="balanced")  # noqa: E731
    plain = make().fit(X, y)
    ones = make().fit(X, y, sample_weight=np.ones(len(y)))
    # the same loss, summed in the same order: the same fit
    np.testing.assert_array_equal(ones.predict_proba(X), plain.predict_proba(X))


def test_conv1d_pads_sequences_too_short_for_pooling():
    """Three pooling blocks need 8 steps; shorter input is padded inside."""
    X, y = _toy_sequences(T=3)
    clf = Conv1DActivityClassifier(channels=(4, 4, 4), max_epochs=1, random_state=0)
    proba = clf.fit(X, y).predict_proba(X)
    assert proba.shape == (len(X), 3) and np.isfinite(proba).all()


@pytest.mark.parametrize(
    ("downsample", "T", "expected"), [("auto", 20, 1), ("auto", 600, 3), (4, 20, 4)]
)
def test_conv1d_downsample_resolution(downsample, T, expected):
    X, y = _toy_sequences(n=12, T=T)
    params = dict(Conv1DActivityClassifier._get_test_params()[0], max_epochs=1)
    clf = Conv1DActivityClassifier(**params, downsample=downsample).fit(X, y)
    assert clf.downsample_ == expected
    assert clf.module_.downsample == expected
    # differences="auto": only when the stem summarises windows
    assert clf.differences_ is (expected > 1)
    assert clf.module_.differences is (expected > 1)


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("downsample", "half"),
        ("downsample", 0),
        ("downsample", 1.5),
        ("differences", "always"),
    ],
)
def test_conv1d_bad_stem_params(param, value):
    X, y = _toy_sequences(n=12)
    params = Conv1DActivityClassifier._get_test_params()[0]
    with pytest.raises((ValueError, TypeError), match=param):
        Conv1DActivityClassifier(**params, **{param: value}).fit(X, y)


def test_conv1d_crop_fraction_trains_on_windows_and_predicts_whole():
    X, y = _toy_sequences(n=24, T=20)
    X[::4, 15:] = np.nan  # variable lengths are cropped within their valid steps
    params = dict(Conv1DActivityClassifier._get_test_params()[0], crop_fraction=0.7)
    clf = Conv1DActivityClassifier(**params).fit(X, y)
    assert clf.module_.crop.min_fraction == 0.7
    again = Conv1DActivityClassifier(**params).fit(X, y)
    np.testing.assert_array_equal(clf.predict_proba(X), again.predict_proba(X))
    # evaluation reads the whole sequence: predictions are deterministic
    np.testing.assert_array_equal(clf.predict_proba(X), clf.predict_proba(X))
    whole = Conv1DActivityClassifier(**params | {"crop_fraction": 1.0}).fit(X, y)
    assert isinstance(whole.module_.crop, torch.nn.Identity)
    # the crops changed what the network was trained on
    assert not np.allclose(whole.predict_proba(X), clf.predict_proba(X))
    with pytest.raises(ValueError, match="crop_fraction"):
        Conv1DActivityClassifier(**params | {"crop_fraction": 0.0}).fit(X, y)


@pytest.mark.parametrize("Est", [Conv1DActivityClassifier, KeypointLSTMClassifier])
def test_trailing_nan_padding_never_changes_a_prediction(Est):
    """Variable-length input: the amount of NaN padding is irrelevant."""
    X, y = _toy_sequences(n=24, T=12)
    X[::3, 7:] = np.nan  # a third of the sequences are 7 steps long
    params = (
        dict(Est._get_test_params()[0], head="mean")
        if Est is (KeypointLSTMClassifier)
        else Est._get_test_params()[0]
    )
    clf = Est(**params).fit(X, y)
    assert np.isfinite(clf.input_mean_).all()  # scaling ignores the padding
    short = X[::3, :7]  # the same sequences without their padding
    padded = np.concatenate([short, np.full((len(short), 5, 3), np.nan)], axis=1)
    np.testing.assert_allclose(
        clf.predict_proba(padded), clf.predict_proba(X[::3]), rtol=1e-5
    )


def test_padding_of_the_training_data_never_changes_the_conv1d_fit():
    # batch norm took its training statistics over padded steps too: the
    # same sequences padded further trained another network
    X, y = _toy_sequences(n=24, T=16)
    X[::3, 8:] = np.nan  # a third of the sequences are 8 steps long
    longer = np.concatenate([X, np.full((24, 48, 3), np.nan)], axis=1)
    params = dict(
        Conv1DActivityClassifier._get_test_params()[0],
        max_epochs=3,
        differences=False,
        downsample=1,
    )
    np.testing.assert_allclose(
        Conv1DActivityClassifier(**params).fit(longer, y).predict_proba(longer),
        Conv1DActivityClassifier(**params).fit(X, y).predict_proba(X),
        rtol=1e-5,
        atol=1e-6,
    )


@pytest.mark.parametrize("Est", [Conv1DActivityClassifier, KeypointLSTMClassifier])
def test_input_scaling_is_learnt_per_channel(Est):
    X, y = _toy_sequences(n=24)
    shifted = X * np.array([1.0, 100.0, 1e-3]) + np.array([0.0, -50.0, 7.0])
    clf = Est(**Est._get_test_params()[0]).fit(shifted, y)
    Xs = (shifted - clf.input_mean_) / clf.input_scale_
    np.testing.assert_allclose(Xs.mean(axis=(0, 1)), 0.0, atol=1e-4)
    np.testing.assert_allclose(Xs.std(axis=(0, 1)), 1.0, rtol=1e-3)
    # an affine change of units per channel does not change the model
    ref = Est(**Est._get_test_params()[0]).fit(X, y)
    # (up to float32 rounding amplified by training)
    np.testing.assert_allclose(
        clf.predict_proba(shifted), ref.predict_proba(X), atol=2e-3
    )
    raw = Est(**Est._get_test_params()[0], scale_input=False).fit(X, y)
    assert raw.input_mean_ is None and raw.input_scale_ is None


def test_auto_training_length_follows_the_data_size():
    """max_epochs="auto": many epochs for few short sequences, few for many."""
    est = Conv1DActivityClassifier()
    small = est._resolve_max_epochs(np.zeros((40, 100, 3)), 40)
    large = est._resolve_max_epochs(np.zeros((4000, 100, 3)), 4000)
    long = est._resolve_max_epochs(np.zeros((40, 2000, 3)), 40)
    assert small > long > large >= est._auto_min_epochs
    # the step budget: 40 sequences are 2 batches an epoch
    assert small * 2 <= est._auto_max_steps + 2


def test_conv1d_trains_on_batches_of_equal_size():
    """No remainder batch of a few sequences: its BatchNorm statistics are noise."""
    est = Conv1DActivityClassifier()
    sizes = {n: est._training_batch_size(n) for n in (10, 32, 33, 36, 67, 100, 200)}
    assert sizes == {10: 32, 32: 32, 33: 17, 36: 18, 67: 23, 100: 25, 200: 29}
    for n, size in sizes.items():  # as many batches as with batch_size=32
        assert -(-n // size) == -(-n // 32)
    # the auto training length counts the budget in those batches
    X = np.zeros((100, 100, 3))
    assert est._resolve_max_epochs(X, 100) == Conv1DActivityClassifier(
        batch_size=25
    )._resolve_max_epochs(X, 100)
    X, y = _toy_sequences(n=36)
    fitted = Conv1DActivityClassifier(max_epochs=2, random_state=0).fit(X, y)
    batches = fitted.net_.history[-1, "batches", :, "train_batch_size"]
    assert batches == [18, 18]
    # the LSTM evens its batches behind its convolutional front end (BatchNorm)
    lstm = KeypointLSTMClassifier(front_end="conv", max_epochs=1, random_state=0)
    lstm.fit(X, y)
    assert lstm.net_.history[-1, "batches", :, "train_batch_size"] == [18, 18]
    # and without it (no BatchNorm; the default under 16 steps) keeps full
    # batches and a remainder
    lstm = KeypointLSTMClassifier(front_end=None, max_epochs=1, random_state=0)
    lstm.fit(X, y)
    assert lstm.front_end_ is None
    assert lstm.net_.history[-1, "batches", :, "train_batch_size"] == [32, 4]
    # a warm-started fit on more data re-evens its batches
    fitted.set_params(warm_start=True, max_epochs=1).fit(*_toy_sequences(n=40))
    assert fitted.net_.history[-1, "batches", :, "train_batch_size"] == [20, 20]


def test_auto_validation_split_only_when_large_enough():
    est = Conv1DActivityClassifier()
    assert est._resolve_validation_fraction(100) == 0.0
    assert est._resolve_validation_fraction(300) == 0.1
    assert (
        Conv1DActivityClassifier(validation_fraction=0.2)._resolve_validation_fraction(
            100
        )
        == 0.2
    )


def test_cosine_schedule_and_auto_patience():
    X, y = _toy_sequences(n=24)
    clf = Conv1DActivityClassifier(
        **dict(Conv1DActivityClassifier._get_test_params()[0], max_epochs=4, lr=0.1)
    ).fit(X, y)
    lrs = clf.history_[:, "event_lr"]  # the learning rate of each epoch
    final = [group["lr"] for group in clf.net_.optimizer_.param_groups]
    np.testing.assert_allclose(final, [0.1 / 100], rtol=1e-6)  # decayed to lr/100
    # cosine annealing from lr to lr/100 over max_epochs=4 epochs
    expected = [
        0.001 + (0.1 - 0.001) * (1 + np.cos(np.pi * e / 4)) / 2 for e in range(4)
    ]
    assert lrs[0] == 0.1
    np.testing.assert_allclose(lrs, expected, rtol=1e-6)
    # no validation split -> no early stopping under patience="auto"
    assert "early_stopping" not in dict(clf.net_.callbacks_)
    split = Conv1DActivityClassifier(
        **dict(Conv1DActivityClassifier._get_test_params()[0], max_epochs=3),
    ).set_params(validation_fraction=0.25)
    assert "early_stopping" in dict(split.fit(X, y).net_.callbacks_)
    # "auto": a patience of a fifth of the epochs (at least 10), watched
    # after a warm-up of the first fifth; a given patience from epoch 1
    stopping = dict(split.set_params(max_epochs=60).fit(X, y).net_.callbacks_)
    assert stopping["early_stopping"].patience == 12
    assert stopping["early_stopping"].start_from_epoch == 12
    stopping = dict(split.set_params(patience=5).fit(X, y).net_.callbacks_)
    assert stopping["early_stopping"].patience == 5
    assert stopping["early_stopping"].start_from_epoch == 0


@pytest.mark.parametrize("Est", [Conv1DActivityClassifier, KeypointLSTMClassifier])
def test_other_length_at_predict_says_how_to_pad(Est):
    X, y = _toy_sequences()
    clf = Est(**Est._get_test_params()[0]).fit(X, y)
    with pytest.raises(
        ValueError,
        match=r"X has sequences of 12 steps.*fitted on sequences of 16 steps.*rows of NaN",
    ):
        clf.predict(X[:, :12])
    padded = np.concatenate([X[:, :12], np.full_like(X[:, :4], np.nan)], axis=1)
    assert clf.predict(padded).shape == (len(X),)


def test_channel_count_differs_at_predict():
    X, y = _toy_sequences()
    clf = Conv1DActivityClassifier(**Conv1DActivityClassifier._get_test_params()[0])
    clf.fit(X, y)
    with pytest.raises(ValueError, match=r"fitted on sequences of shape"):
        clf.predict(X[:, :, :2])


def test_single_class_rejected():
    X, _ = _toy_sequences()
    with pytest.raises(ValueError, match="at least 2 classes"):
        Conv1DActivityClassifier(max_epochs=1).fit(X, np.zeros(len(X)))


@pytest.mark.parametrize(
    ("T", "params", "expected"),
    [
        (15, {}, (None, 3, "flatten", "Adam", 5e-3, False)),
        (16, {}, ("conv", 1, "meanmax", "NAdam", 1e-3, True)),
        (65, {}, ("conv", 1, "meanmax", "NAdam", 1e-3, True)),
        # four blocks leave 31 steps a single one; a stem of 4 leaves 4
        (
            31,
            {"conv_channels": (4, 4, 4, 4)},
            (None, 3, "flatten", "Adam", 5e-3, False),
        ),
        (
            32,
            {"conv_channels": (4, 4, 4, 4)},
            ("conv", 1, "meanmax", "NAdam", 1e-3, True),
        ),
        (60, {"downsample": 4}, (None, 3, "flatten", "Adam", 5e-3, False)),
        (64, {"downsample": 4}, ("conv", 1, "meanmax", "NAdam", 1e-3, True)),
        (65, {"front_end": None}, (None, 3, "flatten", "Adam", 5e-3, False)),
        # over 64 steps the front end, however few steps its blocks leave
        (65, {"conv_channels": (2,) * 7}, ("conv", 1, "meanmax", "NAdam", 1e-3, True)),
        (8, {"front_end": "conv"}, ("conv", 1, "meanmax", "NAdam", 1e-3, True)),
        (
            65,
            {"n_layers": 2, "head": "last", "optimizer": "sgd", "lr": 0.01},
            ("conv", 2, "last", "SGD", 0.01, True),
        ),
    ],
)
def test_lstm_front_end_auto_resolution(T, params, expected):
    """``"auto"``: the front end where its blocks leave the LSTM >= 2 steps."""
    X, y = _toy_sequences(n=12, T=T)
    clf = KeypointLSTMClassifier(**params, max_epochs=1, random_state=0).fit(X, y)
    front_end, n_layers, head, optimizer, lr, even = expected
    assert (clf.front_end_, clf.n_layers_, clf.head_) == (front_end, n_layers, head)
    assert type(clf.net_.optimizer_).__name__ == optimizer
    assert clf.net_.optimizer_.param_groups[0]["initial_lr"] == pytest.approx(lr)
    assert clf._even_batches is even
    assert (clf.module_.encoder is not None) is (front_end == "conv")
    assert clf.module_.lstm.num_layers == n_layers


def test_warm_start_trains_the_fitted_front_end(monkeypatch):
    """A model fitted under another "auto" rule keeps its network's training
    settings when a warm start continues it."""
    X, y = _toy_sequences(n=12, T=20)
    params = dict(hidden_size=4, head_units=4, max_epochs=1, random_state=0)
    with monkeypatch.context() as patch:  # the rule of an earlier version
        patch.setattr(KeypointLSTMClassifier, "_auto_min_front_end_steps", 3)
        clf = KeypointLSTMClassifier(**params).fit(X, y)
    assert clf.front_end_ is None  # the rule now would give "conv"
    assert KeypointLSTMClassifier(**params).fit(X, y).front_end_ == "conv"
    clf.set_params(warm_start=True).fit(X, y)
    assert clf.front_end_ is None and not clf._even_batches
    assert type(clf.net_.optimizer_).__name__ == "Adam"
    assert clf.net_.optimizer_.param_groups[0]["initial_lr"] == pytest.approx(5e-3)


def test_amplitude_span():
    from skseq.estimators.classification import amplitude_span

    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 30, 2))
    assert amplitude_span(X) < 3
    X[:, :, 1] *= np.logspace(-3, 1, 20)[:, None]  # amplitudes over 4 decades
    assert amplitude_span(X) > 1000
    X[0, 20:] = np.nan  # padding and constant channels are handled
    assert np.isfinite(amplitude_span(X))
    assert amplitude_span(np.ones((5, 4, 1))) == 1.0


def test_amplitude_span_leaves_out_sequences_that_do_not_vary():
    """Idle recordings or one-step sequences say nothing about amplitudes."""
    from skseq.estimators.classification import amplitude_span

    X = np.random.default_rng(0).normal(size=(20, 30, 1))
    X[:3] = 5.0  # three constant sequences: the 10th percentile would be 0
    X[3, 1:] = np.nan  # a sequence of one step
    assert amplitude_span(X) < 3
    # float32 values whose squares overflow float32
    big = (np.random.default_rng(1).normal(size=(20, 30, 1)) * 1e30).astype(np.float32)
    assert amplitude_span(big) < 3


def test_input_scaling_in_float64():
    """Statistics of values whose float32 squares overflow stay finite."""
    X, y = _toy_sequences(n=12)
    X = X.astype(np.float32)
    params = dict(channels=(4,), max_epochs=1, random_state=0)
    small = Conv1DActivityClassifier(**params).fit(X, y)
    big = Conv1DActivityClassifier(**params).fit(X * np.float32(1e20), y)
    assert np.isfinite(big.input_scale_).all()
    np.testing.assert_allclose(
        big._scale_input(X * np.float32(1e20), None),
        small._scale_input(X, None),
        rtol=1e-4,
        atol=1e-5,
    )


def test_lstm_channel_without_any_value_is_ignored():
    """A keypoint never detected in training: a warning, and its values are
    scaled to 0 at prediction, as the network saw it."""
    X, y = _toy_sequences(n=12, T=10)
    X[:, :, 1] = np.nan
    params = dict(hidden_size=4, head_units=4, max_epochs=1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no empty-slice noise
        with pytest.warns(UserWarning, match=r"Channel\(s\) \[1\] of X hold no value"):
            clf = KeypointLSTMClassifier(**params).fit(X, y)
    assert clf.input_mean_[1] == 0 and np.isinf(clf.input_scale_[1])
    seen = X.copy()
    seen[:, :, 1] = 7.0
    np.testing.assert_array_equal(clf.predict_proba(seen), clf.predict_proba(X))


def test_auto_validation_split_falls_back_silently():
    """``"auto"`` splits where it can; a given fraction warns that it cannot."""
    X, y = _toy_sequences(n=300, T=8)
    y = y.astype(object)
    y[0] = "lone"  # a class of one sample cannot be stratified
    params = dict(channels=(2,), max_epochs=1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        auto = Conv1DActivityClassifier(**params).fit(X, y)
    assert auto.validation_fraction_ == 0.0
    with pytest.warns(UserWarning, match="cannot make a stratified validation split"):
        Conv1DActivityClassifier(validation_fraction=0.1, **params).fit(X, y)


def test_lstm_without_front_end_reports_no_sequence_scaling():
    X, y = _toy_sequences(n=12, T=10)
    X[:, :, 0] *= np.logspace(-3, 1, 12)[:, None]
    clf = KeypointLSTMClassifier(
        hidden_size=4, head_units=4, max_epochs=1, random_state=0
    ).fit(X, y)
    assert clf.front_end_ is None and clf.sequence_scaling_ is False


@pytest.mark.parametrize("Est", [Conv1DActivityClassifier, KeypointLSTMClassifier])
def test_sequence_scaling_auto_follows_the_spread_of_amplitudes(Est):
    X, y = _toy_sequences(n=20, T=80)
    params = dict(max_epochs=1, random_state=0)
    if Est is KeypointLSTMClassifier:
        params.update(hidden_size=4)
    clf = Est(**params).fit(X, y)
    assert clf.sequence_scaling_ is False
    first = clf.module_.encoder.blocks[0].conv1[0]
    X_wide = X * np.logspace(-3, 1, len(X))[:, None, None].astype(X.dtype)
    wide = Est(**params).fit(X_wide, y)
    assert wide.sequence_scaling_ is True
    # 3 channels per input channel enter the blocks (x2 with differences)
    assert wide.module_.encoder.blocks[0].conv1[0].in_channels == 3 * first.in_channels
    assert Est(**params, sequence_scaling=True).fit(X, y).sequence_scaling_ is True
    assert (
        Est(**params, sequence_scaling=False).fit(X_wide, y).sequence_scaling_ is False
    )
    # a warm-started continued fit keeps the network's input channels
    wide.set_params(warm_start=True).fit(X, y)
    assert wide.sequence_scaling_ is True


def test_lstm_conv_skip_follows_the_front_end_and_older_pickles():
    X, y = _toy_sequences(n=12, T=32)
    params = dict(hidden_size=4, head_units=4, max_epochs=1, random_state=0)
    clf = KeypointLSTMClassifier(**params).fit(X, y)
    assert clf.front_end_ == "conv" and clf.module_.conv_skip is True
    # the head reads the LSTM's mean and max and the front end's (64 channels)
    assert clf.module_.head[0].in_features == 2 * 4 + 2 * 64
    off = KeypointLSTMClassifier(**params, conv_skip=False).fit(X, y)
    assert off.module_.conv_skip is False and off.module_.head[0].in_features == 8
    short = KeypointLSTMClassifier(**params).fit(*_toy_sequences(n=12, T=8))
    assert short.front_end_ is None and short.module_.conv_skip is False
    # an estimator pickled before conv_skip existed refits its own network
    state = clf.__getstate__()
    del state["conv_skip"]
    old = KeypointLSTMClassifier.__new__(KeypointLSTMClassifier)
    old.__setstate__(state)
    assert old.get_params()["conv_skip"] is False
    np.testing.assert_array_equal(old.predict_proba(X), clf.predict_proba(X))


def test_lstm_auto_training_parameters_are_checked():
    X, y = _toy_sequences(n=12)
    for lr in ("fast", 0.0):
        with pytest.raises(ValueError, match="'lr' parameter"):
            KeypointLSTMClassifier(lr=lr, max_epochs=1).fit(X, y)
    with pytest.raises(ValueError, match="'optimizer' parameter"):
        KeypointLSTMClassifier(optimizer="fast", max_epochs=1).fit(X, y)
    # optimizer="auto" may be Adam or NAdam: passed-through arguments must suit both
    clf = KeypointLSTMClassifier(optimizer__amsgrad=True, max_epochs=1)
    with pytest.raises(ValueError, match=r"NAdam.*amsgrad"):
        clf.fit(X, y)
    assert not hasattr(clf, "net_")
    fitted = KeypointLSTMClassifier(optimizer__eps=1e-6, max_epochs=1).fit(X, y)
    assert fitted.net_.optimizer_.param_groups[0]["eps"] == 1e-6


def test_nan_padding_variable_length_lstm():
    """A sequence padded with trailing NaN rows is classified as if unpadded."""
    import torch
    from scipy.special import softmax

    X, y = _toy_sequences(n=24, T=8)
    clf = KeypointLSTMClassifier(
        hidden_size=6,
        n_layers=2,
        head="mean",
        max_epochs=3,
        validation_fraction=None,
        scale_input=False,  # the module is called on raw input below
        random_state=0,
    ).fit(X, y)
    short = X[:1, :5].astype(np.float32)
    padded = np.concatenate([short, np.full((1, 3, 3), np.nan)], axis=1)
    with torch.no_grad():
        logits = clf.module_.eval()(torch.from_numpy(short)).numpy()
    np.testing.assert_allclose(
        clf.predict_proba(padded), softmax(logits.astype(float), axis=1), rtol=1e-5
    )


@pytest.mark.parametrize(
    "row, message",
    [
        (lambda X: X.__setitem__((3, 2, 0), np.nan), "only some channels"),
        (lambda X: X.__setitem__((3, 2), np.nan), "middle of a sequence"),
        (lambda X: X.__setitem__(3, np.nan), "only of NaN padding"),
    ],
)
def test_bad_nan_padding(row, message):
    """The error says what is wrong and in which sequence."""
    X, y = _toy_sequences(T=8)
    row(X)
    with pytest.raises(ValueError, match=message) as error:
        Conv1DActivityClassifier(max_epochs=1).fit(X, y)
    assert "at index 3)" in str(error.value)


def test_keypoint_lstm_fills_missing_values_with_the_channel_mean():
    """KeypointNormalizer's missing joints (NaN) are missing values, not errors."""
    X, y = _toy_sequences(T=8)
    X_missing = X.copy()
    X_missing[0, 2, 0] = np.nan  # one coordinate
    X_missing[1, 3] = np.nan  # a whole frame inside the sequence
    X_missing[2, 6:] = np.nan  # trailing: padding
    clf = KeypointLSTMClassifier(
        hidden_size=4, n_layers=1, head_units=4, max_epochs=2, random_state=0
    ).fit(X_missing, y)
    proba = clf.predict_proba(X_missing)
    assert np.isfinite(proba).all()
    filled = X_missing.copy()
    filled[0, 2, 0] = clf.input_mean_[0]
    filled[1, 3] = clf.input_mean_
    np.testing.assert_allclose(clf.predict_proba(filled), proba, rtol=1e-5)
    with pytest.raises(ValueError, match="only of NaN padding"):
        clf.predict(np.full_like(X[:1], np.nan))


def test_grid_search_and_cross_val_with_early_stopping():
    X, y = _toy_sequences(n=36)
    base = Conv1DActivityClassifier(
        channels=(4,),
        kernel_size=3,
        head_units=8,
        max_epochs=4,
        patience=2,
        validation_fraction=0.25,
        random_state=0,
    )
    grid = GridSearchCV(base, {"kernel_size": [3, 5], "lr": [1e-3, 3e-3]}, cv=2)
    grid.fit(X, y)
    assert set(grid.best_params_) == {"kernel_size", "lr"}
    assert np.isfinite(grid.cv_results_["mean_test_score"]).all()
    _assert_early_stopping_used(grid.best_estimator_, patience=2)
    result = cross_validate(
        base, X, y, cv=3, return_estimator=True, return_indices=True
    )
    scores = result["test_score"]
    assert scores.shape == (3,) and np.isfinite(scores).all()
    for est, test, score in zip(result["estimator"], result["indices"]["test"], scores):
        _assert_early_stopping_used(est, patience=2)
        assert score == pytest.approx(np.mean(est.predict(X[test]) == y[test]))


def _assert_early_stopping_used(clf, patience):
    """``clf`` trained with skorch's EarlyStopping on a held-out split."""
    callbacks = dict(clf.net_.callbacks_)
    assert isinstance(callbacks["early_stopping"], EarlyStopping)
    assert callbacks["early_stopping"].patience == patience
    assert callbacks["early_stopping"].monitor == "valid_loss"
    losses = clf.history_[:, "valid_loss"]  # the monitored score was computed
    assert len(losses) == len(clf.history_) and np.isfinite(losses).all()


@pytest.mark.parametrize("Est", [Conv1DActivityClassifier, KeypointLSTMClassifier])
def test_seed_ensemble_with_voting_classifier(Est):
    """The user guide's seed ensemble: scikit-learn's soft voting over networks
    of several seeds takes NaN-padded 3D sequences and string labels, averages
    the members' probabilities and survives pickling."""
    X, y = _toy_sequences(n=24)
    X[::3, -3:] = np.nan  # variable lengths
    params = Est._get_test_params()[0]
    ensemble = VotingClassifier(
        [(f"seed{s}", Est(**{**params, "random_state": s})) for s in (0, 1)],
        voting="soft",
    ).fit(X, y)
    members = [Est(**{**params, "random_state": s}).fit(X, y) for s in (0, 1)]
    proba = ensemble.predict_proba(X)
    np.testing.assert_allclose(
        proba, np.mean([m.predict_proba(X) for m in members], axis=0), rtol=1e-6
    )
    assert set(ensemble.predict(X)) <= {"walk", "run", "sit"}
    np.testing.assert_array_equal(
        pickle.loads(pickle.dumps(ensemble)).predict_proba(X), proba
    )


def test_pipeline_with_function_transformer():
    X, y = _toy_sequences()
    pipe = make_pipeline(
        FunctionTransformer(lambda a: a * 2.0),
        KeypointLSTMClassifier(**KeypointLSTMClassifier._get_test_params()[0]),
    )
    assert pipe.fit(X, y).predict(X).shape == (len(X),)


def test_step_lr_schedule_applied():
    X, y = _toy_sequences()
    clf = KeypointLSTMClassifier(
        hidden_size=4,
        n_layers=1,
        max_epochs=4,
        lr=0.1,
        lr_step_size=2,
        lr_gamma=0.1,
        validation_fraction=None,
        random_state=0,
    ).fit(X, y)
    lrs = [group["lr"] for group in clf.net_.optimizer_.param_groups]
    np.testing.assert_allclose(lrs, [0.1 * 0.1**2])


def test_verbose_prints_epoch_table(capsys):
    X, y = _toy_sequences()
    params = dict(Conv1DActivityClassifier._get_test_params()[0], max_epochs=2)
    Conv1DActivityClassifier(**params, verbose=1).fit(X, y)
    assert "train_loss" in capsys.readouterr().out
    Conv1DActivityClassifier(**params, verbose=0).fit(X, y)
    assert capsys.readouterr().out == ""


def test_keypoint_normalizer_missing_joints_through_the_lstm_pipeline():
    """Issue 13 (8): KeypointNormalizer's documented NaN joints reach the LSTM."""
    from sklearn.pipeline import make_pipeline

    from skseq.datasets import make_keypoint_actions
    from skseq.preprocessing import KeypointNormalizer

    X, y = make_keypoint_actions(n_samples=40, n_timesteps=6, random_state=0)
    rng = np.random.default_rng(0)
    joints = X.reshape(len(X), X.shape[1], 15, 2)
    joints[rng.random(joints.shape[:3]) < 0.1] = np.nan  # 10 % missing joints
    joints[:5, -2:] = np.nan  # and some shorter, padded sequences
    model = make_pipeline(
        KeypointNormalizer(),
        KeypointLSTMClassifier(
            hidden_size=4, n_layers=1, head_units=4, max_epochs=2, random_state=0
        ),
    ).fit(X, y)
    proba = model.predict_proba(X)
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)


def test_messages_name_labels_and_this_estimators_continuable_arguments():
    X, y = _toy_sequences()
    params = Conv1DActivityClassifier._get_test_params()[0]
    with pytest.raises(ValueError, match=r"got 1 class \(0\)\."):  # not np.int64(0)
        Conv1DActivityClassifier(**params).fit(X, np.zeros(len(X), dtype=np.int64))
    est = Conv1DActivityClassifier(**params, warm_start=True).fit(X, y)
    with pytest.raises(ValueError, match="honours only") as error:
        est.set_params(channels=(5,)).fit(X, y)
    # the U-Net's and the LSTM's continuable arguments are not this one's
    assert "tile_size" not in str(error.value) and "lr_gamma" not in str(error.value)
