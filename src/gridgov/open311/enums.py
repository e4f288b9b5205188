from __future__ import annotations

from django.db import models


class Datatype(models.TextChoices):
    """GeoReport v2 attribute datatypes."""

    STRING = "string", "短文本"
    NUMBER = "number", "数字"
    DATETIME = "datetime", "日期时间"
    TEXT = "text", "长文本"
    SINGLEVALUELIST = "singlevaluelist", "单选"
    MULTIVALUELIST = "multivaluelist", "多选"


class Format(models.TextChoices):
    JSON = "json", "JSON"
    XML = "xml", "XML"
