"""Shared tables: the platform's own Chinese working-day calendar.

The table holds only the days that differ from the plain week or belong to
the official holiday schedule (statutory holidays, make-up working days); any
other day is a working day from Monday to Friday and a rest day at weekends.
`linli.core.calendar` reads it (cached per process) to count working days.
"""

from __future__ import annotations

from django.db import models, transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class CalendarDay(models.Model):
    date = models.DateField(_("date"), unique=True)
    # False: a statutory holiday (even if it falls on a weekend);
    # True: a make-up working day (调休上班), usually a Saturday or Sunday.
    is_workday = models.BooleanField(_("working day"), default=False)
    name = models.CharField(_("holiday name"), max_length=50, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("holiday or make-up working day")
        verbose_name_plural = _("holidays and make-up working days")
        ordering = ["date"]

    def __str__(self) -> str:
        kind = _("make-up working day") if self.is_workday else _("holiday")
        label = f"{self.date.isoformat()} {kind}"
        return f"{label} ({self.name})" if self.name else label


class CalendarSource(models.TextChoices):
    PACKAGE = "chinese-calendar", _("chinese-calendar package")  # seeded by calendar_seed
    MANUAL = "manual", _("entered by an administrator")  # typed in from the State Council notice


class CalendarYear(models.Model):
    """A year whose official holiday schedule is in CalendarDay."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    source = models.CharField(
        _("source"), max_length=20, choices=CalendarSource.choices, default=CalendarSource.MANUAL
    )
    loaded_at = models.DateTimeField(_("loaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("year with a holiday schedule")
        verbose_name_plural = _("years with a holiday schedule")
        ordering = ["-year"]

    def __str__(self) -> str:
        return str(self.year)


@receiver(post_save, sender=CalendarDay)
@receiver(post_delete, sender=CalendarDay)
@receiver(post_save, sender=CalendarYear)
@receiver(post_delete, sender=CalendarYear)
def _calendar_changed(**kwargs: object) -> None:
    # Drop the cached table now (so this request sees the change) and again
    # after commit (so a reload made inside the transaction is not kept).
    from . import calendar

    calendar.invalidate()
    transaction.on_commit(calendar.invalidate)


class IdempotencyKey(models.Model):
    """One create request made under an `Idempotency-Key` header, and its answer.

    `linli.core.idempotency` inserts the row in the transaction of the create, so
    a crash leaves both or neither; a retry with the same key finds the row and
    gets the stored answer instead of a second record. Rows older than
    `idempotency.TTL` are purged by the `core.idempotency_purge` tick.
    """

    key = models.CharField(_("key"), max_length=255)
    # "user:<id>" for an account or a token; "anon" for the public endpoints.
    principal = models.CharField(_("principal"), max_length=100)
    operation = models.CharField(_("operation"), max_length=100)
    fingerprint = models.CharField(_("request fingerprint"), max_length=64)
    status = models.PositiveSmallIntegerField(_("status"), default=0)
    content_type = models.CharField(_("content type"), max_length=100, blank=True)
    body = models.TextField(_("body"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            models.UniqueConstraint(fields=["principal", "key"], name="core_idempotency_once")
        ]

    def __str__(self) -> str:
        return f"{self.principal} {self.operation} {self.key}"
