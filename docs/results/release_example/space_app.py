"""The inftool-hf Space of the loop run inftool-cpu-realworld: explore its released dataset (every iteration) and chat with
its model. The Space variables INFTOOL_SPACE_DATASET and INFTOOL_SPACE_CHECKPOINT override the two repos."""

import os
from pathlib import Path

from inftool_hf.space import build_app

HERE = Path(__file__).resolve().parent


def _here(ref: str) -> str:
    return str(HERE / ref) if ref.startswith(".") else ref  # an offline release: the folders beside this one


demo = build_app(dataset=os.environ.get("INFTOOL_SPACE_DATASET", _here('you/inftool-cpu-realworld')),
                 checkpoint=os.environ.get("INFTOOL_SPACE_CHECKPOINT", _here('you/inftool-cpu-realworld-model')))

if __name__ == "__main__":
    demo.launch(server_name=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
                server_port=int(os.environ.get("GRADIO_SERVER_PORT", "7860")))
