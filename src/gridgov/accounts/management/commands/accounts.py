from gridgov.core.subcommands import GroupCommand


class Command(GroupCommand):
    help = "Accounts: API tokens, users."
    package = "gridgov.accounts.commands"
