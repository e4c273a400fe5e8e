"""A generation command slow enough to be killed mid-shard (tests/test_reliability.py).

``python -m tests.crash_generate <output_dir>``: the data half with a scripted model that takes a moment per
round, so ``kill -9`` lands between shard writes.
"""

import sys
import time

from inftool_hf.configs import config_from_dict
from inftool_hf.generate import GenerateConfig, generate
from tests.fakes import ScriptedBackend


class SlowScriptedBackend(ScriptedBackend):
    def generate(self, conversations, tools=None, sampling=None):
        time.sleep(0.4)
        return super().generate(conversations, tools, sampling)


def main() -> None:
    config = config_from_dict(GenerateConfig, {
        "name": "crash", "output_dir": sys.argv[1], "decontaminate": False,
        "scenarios": {"num_scenarios": 24, "seed": 9}, "roleplay": {"shard_size": 3},
    })
    verified = generate(config, backend=SlowScriptedBackend(), progress=False)
    print(len(verified["train"]) + len(verified["rejected"]))


if __name__ == "__main__":
    main()
