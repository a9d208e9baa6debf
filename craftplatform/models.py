"""Shared base models."""

import uuid

from django.db import models


class TimestampedModel(models.Model):
    """UUID primary key and creation time: every table has them (DESIGN.md section 4)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=False)

    class Meta:
        abstract = True


class MutableModel(TimestampedModel):
    """A table whose rows change after creation also records when."""

    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
