"""The two formats of GeoReport v2: JSON, and XML whose lists wrap one element per item."""

from __future__ import annotations

import json
from typing import Any
from xml.etree import ElementTree as ET

from django.http import HttpResponse

# A list under one of these names holds elements named by the singular.
SINGULAR = {
    "services": "service",
    "service_requests": "request",
    "service_request_updates": "request_update",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "errors": "error",
}
XML_TYPE = "text/xml; charset=utf-8"
JSON_TYPE = "application/json; charset=utf-8"


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _fill(parent: ET.Element, name: str, value: Any) -> None:
    node = ET.SubElement(parent, name)
    if isinstance(value, dict):
        for key, inner in value.items():
            _fill(node, key, inner)
    elif isinstance(value, list):
        for item in value:
            _fill(node, SINGULAR.get(name, "item"), item)
    elif value is not None:
        node.text = _text(value)


def xml_bytes(root: str, body: Any) -> bytes:
    element = ET.Element(root)
    if isinstance(body, list):
        for item in body:
            _fill(element, SINGULAR[root], item)
    else:
        for key, value in body.items():
            _fill(element, key, value)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(element, encoding="utf-8")


def respond(fmt: str, root: str, body: Any, *, status: int = 200) -> HttpResponse:
    if fmt == "xml":
        return HttpResponse(xml_bytes(root, body), content_type=XML_TYPE, status=status)
    return HttpResponse(json.dumps(body, ensure_ascii=False), content_type=JSON_TYPE, status=status)


def error(fmt: str, status: int, description: str) -> HttpResponse:
    return respond(fmt, "errors", [{"code": status, "description": description}], status=status)
