"""Pandera schemas for sitefit's tables."""
