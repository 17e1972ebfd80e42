"""Comparing deep models with classical baselines in one table."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

import pandas as pd
from sklearn.base import clone
from sklearn.metrics import check_scoring

__all__ = ["compare_estimators"]


def compare_estimators(
    estimators: Mapping[str, object],
    X_train,
    y_train,
    X_test,
    y_test,
    *,
    scoring: str | Callable | Mapping[str, str | Callable] | None = None,
    sort_by: str | None = None,
    return_estimators: bool = False,
) -> pd.DataFrame | tuple[pd.DataFrame, dict[str, object]]:
    """Fit every estimator on the same split and tabulate scores and times.

    Each estimator is cloned, fitted on ``(X_train, y_train)`` and scored on
    ``(X_test, y_test)``; wall-clock fit and predict times are measured with
    :func:`time.perf_counter`.

    Parameters
    ----------
    estimators : mapping of str to estimator
        Name -> unfitted estimator or Pipeline.
    X_train, X_test : array-like
        Inputs in whatever layout the estimators take (e.g. ``(n, T, C)``).
    y_train, y_test : array-like
        Targets.
    scoring : str, callable, mapping or None, default=None
        One scorer (``None`` uses each estimator's ``score``) or a mapping of
        column name -> scorer, as in :func:`sklearn.model_selection.cross_validate`.
    sort_by : str or None, default=None
        Column to sort by, best first (descending: scorers are "greater is
        better", so error scorers come negated as in scikit-learn).
    return_estimators : bool, default=False
        Also return the fitted estimators (as ``return_estimator`` does in
        :func:`sklearn.model_selection.cross_validate`).

    Returns
    -------
    table : pandas.DataFrame
        Index: model names. Columns: one per score, ``fit_time_s`` and
        ``predict_time_s``.
    fitted : dict of str to estimator
        Only with ``return_estimators=True``.
    """
    if not estimators:
        raise ValueError("estimators is empty; pass a mapping of name -> estimator.")
    scorers = scoring if isinstance(scoring, Mapping) else {"score": scoring}
    rows = {}
    fitted = {}
    for name, estimator in estimators.items():
        est = clone(estimator)
        start = time.perf_counter()
        est.fit(X_train, y_train)
        fit_time = time.perf_counter() - start
        row = {}
        start = time.perf_counter()
        for column, scorer in scorers.items():
            row[column] = float(check_scoring(est, scoring=scorer)(est, X_test, y_test))
        row["fit_time_s"] = fit_time
        row["predict_time_s"] = (time.perf_counter() - start) / len(scorers)
        rows[name] = row
        fitted[name] = est
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "model"
    if sort_by is not None:
        if sort_by not in table.columns:
            raise ValueError(
                f"sort_by={sort_by!r} is not a column of {list(table.columns)}."
            )
        table = table.sort_values(sort_by, ascending=False, kind="stable")
    return (table, fitted) if return_estimators else table
