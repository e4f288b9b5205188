from gridgov.field.enums import FIELD_ROLES
from gridgov.web.nav import NavEntry

ENTRIES = [
    NavEntry(
        "field:app",
        "网格员移动端",
        order=15,
        visible=lambda user: user.is_authenticated and user.role in FIELD_ROLES,
    ),
]
