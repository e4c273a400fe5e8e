"""The value benchmark with the generator's old search phrases (one general list for every service, as before
values.QUERY_SUBJECTS) and the current audit: how many rows its off-subject check sees without the fix. Run from the
repo root (writes benchmarks/results/placeholder_values.json; the committed copy of its output is
benchmarks/results/placeholder_values_general_phrases.json):

    .venv/bin/python docs/results/values_general_phrases.py
"""
import runpy
import sys

from inftool_hf.synth import values

values.ValueFactory.search_phrase = lambda self: self.rng.choice(values._TOPICS["query"])
sys.path.insert(0, "benchmarks")
sys.argv = ["placeholder_values.py", "--label", "general-search-phrases"]
runpy.run_path("benchmarks/placeholder_values.py", run_name="__main__")
