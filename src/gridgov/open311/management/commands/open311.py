from gridgov.core.subcommands import GroupCommand


class Command(GroupCommand):
    help = "Open311: partners' api keys."
    package = "gridgov.open311.commands"
