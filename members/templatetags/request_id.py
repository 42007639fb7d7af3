"""``{% request_id %}``: the ID of the request being served (thotnot_members/middleware.py),
for templates rendered without the request's context, as Django renders 500.html."""

from django import template

from thotnot_members.middleware import current_request_id

register = template.Library()


@register.simple_tag
def request_id() -> str:
    return current_request_id()
