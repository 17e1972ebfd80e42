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
numpydoc_show_class_members = False
autodoc_default_options = {
    "members": True,
    "inherited-members": False,
    # scikit-learn's metadata-routing and parameter methods: documented there
    "exclude-members": (
        "set_fit_request,set_score_request,set_predict_request,set_transform_request,"
        "set_inverse_transform_request,set_predict_proba_request,set_output,"
        "get_metadata_routing,get_params,set_params,fit_predict"
    ),
}
exclude_patterns = ["_build", "auto_examples/*.ipynb"]

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
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
