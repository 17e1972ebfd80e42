"""Registry of skseq's public estimators and transformers.

Mirrors :func:`sklearn.utils.discovery.all_estimators`: walks the public
modules of skseq and returns every concrete ``BaseEstimator`` subclass, so a
test-suite parametrized over :func:`all_estimators` enrols every current and
future class automatically.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from sklearn.base import BaseEstimator

__all__ = ["all_estimators"]

_SKIPPED_PACKAGES = ("skseq.modules", "skseq.utils", "skseq.datasets")


def all_estimators(
    type_filter: str | list[str] | None = None,
) -> list[tuple[str, type]]:
    """Public estimator classes of skseq.

    Parameters
    ----------
    type_filter : {"classifier", "regressor", "transformer", "sampler"}, list of them or None, default=None
        Keep only classes of that kind (of any of the kinds of a list, as
        scikit-learn's ``all_estimators`` does).

    Returns
    -------
    estimators : list of (name, class)
        Sorted by name; private (``_``-prefixed) and abstract classes excluded.
    """
    import skseq

    found: dict[str, type] = {}
    for info in pkgutil.walk_packages(skseq.__path__, prefix="skseq."):
        module_name = info.name
        if any(part.startswith("_") for part in module_name.split(".")[1:]):
            continue
        if module_name.startswith(_SKIPPED_PACKAGES) or module_name == "skseq.demo":
            continue
        module = importlib.import_module(module_name)
        for name, obj in inspect.getmembers(module, inspect.isclass):
            if (
                issubclass(obj, BaseEstimator)
                and obj.__module__.startswith("skseq")
                # defined in a public module (not skorch nets of a private one)
                and not any(p.startswith("_") for p in obj.__module__.split("."))
                and not name.startswith(("_", "Base"))
                and not inspect.isabstract(obj)
            ):
                found[name] = obj
    estimators = sorted(found.items())
    if type_filter is None:
        return estimators
    checks = {
        "classifier": lambda c: hasattr(c, "predict_proba"),
        "regressor": lambda c: (
            hasattr(c, "predict") and not hasattr(c, "predict_proba")
        ),
        "transformer": lambda c: hasattr(c, "transform"),
        "sampler": lambda c: hasattr(c, "fit_resample"),
    }
    kinds = [type_filter] if isinstance(type_filter, str) else list(type_filter)
    unknown = [kind for kind in kinds if kind not in checks]
    if unknown or not kinds:
        raise ValueError(
            f"type_filter must be one of {sorted(checks)}, a list of them or None; "
            f"got {type_filter!r}."
        )
    return [(n, c) for n, c in estimators if any(checks[kind](c) for kind in kinds)]
