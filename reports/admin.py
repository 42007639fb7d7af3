"""Reports keep no models of their own: their figures are computed from ``members`` and
``branches`` (see ``reports.figures``), whose admin is in those apps."""
