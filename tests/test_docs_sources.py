"""Sources of the documentation that live outside ``docs/``: they must not
break the docs build, which only CI's ``make docs`` would otherwise find."""

import ast
import doctest
import importlib
import importlib.util
import io
import pkgutil
import re
import warnings
from pathlib import Path

import pytest

import skseq

ROOT = Path(__file__).parents[1]


def test_citation_cff_version_is_the_package_version():
    text = (ROOT / "CITATION.cff").read_text(encoding="utf-8")
    match = re.search(r"^version:\s*(\S+)\s*$", text, flags=re.MULTILINE)
    assert match is not None, "CITATION.cff has no version"
    assert match.group(1).strip("\"'") == skseq.__version__


def test_no_pypi_install_advice():
    """skseq is installed from a checkout or a wheel, not as ``skseq[extra]``."""
    pattern = re.compile(r"""pip install ["']?skseq\[""")
    offenders = [
        str(path.relative_to(ROOT))
        for folder in ("skseq", "docs", "examples", "benchmarks")
        for path in (ROOT / folder).rglob("*")
        if path.suffix in {".py", ".rst", ".md"}
        and "auto_examples" not in path.parts
        and "_build" not in path.parts
        and pattern.search(path.read_text(encoding="utf-8"))
    ]
    offenders += [
        name
        for name in ("README.md",)
        if pattern.search((ROOT / name).read_text(encoding="utf-8"))
    ]
    assert offenders == []


def _docs_extension():
    path = ROOT / "docs" / "_ext" / "skseq_sphinx.py"
    spec = importlib.util.spec_from_file_location("skseq_sphinx", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_changelog_converts_to_warning_free_rst():
    """CHANGELOG.md is the docs' changelog page, converted to reST."""
    docutils_core = pytest.importorskip("docutils.core")
    ext = _docs_extension()
    rst = ext.markdown_to_rst(ext.CHANGELOG.read_text(encoding="utf-8"))
    # report_level 2: warnings and errors would fail `sphinx -W`
    doctree = docutils_core.publish_doctree(
        rst, settings_overrides={"report_level": 2, "halt_level": 2}
    )
    assert doctree.astext().startswith("Changelog")


def test_markdown_to_rst_inline_markup():
    ext = _docs_extension()
    rst = ext.markdown_to_rst(
        "## [Unreleased]\n- `a`s and [link](https://x.org), max_epochs_ | y\n"
        "  `multi\n  line`\n"
    )
    assert "Unreleased\n----------" in rst
    assert "``a``\\ s" in rst
    assert "`link <https://x.org>`__" in rst
    assert "max_epochs\\_" in rst and "\\|" in rst
    assert "``multi\n  line``" in rst


def test_docs_build_validates_parameter_docs():
    """The docs build fails on an undocumented parameter (numpydoc validation)."""
    tree = ast.parse((ROOT / "docs" / "conf.py").read_text(encoding="utf-8"))
    checks = next(
        ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign)
        and any(
            getattr(t, "id", None) == "numpydoc_validation_checks" for t in node.targets
        )
    )
    # "all" followed by exclusions, or an explicit list of checks
    required = {"PR01", "PR02", "PR07", "RT03", "GL08"}
    if "all" in checks:
        assert not required & checks
    else:
        assert required <= checks


_MODULES = sorted(
    ["skseq", *(m.name for m in pkgutil.walk_packages(skseq.__path__, "skseq."))]
)


# examples that need an optional dependency (the ``io`` and ``export`` extras)
_EXAMPLE_NEEDS = {"skseq.datasets._netcdf": "xarray", "skseq.export": "onnxruntime"}


@pytest.mark.parametrize("name", _MODULES)
def test_docstring_examples_run(name):
    """Every ``Examples`` section runs as shown, on its own imports, without a
    warning: what a user pastes into a fresh interpreter."""
    if name in _EXAMPLE_NEEDS:
        pytest.importorskip(_EXAMPLE_NEEDS[name])
    module = importlib.import_module(name)
    tests = doctest.DocTestFinder(exclude_empty=True).find(module, name, globs={})
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    report = io.StringIO()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for test in tests:
            runner.run(test, out=report.write)
    assert runner.failures == 0, report.getvalue()


def _api_reference_objects() -> dict[int, str]:
    """The objects that docs/api.rst documents, by ``id``: its autosummary
    entries and ``.. data::`` directives, each under the module that the
    ``module`` / ``currentmodule`` directive above it sets."""
    text = (ROOT / "docs" / "api.rst").read_text(encoding="utf-8")
    module, paths = None, []
    for line in text.splitlines():
        directive = re.match(r"\.\. (?:current)?module:: (\S+)", line)
        if directive:
            module = directive.group(1)
        elif data := re.match(r"\.\. data:: (\w+)", line):
            paths.append(f"{module}.{data.group(1)}")
        elif re.fullmatch(r"   ~?[\w.]+", line):
            paths.append(f"{module}.{line.strip().lstrip('~')}")
    documented = {}
    for path in paths:
        parts = path.split(".")
        for split in range(len(parts), 0, -1):
            try:
                obj = importlib.import_module(".".join(parts[:split]))
                break
            except ImportError:
                continue
        for part in parts[split:]:
            obj = getattr(obj, part)  # a listed name that does not exist fails
        documented[id(obj)] = path
    return documented


def _public_api_modules() -> list[str]:
    """skseq and its public modules with an ``__all__``. The submodules of a
    package that has an ``__all__`` of its own (``skseq.modules.unet``,
    ``skseq.preprocessing.windows`` ...) implement it: the package's
    ``__all__`` is their public API."""
    names = ["skseq"]
    for info in pkgutil.walk_packages(skseq.__path__, "skseq."):
        parts = info.name.split(".")
        if any(part.startswith("_") for part in parts):
            continue
        parent = importlib.import_module(".".join(parts[:-1]))
        if parent is not skseq and hasattr(parent, "__all__"):
            continue
        if hasattr(importlib.import_module(info.name), "__all__"):
            names.append(info.name)
    return names


def test_api_reference_lists_every_public_name():
    """Every name in a public ``__all__`` has an entry in docs/api.rst: an
    exported object without one has no page, its docstring escapes the
    build's numpydoc validation, and links to it do not resolve."""
    documented = _api_reference_objects()
    modules = _public_api_modules()
    assert {"skseq.modules", "skseq.base", "skseq.utils.validation"} <= set(modules)
    missing = [
        f"{name}.{attr}"
        for name in modules
        for attr in importlib.import_module(name).__all__
        if not attr.startswith("__")
        and id(getattr(importlib.import_module(name), attr)) not in documented
    ]
    assert missing == []
