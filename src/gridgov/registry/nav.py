from gridgov.web.nav import NavEntry


def _audit(user) -> bool:
    from gridgov.registry.permissions import may_read_audit

    return may_read_audit(user)


ENTRIES = [
    NavEntry("registry:home", "基础台账", order=40),
    NavEntry("registry:visits-due", "走访任务", order=41),
    NavEntry("core:audit-log", "审计日志", order=90, visible=_audit),
]
