"""Composition root of the live-commerce platform: config, CLI, app factory, embedded services."""

__all__: list[str] = []
