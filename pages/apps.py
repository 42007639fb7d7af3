from django.apps import AppConfig


class PagesConfig(AppConfig):
    """The composite pages, which read branches, members and reports together (the top layer:
    nothing imports it but the root URLs). No models."""

    name = "pages"
