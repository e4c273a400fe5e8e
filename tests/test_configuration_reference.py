"""docs/configuration.md is the field help of every stage config, one line per field; it must match the code.
``.venv/bin/python tests/test_configuration_reference.py`` rewrites it."""

from pathlib import Path

from inftool_hf.configs import config_fields, config_reference

PAGE = Path(__file__).resolve().parents[1] / "docs" / "configuration.md"
HEAD = """# Configuration reference

Every recipe key of every stage, with its type, default and help, generated from the config dataclasses' field help
(`.venv/bin/python tests/test_configuration_reference.py` rewrites this page; a test fails when it is stale). A recipe
is a YAML file whose top-level sections are these; any key also works on the command line as `--set key=value`
(dotted, the value read as YAML), checked by the same code. The `loop:` section holds its own keys below plus
`generate:`, `train:` and `eval:` subsections that take the keys of those sections
(`loop.generate.roleplay.shard_size`).
`inftool-hf <command> --help` prints the same list.

"""


def reference() -> str:
    from inftool_hf.evaluate.bfcl import EvalConfig
    from inftool_hf.generate import GenerateConfig
    from inftool_hf.loop import LoopConfig
    from inftool_hf.train.trainer import TrainConfig

    return HEAD + config_reference([("generate", GenerateConfig), ("train", TrainConfig), ("eval", EvalConfig),
                                    ("loop", LoopConfig)], skip=("generate.", "train.", "eval."))


def test_the_configuration_reference_is_current():
    stale = "stale: .venv/bin/python tests/test_configuration_reference.py"
    assert PAGE.read_text(encoding="utf-8") == reference(), stale


def test_every_field_is_one_line_with_help():
    from inftool_hf.generate import GenerateConfig
    from inftool_hf.loop import LoopConfig

    page = PAGE.read_text(encoding="utf-8")
    for key, _, _, help_text in config_fields(GenerateConfig):
        line = next(line for line in page.splitlines() if line.startswith(f"| `{key}` |"))
        assert help_text and help_text.replace("|", "\\|") in line, key
    loop_keys = [k for k, *_ in config_fields(LoopConfig) if not k.startswith(("generate.", "train.", "eval."))]
    assert all(f"| `{k}` |" in page for k in loop_keys)


if __name__ == "__main__":
    PAGE.write_text(reference(), encoding="utf-8")
    print(f"wrote {PAGE}")
