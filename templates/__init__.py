"""Report templates, stylesheet and fonts: package data, shipped as ``pipeline.templates``."""
