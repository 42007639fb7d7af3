"""One renderer per format for the tables of ``reports.tables``: ``xlsx`` (openpyxl in
write-only mode) and ``pdf`` (WeasyPrint). The page is rendered by the views' templates."""
