import contextlib
import logging
import warnings
from logging.config import fileConfig

from alembic import context
from flask import current_app

# this is the Alembic Config object, which provides
# access to the values within the .ini file in use.
config = context.config

# Interpret the config file for Python logging.
# This line sets up loggers basically.
# Keep the app's own loggers (its error log) working after a migration in the same process.
fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger('alembic.env')
# The trigram indexes are expressions only PostgreSQL has, left out of the comparison
# (kyodo_admin.models.base.compared_by_alembic): SQLite's "cannot compare" is no news.
warnings.filterwarnings(
    "ignore", "autogenerate skipping metadata-specified expression-based index", UserWarning)
warnings.filterwarnings(
    "ignore", "Expression #1 .* detected to include an operator clause", UserWarning)


# kyodo's own Flask-Migrate (app.extensions['kyodo_migrate']): in a host app, the host's
# Flask-Migrate stays app.extensions['migrate'] with its own history.


def get_engine():
    try:
        # this works with Flask-SQLAlchemy<3 and Alchemical
        return current_app.extensions['kyodo_migrate'].db.get_engine()
    except (TypeError, AttributeError):
        # this works with Flask-SQLAlchemy>=3
        return current_app.extensions['kyodo_migrate'].db.engine


def get_engine_url():
    try:
        return get_engine().url.render_as_string(hide_password=False).replace(
            '%', '%%')
    except AttributeError:
        return str(get_engine().url).replace('%', '%%')


# add your model's MetaData object here
# for 'autogenerate' support
# from myapp import mymodel
# target_metadata = mymodel.Base.metadata
config.set_main_option('sqlalchemy.url', get_engine_url())
target_db = current_app.extensions['kyodo_migrate'].db

# other values from the config, defined by the needs of env.py,
# can be acquired:
# my_important_option = config.get_main_option("my_important_option")
# ... etc.


def get_metadata():
    if hasattr(target_db, 'metadatas'):
        return target_db.metadatas[None]
    return target_db.metadata


def run_migrations_offline():
    """Run migrations in 'offline' mode.

    This configures the context with just a URL
    and not an Engine, though an Engine is acceptable
    here as well.  By skipping the Engine creation
    we don't even need a DBAPI to be available.

    Calls to context.execute() here emit the given string to the
    script output.

    """
    url = config.get_main_option("sqlalchemy.url")
    context.configure(
        url=url, target_metadata=get_metadata(), literal_binds=True
    )

    with context.begin_transaction():
        context.run_migrations()


def _create_schema(connection):
    """KYODO_DB_SCHEMA (PostgreSQL): the schema kyodo's tables are made in, made first."""
    schema = current_app.config.get("KYODO_DB_SCHEMA")
    if schema and connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        connection.exec_driver_sql(f'SET search_path TO "{schema}", public')


def _adopt_shared_version_table(connection, version_table):
    """An install from before kyodo kept its own version table: its revision moves from
    alembic_version (Alembic's default, which a host app's own migrations use) into
    kyodo's table, and alembic_version goes when nothing else is in it."""
    from alembic.script import ScriptDirectory
    from sqlalchemy import inspect, text

    inspector = inspect(connection)
    if inspector.has_table(version_table) or not inspector.has_table("alembic_version"):
        return
    ours = {script.revision for script in ScriptDirectory.from_config(config).walk_revisions()}
    rows = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    kyodo_rows = [row for row in rows if row in ours]
    if not kyodo_rows:
        return
    connection.execute(text(
        f"CREATE TABLE {version_table} (version_num VARCHAR(32) NOT NULL, "
        f"CONSTRAINT {version_table}_pkc PRIMARY KEY (version_num))"))
    for row in kyodo_rows:
        connection.execute(text(f"INSERT INTO {version_table} (version_num) VALUES (:v)"),
                           {"v": row})
        connection.execute(text("DELETE FROM alembic_version WHERE version_num = :v"),
                           {"v": row})
    if len(kyodo_rows) == len(rows):
        connection.execute(text("DROP TABLE alembic_version"))
    logger.info("kyodo's revision moved from alembic_version to %s", version_table)


def run_migrations_online():
    """Run migrations in 'online' mode.

    In this scenario we need to create an Engine
    and associate a connection with the context.

    """

    # this callback is used to prevent an auto-migration from being generated
    # when there are no changes to the schema
    # reference: http://alembic.zzzcomputing.com/en/latest/cookbook.html
    def process_revision_directives(context, revision, directives):
        if getattr(config.cmd_opts, 'autogenerate', False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info('No changes in schema detected.')

    conf_args = current_app.extensions['kyodo_migrate'].configure_args
    if conf_args.get("process_revision_directives") is None:
        conf_args["process_revision_directives"] = process_revision_directives

    connectable = get_engine()

    with connectable.connect() as connection, _sqlite_keys_after(connection):
        with connection.begin():
            _create_schema(connection)
            _adopt_shared_version_table(connection, conf_args["version_table"])
        context.configure(
            connection=connection,
            target_metadata=get_metadata(),
            **conf_args
        )

        with context.begin_transaction():
            context.run_migrations()


@contextlib.contextmanager
def _sqlite_keys_after(connection):
    """On SQLite, foreign keys are checked after the migrations, not during them: a batch
    operation recreates a table (copy, drop, rename), and dropping a table others refer to
    with the keys on would refuse, or delete the rows that cascade from it (a review's
    scores). The keys are checked once the migrations are done, and a row pointing nowhere
    stops the upgrade."""
    if connection.dialect.name != "sqlite":
        yield
        return
    raw = connection.connection.dbapi_connection
    raw.execute("PRAGMA foreign_keys=OFF")  # outside a transaction (autocommit driver)
    try:
        yield
        broken = raw.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"foreign keys broken by the migrations: {broken[:5]}")
    finally:
        raw.execute("PRAGMA foreign_keys=ON")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
