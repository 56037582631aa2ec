"""The figures of the Learning pages come from this code.

docgen/teaching_figures.py computes every curve it draws with rnn_ref and stores the numbers
next to the PNGs, in docs/img/teaching_figures.json. Here they are computed again and
compared with what is stored: a figure that the code no longer produces fails the test.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.printed  # docs/reliability.md: the numbers we print

ROOT = Path(__file__).resolve().parents[1]


def _script():
    path = ROOT / "docgen" / "teaching_figures.py"
    spec = importlib.util.spec_from_file_location("teaching_figures", path)
    script = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = script
    spec.loader.exec_module(script)
    return script


SCRIPT = _script()
STORED = json.loads(SCRIPT.DATA.read_text(encoding="utf-8"))


def test_every_figure_has_its_png_and_its_numbers():
    for name in SCRIPT.FIGURES:
        png = SCRIPT.IMG / f"teaching_{name}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"{png} is not a PNG"
        assert name in STORED, f"{SCRIPT.DATA} has no numbers for {name}"


def test_the_stored_numbers_are_what_the_code_computes():
    fresh = SCRIPT.compute()
    assert SCRIPT.stale(STORED, fresh) == [], "run python docgen/teaching_figures.py"


def test_the_staleness_check_can_fail():
    changed = json.loads(json.dumps(STORED))
    changed["gradient_flow"]["tanh"]["1.0"][7] *= 1.001
    assert SCRIPT.stale(STORED, changed) == ["gradient_flow"]


def test_the_staleness_check_can_fail_on_either_side_of_the_u():
    """The truncation side is compared by its digits, the rounding side by its bound."""
    data = STORED["step_size"]
    for dtype in ("float64", "float32"):
        right = json.loads(json.dumps(STORED))
        right["step_size"][dtype][-1] *= 1.001  # the largest step: truncation alone
        assert SCRIPT.stale(STORED, right) == ["step_size"], dtype
        left = json.loads(json.dumps(STORED))
        bound = data["rounding"][dtype][0]  # the smallest step: rounding alone
        left["step_size"][dtype][0] = data[dtype][0] + 2.01 * bound
        assert SCRIPT.stale(STORED, left) == ["step_size"], dtype
        left["step_size"][dtype][0] = data[dtype][0] + 1.99 * bound
        assert SCRIPT.stale(STORED, left) == [], dtype


def test_the_rounding_part_bounds_the_error_left_of_the_minimum():
    """The bound the comparison allows is a bound: every error left of the U's minimum is
    within it (the measured worst is 0.6 of it)."""
    data = STORED["step_size"]
    for dtype in ("float64", "float32"):
        errors, rounding = np.array(data[dtype]), np.array(data["rounding"][dtype])
        left = slice(0, int(np.argmin(errors)) + 1)
        assert np.all(errors[left] <= rounding[left]), dtype


def test_gradient_flow_is_the_product_the_page_describes():
    """At radius 0.5 (tanh) the norm shrinks by about the radius per step; sigmoid by more."""
    tanh = np.array(STORED["gradient_flow"]["tanh"]["0.5"])
    sigmoid = np.array(STORED["gradient_flow"]["sigmoid"]["1.0"])
    rate = (tanh[-1] / tanh[0]) ** (1 / (len(tanh) - 1))
    assert 0.4 < rate < 0.6
    assert (sigmoid[-1] / sigmoid[0]) ** (1 / (len(sigmoid) - 1)) < 0.25


def test_the_step_size_curve_is_a_u_with_its_minimum_where_the_page_says():
    data = STORED["step_size"]
    steps = np.array(data["steps"])
    for dtype, best_step, best_error in (("float64", 1e-5, 1e-11), ("float32", 1e-2, 1e-5)):
        errors = np.array(data[dtype])
        i = int(np.argmin(errors))
        assert best_step / 10 <= steps[i] <= best_step * 10, dtype
        assert errors[i] < best_error, dtype
        assert errors[0] > 1e3 * errors[i] and errors[-1] > 1e3 * errors[i], dtype


LEARNING = {  # page -> the figures it shows
    "gradient-flow.md": ["teaching_gradient_flow.png"],
    "clipping.md": [],
    "gradient-check-failures.md": ["teaching_step_size.png"],
    "not-learning.md": [],
    "names.md": [],
    "vanishing-in-practice.md": [],
    "truncations-compared.md": [],
}


def test_every_learning_page_is_in_the_nav_and_shows_its_figures():
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    learning = nav[nav.index("  - Learning:") :]
    for page, figures in LEARNING.items():
        assert f": {page}" in learning, f"{page} is not in the Learning group of mkdocs.yml"
        text = (ROOT / "docs" / page).read_text(encoding="utf-8")
        for figure in figures:
            assert f"](img/{figure})" in text, f"docs/{page} does not show {figure}"
    shown = {figure for figures in LEARNING.values() for figure in figures}
    assert shown == {f"teaching_{name}.png" for name in SCRIPT.FIGURES}
