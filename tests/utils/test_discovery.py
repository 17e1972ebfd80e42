"""Tests of skseq.utils.discovery."""

import pytest

from skseq.utils.discovery import all_estimators


def test_registry_lists_every_public_estimator():
    names = {name for name, _ in all_estimators()}
    assert {
        "ConvLSTMForecaster",
        "UNetNowcaster",
        "Conv1DActivityClassifier",
        "KeypointLSTMClassifier",
        "Heatmapper",
        "DerivativeIntegralFeatures",
        "RollAugmenter",
        "RollOversampler",
        "LogTransformer",
        "KeypointNormalizer",
        "SlidingWindows",
        "PersistenceForecaster",
        "ExtrapolationNowcaster",
        "FoldEnsembleClassifier",
    } <= names
    assert not any(n.startswith(("_", "Base")) for n in names)


def test_type_filter():
    classifiers = {n for n, _ in all_estimators("classifier")}
    assert "Conv1DActivityClassifier" in classifiers
    assert "UNetNowcaster" not in classifiers
    assert "RollOversampler" in {n for n, _ in all_estimators("sampler")}
    with pytest.raises(ValueError, match="type_filter"):
        all_estimators("clusterer")
