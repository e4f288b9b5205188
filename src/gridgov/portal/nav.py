from gridgov.web.nav import NavEntry

# The portal is for citizens; staff see it in the bar to check what the public sees.
ENTRIES = [NavEntry("portal:home", "市民端", order=90)]
