from django.db import models


class BareRow(models.Model):
    """One row per request of the bare endpoint: the floor intake is compared with."""

    key = models.CharField(max_length=128)
    body = models.TextField()
    at = models.DateTimeField()
