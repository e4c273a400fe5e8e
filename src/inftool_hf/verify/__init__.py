"""Verification: the gates every row passes or is rejected by, the decision grading rewards and held-out scoring
share, the audit, and a verified row as data."""
