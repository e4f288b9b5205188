from gridgov.core.subcommands import GroupCommand


class Command(GroupCommand):
    help = "Cases: the category taxonomy."
    package = "gridgov.cases.commands"
