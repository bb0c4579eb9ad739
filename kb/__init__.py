"""A knowledge base of large-model safety research, built from the survey 'Safety at Scale'."""

__version__ = "0.1.0"
