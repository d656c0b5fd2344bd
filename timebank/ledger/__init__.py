"""The ledger: accounts, transfers, holds and lots (SPEC §2, §4)."""


def init_app(app) -> None:
    from timebank.ledger.cli import ledger_cli

    app.cli.add_command(ledger_cli)
