import warnings

import numpy as np
import pytest
from _support import tiny_conv1d, toy_sequences
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from skseq import ConvLSTMForecaster, UNetNowcaster
from skseq.utils._warnings import warn_user


def test_warn_user_points_at_the_first_caller_outside_skseq():
    with pytest.warns(UserWarning, match="hello") as record:
        warn_user("hello")
    assert record[0].filename == __file__


@pytest.mark.parametrize("model", ["conv1d", "convlstm", "unet", "pipeline"])
def test_a_fits_warning_points_at_the_users_line(model):
    # a fixed stacklevel pointed inside skseq for the frame estimators, whose
    # _fit adds a frame
    if model in ("conv1d", "pipeline"):
        X, y = toy_sequences(n=24, T=16)
        est = tiny_conv1d(validation_fraction=0.01)
        if model == "pipeline":  # scikit-learn's frames are skipped too
            est = make_pipeline(FunctionTransformer(), est)
    else:
        frames = np.random.default_rng(0).random((6, 4, 8, 8)).astype(np.float32)
        X, y = frames[:, :2], frames[:, 2:]
        kind = ConvLSTMForecaster if model == "convlstm" else UNetNowcaster
        est = kind(max_epochs=1, validation_fraction=0.01, random_state=0)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        est.fit(X, y)
    split = [w for w in record if "without a validation split" in str(w.message)]
    assert split and all(w.filename == __file__ for w in split)
