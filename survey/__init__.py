"""The survey service: publishes questionnaires, collects responses, serves reports.

One wiring point (:func:`survey.app.create_app`); every other module imports
without side effects. Sub-packages, one per capability:

- ``db``: connection pool, embedded PostgreSQL, numbered SQL migrations;
- ``questionnaires``: the TOML questionnaire format, validation, versions;
- ``collection``: the public form and the submission path (exactly once);
- ``reports``: count tables read from SQL and handed to :mod:`analysis`.
"""
