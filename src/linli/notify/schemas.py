"""Request and response shapes of the notifications API."""

import datetime as dt

from ninja import Field, Schema


class NotificationOut(Schema):
    id: int
    kind: str = Field(description="What happened, e.g. `appeal.assigned`.")
    title: str
    body: str
    url: str = Field(description="Where the notification leads on the platform (a path).")
    created_at: dt.datetime
    read_at: dt.datetime | None = Field(description="When the user read it; null while unread.")


class NotificationFilters(Schema):
    unread: bool = Field(False, description="Only unread notifications.")


class UnreadOut(Schema):
    unread: int = Field(description="Unread notifications of the user.")


class ReadAllOut(Schema):
    marked: int = Field(description="Notifications marked read by this call.")
    unread: int
