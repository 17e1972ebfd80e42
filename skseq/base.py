"""Torch-free base classes shared by skseq's transformers and estimators."""

from __future__ import annotations

__all__ = ["ArrayOutputMixin"]


class ArrayOutputMixin:
    """Opt a transformer with 3D (or higher) output out of ``set_output``.

    scikit-learn wraps ``transform`` and ``fit_transform`` of every
    transformer that has ``get_feature_names_out`` so that
    ``sklearn.set_config(transform_output="pandas")`` (or ``"polars"``) or
    ``set_output(transform="pandas")`` returns DataFrames. A DataFrame holds a
    2D table only, so skseq's transformers of sequences and frames opt out
    of that wrapping (``auto_wrap_output_keys=None``, as scikit-learn
    documents for such classes) and always return numpy arrays; their
    ``set_output`` is accepted, so that ``Pipeline.set_output`` works for the
    pipeline's other steps, and changes nothing.

    Put it first among the bases, before ``TransformerMixin``.
    """

    def __init_subclass__(cls, **kwargs):
        kwargs.setdefault("auto_wrap_output_keys", None)
        super().__init_subclass__(**kwargs)

    def set_output(self, *, transform=None):
        """Accept an output container; the output stays a numpy array.

        Parameters
        ----------
        transform : {"default", "pandas", "polars"} or None, default=None
            Ignored: sequences and frames have more than two dimensions, which
            pandas and polars cannot hold.

        Returns
        -------
        self : object
        """
        return self
