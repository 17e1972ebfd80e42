"""Tests of skseq.utils.discovery."""

import importlib
import inspect
import pkgutil

import pytest
from sklearn.base import BaseEstimator

from skseq.utils.discovery import all_estimators


def _public_api_estimators():
    """Concrete estimator classes in the ``__all__`` of every public module."""
    import skseq

    modules = ["skseq"] + [
        info.name
        for info in pkgutil.walk_packages(skseq.__path__, prefix="skseq.")
        if not any(part.startswith("_") for part in info.name.split("."))
    ]
    found = {}
    for module_name in modules:
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            if (
                inspect.isclass(obj)
                and issubclass(obj, BaseEstimator)
                and not inspect.isabstract(obj)
            ):
                assert found.setdefault(name, obj) is obj, f"two classes {name}"
    return found


def test_registry_lists_every_public_estimator():
    public = _public_api_estimators()
    import skseq

    # the walk reached the lazily exported top level and the subpackages
    assert set(skseq.__all__) - {"__version__"} <= set(public)
    assert {"FoldEnsembleClassifier", "RollOversampler", "SequenceFlattener"} <= set(
        public
    )
    assert dict(all_estimators()) == public
    assert not any(n.startswith(("_", "Base")) for n in public)


def test_type_filter():
    classifiers = {n for n, _ in all_estimators("classifier")}
    assert "Conv1DActivityClassifier" in classifiers
    assert "UNetNowcaster" not in classifiers
    assert "RollOversampler" in {n for n, _ in all_estimators("sampler")}
    with pytest.raises(ValueError, match="type_filter"):
        all_estimators("clusterer")
    # a list keeps the classes of any of its kinds, as in scikit-learn
    both = {n for n, _ in all_estimators(["classifier", "sampler"])}
    assert both == classifiers | {n for n, _ in all_estimators("sampler")}
    for bad in (["classifier", "clusterer"], []):
        with pytest.raises(ValueError, match="type_filter"):
            all_estimators(bad)
