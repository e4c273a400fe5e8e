"""inftool-hf: verified tool-use training data from raw API specs, in a closed training loop."""

__version__ = "0.1.0"
