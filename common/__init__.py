"""Helpers every app uses: dates, Vietnamese text, widgets, admin bases.

No models; imports no app.
"""
