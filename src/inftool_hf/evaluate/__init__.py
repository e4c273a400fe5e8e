"""Evaluation: BFCL through its own checkers, our held-out yardstick, and decontamination."""
