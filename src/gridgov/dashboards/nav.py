from gridgov.dashboards.place import screen_allowed
from gridgov.web.nav import NavEntry

ENTRIES = [NavEntry("dashboards:screen", "指挥大屏", order=30, visible=screen_allowed)]
