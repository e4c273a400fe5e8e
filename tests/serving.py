"""Starting a served app in a test: a free port, and waiting until it listens (or failing with its log)."""

import socket
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_listening(process, port: int, log: Path, seconds: float = 180) -> None:
    deadline = time.time() + seconds
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            assert process.poll() is None, Path(log).read_text()[-3000:]
            assert time.time() < deadline, f"the Space did not start in {seconds:.0f} s"
            time.sleep(0.5)
