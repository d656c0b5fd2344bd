"""Alembic environment: the models' metadata is the target; the URL comes from the caller or TIMEBANK_DATABASE_URL."""
import os

from alembic import context
from sqlalchemy import engine_from_config, pool
from sqlmodel import SQLModel

import timebank.models  # noqa: F401  (registers every table on SQLModel.metadata)

config = context.config
target_metadata = SQLModel.metadata
url = config.get_main_option("sqlalchemy.url") or os.environ.get("TIMEBANK_DATABASE_URL")


def run_migrations_offline() -> None:
    context.configure(url=url, target_metadata=target_metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = engine_from_config({"sqlalchemy.url": url}, prefix="sqlalchemy.", poolclass=pool.NullPool)
    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True,
                          compare_type=True)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
