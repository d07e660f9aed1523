"""Verb modules; each registers its verbs with app.cli.registry.verb."""
