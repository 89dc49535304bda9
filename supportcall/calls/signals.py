"""A chat file's stored bytes go with its row, however it is deleted (retention,
erasure, the call's own deletion, the admin)."""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from .models import ChatFile


@receiver(post_delete, sender=ChatFile)
def delete_stored_file(sender, instance: ChatFile, **kwargs) -> None:
    name = instance.storage_name
    # Once the deletion commits: a rolled-back deletion keeps its file.
    transaction.on_commit(lambda: default_storage.delete(name))
