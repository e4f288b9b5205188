from gridgov.core.subcommands import GroupCommand


class Command(GroupCommand):
    help = "Territory: import boundaries and grids, export, locate points."
    package = "gridgov.geo.commands"
