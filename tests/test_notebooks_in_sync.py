"""The committed .ipynb files are built from their jupytext .py sources (`make notebooks`): same cells."""

from pathlib import Path

import jupytext
import pytest

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("0*.py"))


def test_all_six_notebooks_exist():
    assert [p.stem[:2] for p in NOTEBOOKS] == ["01", "02", "03", "04", "05", "06"]


@pytest.mark.parametrize("source", NOTEBOOKS, ids=lambda p: p.stem)
def test_ipynb_matches_its_py_source_and_has_outputs(source):
    built = source.with_suffix(".ipynb")
    assert built.exists(), f"{built.name} missing: run `make notebooks`"
    py, ipynb = jupytext.read(source), jupytext.read(built)
    cells = [(c.cell_type, c.source.strip()) for c in py.cells]
    assert cells == [(c.cell_type, c.source.strip()) for c in ipynb.cells], f"{built.name} is stale: `make notebooks`"
    assert py.cells[1].metadata.get("tags") == ["parameters"]  # the parameters cell comes first
    code = [c for c in ipynb.cells if c.cell_type == "code"]
    assert all(c.get("outputs") is not None for c in code) and any(c.outputs for c in code)
    assert not any(o.get("output_type") == "error" for c in code for o in c.outputs)
