"""Notebooks run as tests (nbmake): slow, in order, writing into one temporary folder.

Each notebook reads the previous one's output from ``INFTOOL_NOTEBOOK_OUTPUTS`` when it is set, so the
test run never touches (or depends on) a user's ``outputs/notebooks``.
"""

import os
import tempfile

import pytest


def pytest_configure(config):
    os.environ.setdefault("INFTOOL_NOTEBOOK_OUTPUTS", tempfile.mkdtemp(prefix="inftool-notebooks-"))


def pytest_collection_modifyitems(config, items):
    for item in items:
        if str(item.fspath).endswith(".ipynb"):
            item.add_marker(pytest.mark.slow)
