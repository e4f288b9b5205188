"""The portal's writers: reports and ratings (through the cases services), rate-limit counters."""

from __future__ import annotations

from gridgov.portal.services.reports import CitizenReport, portal_rate, portal_report_submit
from gridgov.portal.services.track import citizen_lookup, portal_reader

__all__ = ["CitizenReport", "citizen_lookup", "portal_rate", "portal_reader", "portal_report_submit"]
