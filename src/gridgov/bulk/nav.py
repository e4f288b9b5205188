from gridgov.web.nav import NavEntry

ENTRIES = [
    NavEntry(
        "bulk:index",
        "批量导入导出",
        order=60,
        visible=lambda user: (
            getattr(user, "is_authenticated", False) and (user.is_superuser or bool(user.center_id))
        ),
    ),
]
