"""Questionnaires: the TOML file format, its validation, versions and the built-in library."""
