import os

import pytest

# Tests never reach the Hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")


@pytest.fixture(scope="session")
def default_model_path():
    from inftool_hf.default_model import prepare_default_model

    return str(prepare_default_model())


@pytest.fixture(scope="session")
def weather_tools():
    import json
    from pathlib import Path

    return json.loads((Path(__file__).parent.parent / "examples" / "weather_tools.json").read_text())
