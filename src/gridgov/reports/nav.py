from gridgov.reports.access import prefix_for
from gridgov.web.nav import NavEntry

ENTRIES = [NavEntry("reports:index", "简报通报", order=40, visible=lambda user: prefix_for(user) is not None)]
