"""The ``kyodo`` command group (also ``flask --app wsgi kyodo``)."""

from __future__ import annotations

import contextlib
import functools
import signal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app, g
from flask.cli import AppGroup, FlaskGroup, ScriptInfo, with_appcontext
from flask_migrate.cli import db as migrate_commands

from . import tenancy


class CommandGroup(AppGroup):
    """The operator of a command is the system administrator: every command runs
    inside ``all_cities()`` and names a city itself where it works on one."""

    def command(  # type: ignore[override]
            self, *args: Any, **kwargs: Any) -> Callable[[Callable[..., Any]], click.Command]:
        register = super().command(*args, **kwargs)

        def decorator(f: Callable[..., Any]) -> click.Command:
            @functools.wraps(f)
            def across_cities(*a: Any, **kw: Any) -> Any:
                with tenancy.all_cities():
                    return f(*a, **kw)

            return register(across_cities)

        return decorator


cli = CommandGroup("kyodo", help="kyodo_admin: 協働事業管理システムのコマンド")


@contextlib.contextmanager
def kyodo_migrations(app: Flask) -> Iterator[None]:
    """Flask-Migrate's functions (upgrade, current…) on kyodo's migrations: in a host app,
    the host's own Flask-Migrate is set aside meanwhile."""
    host = app.extensions.get("migrate")
    app.extensions["migrate"] = app.extensions["kyodo_migrate"]
    try:
        yield
    finally:
        if host is None:
            app.extensions.pop("migrate", None)
        else:
            app.extensions["migrate"] = host


class MigrationGroup(CommandGroup):
    """``kyodo db …``: Flask-Migrate's commands on kyodo's migrations and version table
    (``flask db …`` stays the host app's own), across cities as every command."""

    def invoke(self, ctx: click.Context) -> Any:
        app = ctx.ensure_object(ScriptInfo).load_app()
        with app.app_context(), kyodo_migrations(app), tenancy.all_cities():
            g.directory, g.x_arg = None, ()  # kyodo's own directory (Flask-Migrate's group sets these)
            return super().invoke(ctx)


cli.add_command(MigrationGroup("db", commands=migrate_commands.commands,
                               help="kyodo_admin のデータベースの移行（upgrade, current…）"))


@cli.command("demo")
@with_appcontext
def demo_command() -> None:
    """Create and migrate the database if needed and load the demo data (idempotent)."""
    from flask_migrate import upgrade

    from .demo import DEMO_LOGINS, load_demo
    from .extensions import db, write_intent

    with kyodo_migrations(current_app):
        upgrade()
    with write_intent():
        created = load_demo(db.session)
        db.session.commit()
    click.echo(f"Demo data ready ({created} new records).")
    click.echo("Demo logins (password: kyodo-demo): " + ", ".join(DEMO_LOGINS))


def _new_password(from_stdin: bool) -> str:
    """The password typed twice at a prompt, or the first line of standard input."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(click.prompt("パスワード", hide_input=True, confirmation_prompt="もう一度"))


def _saved(work: Callable[[], Any]) -> Any:
    """Run ``work`` and commit; a refusal (KyodoError) changes nothing and exits with its
    message."""
    from .errors import KyodoError
    from .extensions import db, write_intent

    with write_intent():
        try:
            result = work()
            db.session.commit()
        except KyodoError as exc:
            db.session.rollback()
            raise click.ClickException(str(exc)) from exc
    return result


password_stdin = click.option("--password-stdin", "from_stdin", is_flag=True,
                              help="パスワードを標準入力の1行目から読む（既定は2回入力）")

admin_cli = CommandGroup("admin", help="システム管理者")
cli.add_command(admin_cli)


@admin_cli.command("create")
@click.argument("username")
@password_stdin
@with_appcontext
def admin_create_command(username: str, from_stdin: bool) -> None:
    """Create a system administrator (the first login of a new install)."""
    from .extensions import db
    from .models.user import Role
    from .services.users import add_user

    password = _new_password(from_stdin)
    _saved(lambda: add_user(db.session, username, role=Role.SYSTEM_ADMIN, city_slug=None,
                            password=password, display_name="システム管理者"))
    click.echo(f"システム管理者 {username} を作成しました。/login からログインできます。")


cities_cli = CommandGroup("cities", help="自治体の追加と一覧")
cli.add_command(cities_cli)


@cities_cli.command("add")
@click.argument("slug")
@click.argument("name")
@click.option("--from-seed", "seed", help="様式・Word様式・審査基準などを写す同梱の自治体")
@click.option("--head-title", default="", help="文書のあて名（既定: 名称＋長）")
@click.option("--coordinating-section", default="", help="協働の担当課")
@with_appcontext
def cities_add_command(slug: str, name: str, seed: str | None, head_title: str,
                       coordinating_section: str) -> None:
    """Add a city, blank or with the forms and Word templates of a seed city."""
    from .extensions import db
    from .services.cities import add_city

    city = _saved(lambda: add_city(db.session, slug, name, head_title=head_title,
                                   coordinating_section=coordinating_section, seed=seed))
    made = f"（{seed} の様式・Word様式・協働の形態・審査基準・会議を写しました）" if seed else ""
    click.echo(f"自治体 {city.name}（{city.slug}）を追加しました{made}。"
               f"次に: kyodo users add USERNAME --city {city.slug} --role city_admin")


@cities_cli.command("list")
@with_appcontext
def cities_list_command() -> None:
    """The cities, with how many active users each has."""
    from sqlalchemy import func, select

    from .extensions import db
    from .models.city import City
    from .models.user import User

    users = dict(db.session.execute(select(User.city_id, func.count()).where(
        User.active.is_(True)).group_by(User.city_id)).all())
    for city in db.session.execute(select(City).order_by(City.slug)).scalars():
        click.echo(f"{city.slug}\t{city.name}\t{users.get(city.id, 0)}人")


users_cli = CommandGroup("users", help="利用者の追加・取込み・一覧・停止")
cli.add_command(users_cli)


@users_cli.command("add")
@click.argument("username")
@click.option("--city", "slug", help="自治体の識別子（システム管理者は指定しない）")
@click.option("--role", required=True,
              help="city_admin / staff / council_member / viewer / system_admin")
@click.option("--name", "display_name", default="", help="表示名")
@click.option("--email", default="")
@password_stdin
@with_appcontext
def users_add_command(username: str, slug: str | None, role: str, display_name: str,
                      email: str, from_stdin: bool) -> None:
    """Add a user of a city (or a system administrator)."""
    from .errors import KyodoError
    from .extensions import db
    from .models.user import ROLE_LABELS
    from .services.users import add_user, role_of

    try:
        chosen = role_of(role)
    except KyodoError as exc:
        raise click.ClickException(str(exc)) from exc
    password = _new_password(from_stdin)
    _saved(lambda: add_user(db.session, username, role=chosen, city_slug=slug,
                            password=password, display_name=display_name, email=email))
    click.echo(f"{ROLE_LABELS[chosen]} {username} を追加しました。")


@users_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--allow-system-admin", is_flag=True,
              help="ファイルの行からシステム管理者も作る（ないときは、その行を誤りとします）")
@with_appcontext
def users_import_command(file: Path, allow_system_admin: bool) -> None:
    """Add the users of a CSV file (UTF-8 or Shift_JIS; header: username,display_name,role,
    city,email,password), all or nothing, listing each one made with its role and city. A
    row without a password gets one made, printed here once."""
    from .errors import KyodoError
    from .extensions import db
    from .models.user import ROLE_LABELS, Role
    from .services.users import decode_upload, import_users

    try:
        text = decode_upload(file.read_bytes())
    except KyodoError as exc:
        raise click.ClickException(f"{file}: {exc}") from exc
    imported = _saved(lambda: import_users(db.session, text, allow_system_admin))
    click.echo(f"{len(imported)}人を追加しました。")
    for item in imported:
        user = item.user
        where = user.city.slug if user.city is not None else "（すべての自治体）"
        line = f"{user.username}\t{ROLE_LABELS[Role(user.role)]}\t{where}"
        if item.generated_password:
            line += f"\t初期パスワード: {item.generated_password}"
        click.echo(line)


@users_cli.command("list")
@click.option("--city", "slug", help="この自治体の利用者だけ")
@with_appcontext
def users_list_command(slug: str | None) -> None:
    """Users: name, role, city, and whether they may log in."""
    from sqlalchemy import select
    from sqlalchemy.orm import joinedload

    from .extensions import db
    from .models.city import City
    from .models.user import ROLE_LABELS, Role, User

    stmt = select(User).options(joinedload(User.city)).order_by(User.city_id, User.username)
    if slug:
        stmt = stmt.join(City, User.city_id == City.id).where(City.slug == slug)
    for user in db.session.execute(stmt).scalars():
        city = user.city.slug if user.city else "-"
        state = "有効" if user.active else "停止"
        click.echo(f"{user.username}\t{ROLE_LABELS[Role(user.role)]}\t{city}\t{state}")


@users_cli.command("deactivate")
@click.argument("username")
@with_appcontext
def users_deactivate_command(username: str) -> None:
    """Stop a user logging in (their sessions end; their records and history stay)."""
    from .extensions import db
    from .services.users import deactivate_user

    _saved(lambda: deactivate_user(db.session, username))
    click.echo(f"{username} を停止しました。")


@users_cli.command("set-password")
@click.argument("username")
@password_stdin
@with_appcontext
def users_set_password_command(username: str, from_stdin: bool) -> None:
    """Set a user's password."""
    from sqlalchemy import select

    from .errors import ValidationFailed
    from .extensions import db
    from .models.user import User
    from .services.users import set_password

    password = _new_password(from_stdin)

    def change() -> None:
        user = db.session.execute(
            select(User).where(User.username == username)).scalar_one_or_none()
        if user is None:
            raise ValidationFailed(f"ユーザー「{username}」が見つかりません。")
        set_password(user, password)

    _saved(change)
    click.echo(f"{username} のパスワードを変更しました。")


forms_cli = CommandGroup("forms", help="様式定義（YAML）の取込みと書出し")
cli.add_command(forms_cli)


@forms_cli.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def forms_import_command(files: tuple[Path, ...]) -> None:
    """Import definition files, all or nothing (exit 1 and change nothing on any error)."""
    from .errors import DefinitionInvalid
    from .extensions import db, write_intent
    from .services.form_definitions import import_files

    with write_intent():
        try:
            results = import_files(db.session, list(files))
        except DefinitionInvalid as exc:
            db.session.rollback()
            raise click.ClickException(str(exc)) from exc
        db.session.commit()
    labels = {"unchanged": "変更なし", "updated": "更新（使用中の記録なし）", "created": "新しい版を公開"}
    for path, result in results:
        click.echo(f"{path}: {labels[result.outcome]}（第{result.definition.revision}版）")


@forms_cli.command("export")
@click.option("--city", "slug", required=True, help="自治体の識別子（例: kamakura）")
@click.option("-o", "--output", "out_dir", required=True,
              type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def forms_export_command(slug: str, out_dir: Path) -> None:
    """Write the city's current definitions as DIR/<kind>.yaml."""
    from sqlalchemy import select

    from .extensions import db
    from .models.city import City
    from .services.form_definitions import export_city

    city = db.session.execute(select(City).where(City.slug == slug)).scalar_one_or_none()
    if city is None:
        raise click.ClickException(f"自治体「{slug}」が見つかりません。")
    for path in export_city(db.session, city, out_dir):
        click.echo(str(path))


docs_cli = CommandGroup("docs", help="Word文書の作成")
cli.add_command(docs_cli)
templates_cli = CommandGroup("templates", help="Word様式の確認とひな形")
cli.add_command(templates_cli)


@docs_cli.command("generate")
@click.option("--city", "slug", required=True)
@click.option("--kind", required=True)
@click.option("--record", "record_id", type=int)
@click.option("--all", "all_records", is_flag=True)
@click.option("-o", "--output", "out_dir", required=True,
              type=click.Path(file_okay=False, path_type=Path))
@click.option("--pdf", "as_pdf", is_flag=True, help="PDFも書き出す（LibreOfficeが必要）")
@with_appcontext
def docs_generate_command(slug: str, kind: str, record_id: int | None, all_records: bool,
                          out_dir: Path, as_pdf: bool) -> None:
    """Issue documents (archived like those issued in the back office) into DIR."""
    from sqlalchemy import select

    from .documents.context import BUILDERS, printable
    from .errors import KyodoError
    from .extensions import db, write_intent
    from .models.city import City
    from .services.documents import generate_document

    if kind not in BUILDERS:
        raise click.ClickException(f"文書の種類は {', '.join(BUILDERS)} のいずれかです。")
    if (record_id is None) == (not all_records):
        raise click.ClickException("--record ID か --all のどちらか一方を指定してください。")
    city = db.session.execute(select(City).where(City.slug == slug)).scalar_one_or_none()
    if city is None:
        raise click.ClickException(f"自治体「{slug}」が見つかりません。")
    model: Any = BUILDERS[kind][0]
    stmt = select(model.id).where(model.city_id == city.id, *printable(kind)).order_by(model.id)
    if record_id is not None:
        stmt = stmt.where(model.id == record_id)
    ids = list(db.session.execute(stmt).scalars())
    if not ids:
        raise click.ClickException("対象の記録がありません。")
    out_dir.mkdir(parents=True, exist_ok=True)
    # A chunk at a time: issued, archived and committed, written, then let go of, so that
    # memory stays flat however many records there are.
    for start in range(0, len(ids), DOCS_CHUNK):
        with write_intent():
            try:
                records = db.session.execute(select(model).where(
                    model.id.in_(ids[start:start + DOCS_CHUNK])).order_by(model.id)).scalars()
                issued = [generate_document(db.session, kind, r, None) for r in records]
                db.session.commit()
            except KyodoError as exc:
                db.session.rollback()
                done = f"（それまでの{start}件は作成・保管済みです）" if start else ""
                raise click.ClickException(f"{exc}{done}") from exc
        for item in issued:
            _write_issued(out_dir, item, as_pdf)
        del issued
        db.session.expunge_all()


#: Documents issued, committed and written at a time by ``kyodo docs generate --all``.
DOCS_CHUNK = 100


def _write_issued(out_dir: Path, item: Any, as_pdf: bool) -> None:
    from .documents.pdf import to_pdf
    from .errors import KyodoError

    path = out_dir / f"{item.document.record_id}_{item.document.filename}"
    path.write_bytes(item.data)
    click.echo(str(path))
    if as_pdf:
        try:
            path.with_suffix(".pdf").write_bytes(to_pdf(item.data))
        except KyodoError as exc:
            raise click.ClickException(f"{path.name}: {exc}") from exc
        click.echo(str(path.with_suffix(".pdf")))


@templates_cli.command("check")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--kind", required=True)
@click.option("--city", "slug")
@with_appcontext
def templates_check_command(file: Path, kind: str, slug: str | None) -> None:
    """Check a Word template; exit 1 with the problems listed."""
    from sqlalchemy import select

    from .extensions import db
    from .models.city import City
    from .services.documents import check_upload, unprinted_required

    city_id = None
    if slug:
        city = db.session.execute(select(City).where(City.slug == slug)).scalar_one_or_none()
        if city is None:
            raise click.ClickException(f"自治体「{slug}」が見つかりません。")
        city_id = city.id
    problems = check_upload(db.session, file.read_bytes(), kind, city_id)
    if problems:
        raise click.ClickException("Word様式に問題があります:\n" + "\n".join(f"- {p}" for p in problems))
    click.echo(f"{file}: 問題はありません。")
    warning = unprinted_required(db.session, city_id, kind, file.read_bytes()) if city_id else None
    if warning:
        click.echo(f"注意: {warning}")


@templates_cli.command("starter")
@click.option("--city", "slug", required=True)
@click.option("--kind", required=True)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def templates_starter_command(slug: str, kind: str, output: Path) -> None:
    """Write the starter Word template (ひな形) of KIND made from the city's current form."""
    from sqlalchemy import select

    from .extensions import db
    from .models.city import City
    from .models.document import DOCUMENT_KINDS
    from .services.documents import starter_template

    if kind not in DOCUMENT_KINDS:
        raise click.ClickException(f"文書の種類は {', '.join(DOCUMENT_KINDS)} のいずれかです。")
    city = db.session.execute(select(City).where(City.slug == slug)).scalar_one_or_none()
    if city is None:
        raise click.ClickException(f"自治体「{slug}」が見つかりません。")
    data, _name = starter_template(db.session, city.id, kind)
    output.write_bytes(data)
    click.echo(f"{output}: {city.name}の{DOCUMENT_KINDS[kind]}のひな形を書き出しました。")


accessibility_cli = CommandGroup("accessibility", help="アクセシビリティ方針")
cli.add_command(accessibility_cli)


@accessibility_cli.command("policy")
@click.option("--city", "slug", required=True)
@click.option("--results", default="test-results/accessibility", show_default=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="ブラウザテスト（make test）が書いた結果のフォルダ")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def accessibility_policy_command(slug: str, results: Path, output: Path) -> None:
    """Write the city's アクセシビリティ方針 (HTML) from the browser tests' results."""
    from sqlalchemy import select

    from .errors import KyodoError
    from .extensions import db
    from .models.city import City
    from .services.accessibility import policy_page, read_results

    city = db.session.execute(select(City).where(City.slug == slug)).scalar_one_or_none()
    if city is None:
        raise click.ClickException(f"自治体「{slug}」が見つかりません。")
    try:
        run = read_results(results)
    except KyodoError as exc:
        raise click.ClickException(str(exc)) from exc
    output.write_text(policy_page(city, run), encoding="utf-8")
    click.echo(f"{output}: {city.name}のアクセシビリティ方針を書き出しました（試験日 {run.date}、"
               f"{len(run.pages)}ページ、問題 {run.violations}件）。")


notices_cli = CommandGroup("notices", help="通知メール")
cli.add_command(notices_cli)


@notices_cli.command("send")
@click.option("--no-collect", is_flag=True, help="今日のリマインダーを作らず、送信待ちだけを送る")
@with_appcontext
def notices_send_command(no_collect: bool) -> None:
    """Write today's reminders and notices to the outbox, then send what is due (run it from
    cron every few minutes, unless a kyodo worker runs: it does this every 10 minutes)."""
    from flask import current_app

    from .services.notices import run_notices

    run = run_notices(current_app, collect_today=not no_collect)
    for failure in run.failures:
        click.echo(f"エラー: {failure}", err=True)
    if not current_app.config["KYODO_SMTP_HOST"]:
        click.echo(f"{run.written}通を送信待ちにしました。KYODO_SMTP_HOST が未設定のため、送信はしません。")
    else:
        click.echo(f"{run.written}通を送信待ちにしました。送信 {run.sent}通、失敗 {run.failed}通、"
                   f"送信待ち {run.waiting}通。")
    if run.failures:
        raise click.ClickException(
            f"{len(run.failures)}の自治体で通知メールを作成できませんでした（ほかの自治体は"
            "作成・送信しました）。上のエラーを直してから、もう一度実行してください。")


@cli.command("worker")
@click.option("--threads", default=2, show_default=True, help="同時に実行する作業の数")
@click.option("--no-notices", is_flag=True,
              help="10分ごとの通知メールの作成・送信をこのワーカーでは行わない（cron や他のワーカーが行う）")
@with_appcontext
def worker_command(threads: int, no_notices: bool) -> None:
    """Run the queued background work (document batches) until stopped (Ctrl-C, SIGTERM).
    Run as many as needed, on any machine that reaches the database and the queue; each also
    runs the notice scan every 10 minutes unless ``--no-notices``."""
    from flask import current_app

    from .queue import check, queue_of, unreachable

    queue = queue_of(current_app)
    if not check(current_app):
        raise click.ClickException(unreachable(current_app.config["KYODO_QUEUE_URL"]))
    if queue.immediate:
        raise click.ClickException("KYODO_QUEUE_URL=immediate ではキューがないため、"
                                   "ワーカーは不要です（作業はその場で実行されます）。")
    from .logs import share_with

    share_with("huey")  # which task each thread runs, in the app's log format
    click.echo(f"kyodo worker: {current_app.config['KYODO_QUEUE_URL']} の作業を待っています"
               f"（{threads}件ずつ、Ctrl-C で停止）。")
    queue.create_consumer(workers=threads, worker_type="thread", periodic=not no_notices).run()


def register_cli(app: Flask) -> None:
    app.cli.add_command(cli)


def _create_app() -> Flask:
    from . import create_app

    return create_app()


def explain(exc: BaseException) -> str:
    """What stopped a command, in Japanese and naming what to fix (never a traceback)."""
    import os

    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import DBAPIError, OperationalError

    from .config import ConfigError
    from .errors import KyodoError

    if isinstance(exc, ConfigError | KyodoError):
        return str(exc)
    if isinstance(exc, OperationalError) or (isinstance(exc, DBAPIError)
                                             and exc.connection_invalidated):
        url = os.environ.get("DATABASE_URL", "")
        where = f"（{make_url(url).render_as_string(hide_password=True)}）" if url else ""
        return (f"データベース{where}に接続できません。DATABASE_URL の指定と、データベースが"
                "動いていて接続を受け付けているかを確かめてください。")
    if type(exc).__module__.startswith("redis"):
        from .queue import unreachable

        return unreachable(os.environ.get("KYODO_QUEUE_URL", ""))
    return (f"予期しないエラーで止まりました（{type(exc).__name__}: {exc}）。"
            "KYODO_LOG_LEVEL=DEBUG で詳細を表示します。")


def _exit_on_sigterm(_signum: int, _frame: Any) -> None:
    raise SystemExit(128 + signal.SIGTERM)


def main() -> None:
    """Console script ``kyodo``: the kyodo commands plus Flask's (run, db, routes…). A
    failure prints what to fix, in Japanese, and exits 1."""
    import logging
    import os

    group = FlaskGroup(create_app=_create_app, help=cli.help)
    for name, command in cli.commands.items():
        group.add_command(command, name)
    # SIGTERM (a service manager stopping `kyodo run` or a command) exits as Ctrl-C does, so
    # that what the process started (PDF converters, the render worker) is stopped at exit;
    # `kyodo worker` sets its own handler (the queue's consumer stops its threads first).
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        group.main()
    except Exception as exc:  # noqa: BLE001 - every failure of a command is told plainly
        if os.environ.get("KYODO_LOG_LEVEL", "").upper() == "DEBUG":
            logging.getLogger(__name__).exception("kyodo command failed")
        click.echo(f"エラー: {explain(exc)}", err=True)
        sys.exit(1)
