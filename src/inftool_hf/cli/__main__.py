"""``python -m inftool_hf.cli`` is ``inftool-hf`` (the launcher torchrun and accelerate need)."""

import sys

from inftool_hf.cli import main

sys.exit(main())
