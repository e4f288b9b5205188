from gridgov.web.nav import NavEntry

ENTRIES = [
    NavEntry("cases:queue", "事件工作台", order=20),
    NavEntry("cases:new", "来电登记", order=21),
    NavEntry("cases:inbox", "部门收件箱", order=22),
    NavEntry("cases:supervision", "督办", order=23),
]
