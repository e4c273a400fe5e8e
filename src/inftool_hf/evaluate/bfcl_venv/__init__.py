"""Run with the interpreter of ``.venv-bfcl`` (bfcl-eval cannot share our environment): these files import nothing
from inftool_hf."""
