"""People: centers, volunteers, users and their roles, service types, and the volunteer CSV import (SPEC §1, §2)."""


def init_app(app) -> None:
    from timebank.people.cli import init_app as add_commands

    add_commands(app)
