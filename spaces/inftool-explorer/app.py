"""inftool-hf Space: explore verified tool-use trajectories and chat with the trained checkpoint.

Locally: ``python spaces/inftool-explorer/app.py`` (or ``inftool-hf space``). On the Hub, set the Space
variables INFTOOL_SPACE_DATASET (a dataset Hub id) and INFTOOL_SPACE_CHECKPOINT (a model or adapter Hub id).
"""

import os

from inftool_hf.space import build_app

demo = build_app(dataset=os.environ.get("INFTOOL_SPACE_DATASET"),
                 checkpoint=os.environ.get("INFTOOL_SPACE_CHECKPOINT", "default"))

if __name__ == "__main__":
    demo.launch(server_name=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
                server_port=int(os.environ.get("GRADIO_SERVER_PORT", "7860")))
