import subprocess
import sys

import numpy as np
import pytest

from skseq.utils._optional import import_pysteps


def test_import_pysteps_prints_no_banner():
    pytest.importorskip("pysteps")
    code = (
        "from skseq.utils._optional import import_pysteps;"
        "m = import_pysteps('test'); print(m.__name__, end='')"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout == "pysteps"


def test_import_pysteps_missing_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "pysteps", None)
    with pytest.raises(ImportError, match=r"MyNowcaster needs pysteps.*'nowcast'"):
        import_pysteps("MyNowcaster")


def test_steps_without_pysteps_names_itself(monkeypatch):
    from skseq.baselines import STEPSNowcaster

    monkeypatch.setitem(sys.modules, "pysteps", None)
    X = np.ones((2, 4, 8, 8), np.float32)
    with pytest.raises(ImportError, match=r"^STEPSNowcaster needs pysteps"):
        STEPSNowcaster().fit(X, X[:, :1])
