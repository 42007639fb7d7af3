"""``{% worker_down as down %}``: whether the background worker is down (members/worker.py),
for the pages that wait on it (imports, large exports). Always False when tasks run inside the
request (DJANGO_TASKS=immediate, the tests): there is no worker to wait for."""

from django import template
from django.conf import settings

from members import worker

register = template.Library()


@register.simple_tag
def worker_down() -> bool:
    if "Immediate" in settings.TASKS["default"]["BACKEND"]:
        return False
    return not worker.is_up()
