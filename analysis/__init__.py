"""Pure statistics for satisfaction surveys.

Every function takes counts or arrays and returns typed results from
:mod:`analysis.results` (estimate, interval, n, method, warnings). Nothing here
touches the web, the database or the file system; the service in ``survey/``
reads count tables from SQL and hands them to these functions. The formulas and
their references are written out in ``docs/methodology.md``.
"""
