"""The admin's page for the office workbook (superusers): upload, preview, write.

The uploaded file is kept in the session between the preview and the confirmation (a few
kilobytes; nothing else stores it) with its digest, so the confirmation writes exactly the file
that was previewed. The one-time passwords are in the confirmation's response only.
"""

from __future__ import annotations

import base64
import hashlib
import io

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import loading
from .workbook import template_workbook

SESSION_KEY = "onboarding_file"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Tệp Excel (.xlsx)"))


def _context(request, **extra):
    return {**admin.site.each_context(request), "title": _("Khởi tạo đơn vị và tài khoản"), **extra}


def upload(request):
    if request.method == "POST" and "confirm" in request.POST:
        return _confirm(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    outcome = None
    digest = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data["file"].read(loading.MAX_BYTES + 1)
        outcome = loading.check(data)
        digest = hashlib.sha256(data).hexdigest()
        if not outcome.problems:
            request.session[SESSION_KEY] = {
                "digest": digest,
                "data": base64.b64encode(data).decode(),
            }
    return render(
        request,
        "onboarding/upload.html",
        _context(request, form=form, outcome=outcome, digest=digest),
    )


def _confirm(request):
    kept = request.session.get(SESSION_KEY)
    if not kept or kept["digest"] != request.POST.get("digest"):
        messages.error(request, _("Hãy tải tệp lên lại: không tìm thấy tệp đã xem trước."))
        return redirect("onboarding:upload")
    del request.session[SESSION_KEY]
    outcome = loading.load(base64.b64decode(kept["data"]))
    response = render(request, "onboarding/result.html", _context(request, outcome=outcome))
    response["Cache-Control"] = "no-store"  # the one-time passwords: never from a cache
    return response


def template(request):
    buffer = io.BytesIO()
    template_workbook().save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="mau-khoi-tao-don-vi.xlsx"'
    return response
