"""Every write of the love doorbell: the care register and pairing, devices and the
messages they send, alarms and their escalation. Each write is audited."""

from __future__ import annotations

from django.db import transaction

from linli.accounts.models import AuditAction
from linli.accounts.services import audit_record

from .models import Alarm, AlarmEvent, AlarmEventKind, CarePairing, CareRecipient, DeviceMessage

# --- care register and pairing ------------------------------------------------------------


# --- devices, messages and maintenance ----------------------------------------------------


# --- alarms -------------------------------------------------------------------------------


@transaction.atomic
def alarm_raise(*, message: DeviceMessage) -> Alarm:
    """Raise the alarm of an accepted press (called once per message, inside the
    transaction that accepted it). The recipient and pairing are the household's
    active ones, when there are."""
    device = message.device
    household = device.household
    if household is None:
        raise ValueError("a doorbell that is not bound to a household cannot raise an alarm")
    recipient = (
        CareRecipient.objects.filter(household=household, active=True).order_by("id").first()
    )
    pairing = (
        CarePairing.objects.filter(recipient=recipient, ended_on__isnull=True).first()
        if recipient
        else None
    )
    alarm = Alarm.objects.create(
        device=device,
        message=message,
        household=household,
        recipient=recipient,
        pairing=pairing,
        unit=household.unit,
        raised_at=message.received_at,
    )
    AlarmEvent.objects.create(alarm=alarm, kind=AlarmEventKind.RAISED, at=message.received_at)
    audit_record(actor=None, action=AuditAction.DOORBELL_ALARM_RAISE, target=alarm)
    return alarm
