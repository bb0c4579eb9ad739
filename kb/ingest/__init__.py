"""Ingesting sources into the knowledge base: the core shared by every importer and `kb update`."""
