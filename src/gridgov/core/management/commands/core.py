from gridgov.core.subcommands import GroupCommand


class Command(GroupCommand):
    help = "Core: keys for personal data."
    package = "gridgov.core.commands"
