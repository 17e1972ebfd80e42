"""The deep estimators' docstrings: the shared training arguments are written
once (``TRAINING_PARAMETER_DOCS``) and composed into each class's docstring
with that class's own defaults."""

import inspect
import re

import pytest

from skseq import (
    Conv1DActivityClassifier,
    ConvLSTMForecaster,
    KeypointLSTMClassifier,
    UNetNowcaster,
)
from skseq.estimators._base import BaseDeepEstimator
from skseq.estimators._training_doc import (
    TRAINING_PARAMETER_DOCS,
    compose_training_doc,
)

ESTIMATORS = [
    Conv1DActivityClassifier,
    ConvLSTMForecaster,
    KeypointLSTMClassifier,
    UNetNowcaster,
]


def _documented(cls) -> dict[str, str]:
    """Parameter name -> its type line, from the Parameters section."""
    doc = inspect.getdoc(cls)
    section = doc.split("Parameters\n----------\n", 1)[1].split("\n\n", 1)[0]
    section = re.split(r"\n[A-Z][a-z]+( [A-Z][a-z]+)?\n-+\n", section)[0]
    return dict(re.findall(r"^(\*{0,2}\w+) : (.*)$", section, flags=re.MULTILINE))


def _format(value) -> str:
    return f'"{value}"' if isinstance(value, str) else repr(value)


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_every_parameter_documented_with_its_default(cls):
    documented = _documented(cls)
    for name, param in inspect.signature(cls.__init__).parameters.items():
        if name == "self":
            continue
        if param.kind is param.VAR_KEYWORD:
            assert "**kwargs" in documented
            continue
        assert name in documented, f"{cls.__name__}: {name} undocumented"
        assert documented[name].endswith(f"default={_format(param.default)}"), (
            cls.__name__,
            name,
            documented[name],
        )
    assert "{training_parameters}" not in cls.__doc__


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_shared_descriptions_composed(cls):
    doc = inspect.getdoc(cls)
    assert '``"cuda:N"``' in doc and '``"auto"``' in doc  # device
    assert "optimizer__momentum" in doc  # **kwargs


def test_class_own_entry_replaces_the_shared_one_in_place():
    # KeypointLSTMClassifier's lr_schedule takes "step" too
    doc = inspect.getdoc(KeypointLSTMClassifier)
    assert doc.count("\nlr_schedule : ") == 1
    assert 'lr_schedule : {"cosine", "step"} or None, default="cosine"' in doc
    documented = list(_documented(KeypointLSTMClassifier))
    signature = [
        name
        for name in inspect.signature(KeypointLSTMClassifier).parameters
        if name != "kwargs"
    ]
    assert documented == [*signature, "**kwargs"]


def test_parameter_documented_by_the_class_is_left_to_it():
    @compose_training_doc
    class Own:
        """Own.

        Parameters
        ----------
        lr : float, default=1.0
            My own words.
        {training_parameters}
        """

        def __init__(self, lr=1.0, verbose=0):
            pass

    doc = inspect.getdoc(Own)
    assert doc.count("\nlr : ") == 1 and "My own words." in doc
    assert "verbose : int, default=0" in doc


def test_base_class_lists_all_shared_parameters_without_defaults():
    documented = _documented(BaseDeepEstimator)
    assert set(TRAINING_PARAMETER_DOCS) | {"**kwargs"} == set(documented)
    assert not any("default=" in line for line in documented.values())


def test_compose_training_doc_needs_the_marker():
    with pytest.raises(ValueError, match="training_parameters"):

        @compose_training_doc
        class NoMarker:
            """No parameters section."""

            def __init__(self, lr=0.1):
                self.lr = lr


def test_compose_training_doc_notes_and_defaults():
    @compose_training_doc(lr="Per-class remark.")
    class Small:
        """Small.

        Parameters
        ----------
        width : int, default=3
            Width.
        {training_parameters}
        """

        def __init__(self, width=3, lr=0.5, device="auto"):
            pass

    doc = inspect.getdoc(Small)
    assert "lr : float, default=0.5\n" in doc
    assert "Per-class remark." in doc
    assert 'device : str, default="auto"\n' in doc
    assert "**kwargs" not in doc  # the class takes none
    with pytest.raises(ValueError, match="unknown"):
        compose_training_doc(learning_rate="typo")


def test_compose_training_doc_kwargs_notes():
    """A note on ``**kwargs`` is appended to the shared entry, or replaces it
    as a ``(type, description)`` tuple, as for the other arguments."""

    def documented(**notes):
        @compose_training_doc(**notes)
        class Open:
            """Open.

            Parameters
            ----------
            {training_parameters}
            """

            def __init__(self, lr=0.5, **kwargs):
                pass

        return inspect.getdoc(Open).split("**kwargs", 1)[1]

    assert "optimizer__momentum" in documented()
    appended = documented(kwargs="Extra remark.")
    assert "optimizer__momentum" in appended and "Extra remark." in appended
    replaced = documented(kwargs=("dict", "Only this."))
    assert replaced.startswith(" : dict\n") and "Only this." in replaced
    assert "optimizer__momentum" not in replaced


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_shared_fitted_attributes_composed_once(cls):
    """``net_``, ``max_epochs_`` and ``n_epochs_`` are written once
    (``TRAINING_ATTRIBUTES_DOC``) and appear once in every Attributes section;
    no marker line is left unfilled."""
    doc = inspect.getdoc(cls)
    attributes = doc.split("Attributes\n----------\n", 1)[1]
    for name in ("net_", "max_epochs_", "n_epochs_"):
        assert len(re.findall(rf"^{name} : ", attributes, flags=re.MULTILINE)) == 1
    assert "{training_attributes}" not in doc
    assert "{classifier_attributes}" not in doc


def test_fill_doc_marker_indents_and_can_require_the_line():
    from skseq.estimators._training_doc import fill_doc_marker

    doc = "Summary.\n\n    Attributes\n    ----------\n    {x}\n"
    assert fill_doc_marker(doc, "{x}", "a_ : int\n    An a.") == (
        "Summary.\n\n    Attributes\n    ----------\n    a_ : int\n        An a.\n"
    )
    assert fill_doc_marker("No marker.", "{x}", "a_ : int") == "No marker."
    with pytest.raises(ValueError, match=re.escape("no {x} line")):
        fill_doc_marker("No marker.", "{x}", "a_ : int", required=True)
