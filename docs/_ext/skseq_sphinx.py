"""Small local Sphinx extension of the skseq documentation.

* ``changelog``: the page's source is ``CHANGELOG.md`` of the repository root,
  converted from its (simple) Markdown to reStructuredText when the page is
  read, so the changelog has one source and the docs need no Markdown parser.
* ``index``: the line ``.. skseq-landing-figures`` becomes a grid of one
  gallery figure per domain when sphinx-gallery has produced them (a build
  that executed the examples), and a pointer to the gallery otherwise (a
  clean build with ``-D plot_gallery=0``), so no build refers to a missing
  image.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHANGELOG = ROOT / "CHANGELOG.md"

#: (gallery section, example, figure number, alt text, caption): one
#: gallery figure per domain.
LANDING_FIGURES = [
    (
        "traffic",
        "plot_traffic_convlstm",
        1,
        "Time-space diagrams of observed and forecast traffic speeds",
        "Traffic: a day of jams, ConvLSTM",
    ),
    (
        "radar",
        "plot_radar_nowcasting",
        2,
        "Observed and nowcast radar rain rates",
        "Radar: nowcasts, U-Net",
    ),
    (
        "sensors",
        "plot_activity_basic_motions",
        1,
        "Confusion matrix of an activity classifier",
        "Sensors: IMU activities, Conv1D",
    ),
    (
        "keypoints",
        "plot_keypoint_actions",
        1,
        "Accuracy of keypoint classifiers as joints go missing",
        "Keypoints: stacked LSTM, missing joints",
    ),
]
LANDING_MARKER = ".. skseq-landing-figures"

_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
_CODE = re.compile(r"`([^`]+)`")


def _inline(text: str) -> str:
    """Markdown inline markup -> reST: code spans, links, reST specials."""
    out = []
    pos = 0
    for match in _CODE.finditer(text):
        out.append(_plain(text[pos : match.start()]))
        before = text[match.start() - 1] if match.start() else " "
        after = text[match.end()] if match.end() < len(text) else " "
        code = match.group(1)
        out.append(
            ("\\ " if before.isalnum() else "")
            + f"``{code}``"
            + ("\\ " if after.isalnum() else "")
        )
        pos = match.end()
    out.append(_plain(text[pos:]))
    return "".join(out)


def _plain(text: str) -> str:
    """Text outside code spans: links converted, reST specials escaped."""
    links = []

    def keep(match):
        links.append(f"`{match.group(1)} <{match.group(2)}>`__")
        return f"\x00{len(links) - 1}\x00"

    text = _LINK.sub(keep, text)
    text = text.replace("\\", "\\\\").replace("|", "\\|")
    # a word ending in "_" would be a reST reference
    text = re.sub(r"(\w)_(?=\W|$)", r"\1\\_", text)
    return re.sub(r"\x00(\d+)\x00", lambda m: links[int(m.group(1))], text)


def markdown_to_rst(markdown: str) -> str:
    """Convert the Markdown subset of ``CHANGELOG.md`` to reStructuredText.

    Headings (``#`` to ``###``), paragraphs, ``-`` bullet lists with indented
    continuation lines, code spans, links and emphasis (identical in reST).
    """
    underline = {1: "=", 2: "-", 3: "~", 4: "^"}
    out = []
    block = []  # lines between headings; code spans may cross line breaks

    def flush():
        if block:
            out.append(_inline("\n".join(block)))
            block.clear()

    for line in markdown.splitlines():
        heading = re.match(r"^(#{1,4})\s+(.*)$", line)
        if heading:
            flush()
            title = heading.group(2).strip()
            title = _inline(re.sub(r"^\[([^\]]+)\]", r"\1", title))  # [Unreleased]
            char = underline[len(heading.group(1))]
            out.append(f"{title}\n{char * len(title)}\n")
        else:
            block.append(line)
    flush()
    return "\n".join(out) + "\n"


def _landing_figures(srcdir: Path) -> str:
    def image(section: str, name: str, number: int) -> str:
        return f"auto_examples/{section}/images/sphx_glr_{name}_{number:03d}.png"

    paths = [srcdir / image(s, n, k) for s, n, k, _, _ in LANDING_FIGURES]
    if not all(path.is_file() for path in paths):
        return (
            "Figures of every domain are in the :doc:`example gallery "
            "<auto_examples/index>` (this build of the documentation did not "
            "run the examples)."
        )
    rows = [
        ".. rubric:: From the example gallery",
        "",
        ".. list-table::",
        "   :class: skseq-landing-figures",
        "",
    ]
    for i, (section, name, number, alt, caption) in enumerate(LANDING_FIGURES):
        bullet = "   * - " if i % 2 == 0 else "     - "
        rows += [
            f"{bullet}.. figure:: {image(section, name, number)}",
            f"            :alt: {alt}",
            f"            :target: auto_examples/{section}/{name}.html",
            "",
            f"            :ref:`{caption} <sphx_glr_auto_examples_{section}_{name}.py>`",
            "",
        ]
    return "\n".join(rows)


def _source_read(app, docname, source):
    if docname == "changelog":
        app.env.note_dependency(str(CHANGELOG))
        source[0] = markdown_to_rst(CHANGELOG.read_text(encoding="utf-8"))
    elif docname == "index" and LANDING_MARKER in source[0]:
        source[0] = source[0].replace(
            LANDING_MARKER, _landing_figures(Path(app.srcdir))
        )


def _always_reread_index(app, env, added, changed, removed):
    # the landing figures depend on whether the gallery ran, not on index.rst
    return ["index"] if "index" in env.found_docs else []


def setup(app):
    app.connect("source-read", _source_read)
    app.connect("env-get-outdated", _always_reread_index)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
