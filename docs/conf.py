"""Sphinx configuration of the skseq documentation."""

import os
import sys

sys.path.insert(0, os.path.abspath(".."))
sys.path.insert(0, os.path.abspath("_ext"))

import skseq

project = "skseq"
author = "The skseq developers"
copyright = "2026, the skseq developers"
release = skseq.__version__  # shown in the navbar and as |release|
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    # CHANGELOG.md as the changelog page, the landing page's figures
    "skseq_sphinx",
]
autosummary_generate = True
templates_path = ["_templates"]
# Class pages (docs/_templates/autosummary/class.rst) document every public
# method, inherited ones too (``fit``, ``predict``, ``score``, ``transform``,
# ``fit_transform`` ...), after a table of them; numpydoc's own member table
# is off so nothing is listed twice.
numpydoc_show_class_members = False
# scikit-learn's metadata-routing and output-container methods (documented
# there): neither on the class pages nor in their method tables
_HIDDEN_MEMBERS = [
    "set_fit_request",
    "set_score_request",
    "set_predict_request",
    "set_transform_request",
    "set_inverse_transform_request",
    "set_predict_proba_request",
    "set_partial_fit_request",
    "set_output",
    "get_metadata_routing",
]
autosummary_context = {"skseq_hidden_members": _HIDDEN_MEMBERS}
autodoc_default_options = {
    "members": True,
    # no "inherited-members" here: a non-string default would override the
    # class template's ``:inherited-members:``, and an exception's page would
    # list ``add_note`` and ``with_traceback``
    "exclude-members": ",".join(_HIDDEN_MEMBERS),
}
# numpydoc validation of every documented docstring: a public parameter left
# undocumented (PR01) or without a description (PR07), a documented parameter
# that does not exist (PR02), a return value without a description (RT03), a
# public method without a docstring (GL08), ... fail the ``-W`` build. "all"
# but these style rules, which the docstrings do not follow: an extended
# summary (ES01), Examples and See Also sections everywhere (EX01, SA01) and
# no name for a single return value (RT02: scikit-learn's ``self : object``
# style).
numpydoc_validation_checks = {
    "all",
    "ES01",
    "EX01",
    "SA01",
    "RT02",
}
exclude_patterns = ["_build", "auto_examples/*.ipynb"]
# Every cross-reference must resolve: with ``-W`` a broken one (a renamed or
# unexported skseq object, a typo) fails the build instead of rendering as
# code without a link. The docs have no intersphinx (the build runs
# offline), so references to other projects' and the standard library's
# objects cannot resolve; they are exempt here, by package.
nitpicky = True
_UNLINKED_PACKAGES = (
    "accelerate",
    "collections",
    "dask",
    "datetime",
    "distributed",
    "functools",
    "nn",
    "np",
    "numpy",
    "onnx",
    "onnxruntime",
    "os",
    "pandas",
    "pathlib",
    "pd",
    "pysteps",
    "pytest",
    "scipy",
    "skorch",
    "sklearn",
    "time",
    "torch",
    "typing",
    "typing_extensions",
    "xarray",
)
nitpick_ignore_regex = [
    (r"py:.*", rf"({'|'.join(_UNLINKED_PACKAGES)})(\..+)?"),
]
nitpick_ignore = [
    # scikit-learn's, from UNetNowcaster's signature (imported by name)
    ("py:class", "BaseCrossValidator"),
    # names the annotations import for type checkers only (numpy.typing,
    # scikit-learn, skseq's private LazyFrames and base class) and TypeVars:
    # shown as written, without a page to link to
    ("py:class", "ArrayLike"),
    ("py:class", "DTypeLike"),
    ("py:class", "BaseEstimator"),
    ("py:class", "BaseShuffleSplit"),
    ("py:class", "BaseDeepEstimator"),
    ("py:class", "LazyFrames"),
    ("py:class", "skseq.base._Fit"),
    ("py:class", "skseq.export._DeepEstimator"),
]

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    # the gallery's sections, one per domain, then the workflow examples
    "subsection_order": [
        "../examples/traffic",
        "../examples/radar",
        "../examples/sensors",
        "../examples/keypoints",
        "../examples/workflows",
    ],
    "download_all_examples": False,
    # "Examples using this class/function" on the API pages (minigallery in
    # docs/_templates/autosummary/)
    "doc_module": ("skseq",),
    "backreferences_dir": "generated/backreferences",
}

html_theme = "pydata_sphinx_theme"
# the navbar shows the title: name and version of the documented skseq
html_title = f"skseq {release}"
html_static_path = ["_static"]
# pages without subpages: no empty "Section Navigation" sidebar
html_sidebars = {
    page: [] for page in ("index", "install", "benchmarks", "changelog", "citing")
}
html_css_files = ["skseq.css"]
