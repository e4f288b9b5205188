from gridgov.core.subcommands import GroupCommand


class Command(GroupCommand):
    help = "Deadlines: the working-day calendar and deadline arithmetic."
    package = "gridgov.sla.commands"
