"""Python tools for tests: the MCP Server runs these for real."""

import os
import time


def toy_convert_length(value: float, unit: str) -> dict:
    """Convert a length in meters to another unit.

    Args:
        value: The length in meters.
        unit: The target unit, "cm" or "km".
    """
    factor = {"cm": 100.0, "km": 0.001}[unit]
    return {"converted": value * factor, "unit": unit}


def toy_sleep(seconds: float) -> dict:
    """Sleep for a while.

    Args:
        seconds: How long to sleep.
    """
    time.sleep(seconds)
    return {"slept": seconds}


def toy_fail(reason: str) -> dict:
    """Always fail.

    Args:
        reason: Why it fails.
    """
    raise ValueError(reason)


def toy_write_note(text: str) -> dict:
    """Write a note file in the working directory.

    Args:
        text: The note.
    """
    with open("note.txt", "w") as handle:
        handle.write(text)
    return {"path": os.path.abspath("note.txt")}
