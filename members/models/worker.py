"""The background worker's heartbeat: one row per running worker, rewritten every few seconds
(``members.worker``), read by the health endpoint and by the pages that wait on the worker."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class WorkerHeartbeat(models.Model):
    worker_id = models.CharField(_("mã tiến trình"), max_length=64, primary_key=True)
    started_at = models.DateTimeField(_("bắt đầu lúc"))
    beat_at = models.DateTimeField(_("lần báo gần nhất"), db_index=True)

    class Meta:
        verbose_name = _("nhịp của tiến trình nền")
        verbose_name_plural = _("nhịp của tiến trình nền")

    def __str__(self) -> str:
        return self.worker_id
