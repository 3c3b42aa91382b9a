"""The documented examples run: docstrings and python/README.md."""

import doctest
import importlib
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.mark.parametrize(
    "module", ["mtreg.linear_model", "mtreg.models", "mtreg.path", "mtreg.datasets"]
)
def test_docstring_examples(module):
    result = doctest.testmod(
        importlib.import_module(module),
        optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS,
    )
    assert result.attempted > 0 and result.failed == 0


def test_readme_example(capsys):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert blocks, "no python example in python/README.md"
    namespace = {}
    exec(compile(blocks[0], str(README), "exec"), namespace)
    model = namespace["model"]
    assert model.mse_path_.shape == (100, 5) and model.certificate_.satisfied
    assert "dual_gap" in capsys.readouterr().out
