from gridgov.core.subcommands import GroupCommand


class Command(GroupCommand):
    help = "Indicators: refresh, rebuild and verify the summary tables."
    package = "gridgov.stats.commands"
