"""Output writers; each knows one format and nothing of the others."""
