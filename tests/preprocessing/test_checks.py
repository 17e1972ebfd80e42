"""scikit-learn's estimator checks for the array transformers of skseq.preprocessing.

KeypointNormalizer is not here: its rows are (x, y) pairs, so sklearn's data
with an odd number of features cannot be keypoints; it goes through skseq's
own harness in test_keypoints.py. Heatmapper takes DataFrames (test_heatmap.py)
and RollOversampler is a sampler (test_augment.py).
"""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skseq.preprocessing import (
    DerivativeIntegralFeatures,
    LogTransformer,
    RollAugmenter,
    SlidingWindows,
)


def _expected_failures(estimator):
    if isinstance(estimator, RollAugmenter):
        return {
            "check_transformer_general": (
                "fit_transform rolls (training augmentation) while fit().transform() "
                "is the identity, by design"
            ),
            "check_transformer_data_not_an_array": "same reason: fit_transform augments",
        }
    if isinstance(estimator, SlidingWindows):
        return {
            "check_transformer_general": "returns n_samples * n_windows rows by design",
            "check_transformer_data_not_an_array": "returns more rows than samples",
            "check_methods_sample_order_invariance": "rows are windows, not samples",
        }
    return {}


@parametrize_with_checks(
    [
        DerivativeIntegralFeatures(),
        RollAugmenter(random_state=0),
        LogTransformer(),
        # one step: several windows per row of sklearn's 3-feature data, so
        # the windowing itself is under test (window_length=3 would pass every
        # check with one window per row, and test nothing of it)
        SlidingWindows(window_length=1),
    ],
    expected_failed_checks=_expected_failures,
    xfail_strict=True,
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
