from django.apps import AppConfig


class DevdataConfig(AppConfig):
    """Development data: the demo (``manage.py load_demo``) and the synthetic generator
    (``manage.py generate_synthetic``). No models; nothing in the apps imports it."""

    name = "devdata"
