"""Reports: count tables read from SQL, anonymity applied, statistics from :mod:`analysis`."""
