"""A first install from the command line: the system administrator, cities and their users."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from kyodo_admin import tenancy
from kyodo_admin.extensions import db
from kyodo_admin.models import City, CollaborationType, Criterion, DocumentTemplate, User
from kyodo_admin.services.form_definitions import current_definition
from kyodo_admin.tenancy import all_cities, scoped_to

from .conftest import login

PASSWORD = "tsuru-oka-hachiman-1063"


@pytest.fixture
def kyodo(app):
    """``kyodo(*args, input=…)``: a command as an operator runs it (no city scope set)."""
    runner = app.test_cli_runner()

    def run(*args: str, input: str | None = None):
        with tenancy.not_set():
            result = runner.invoke(args=["kyodo", *args], input=input)
        db.session.expire_all()
        return result

    return run


def counts() -> tuple[int, int]:
    """Users and cities of the whole install (the test inspects every city)."""
    with all_cities():
        return (db.session.execute(select(func.count()).select_from(User)).scalar_one(),
                db.session.execute(select(func.count()).select_from(City)).scalar_one())


def test_from_an_empty_database_to_a_city_admin_logged_in(app, client, kyodo):
    assert counts() == (0, 0)  # no demo
    made = kyodo("admin", "create", "root", input=f"{PASSWORD}\n{PASSWORD}\n")
    assert made.exit_code == 0, made.output
    assert "システム管理者 root を作成しました" in made.output
    added = kyodo("cities", "add", "nagano", "長野市", "--from-seed", "kamakura")
    assert added.exit_code == 0, added.output
    assert "kyodo users add USERNAME --city nagano --role city_admin" in added.output
    user = kyodo("users", "add", "nagano-admin", "--city", "nagano", "--role", "city_admin",
                 "--name", "長野 管理者", "--password-stdin", input=f"{PASSWORD}\n")
    assert user.exit_code == 0, user.output

    city = db.session.execute(select(City).where(City.slug == "nagano")).scalar_one()
    assert city.head_title == "長野市長"
    with scoped_to(city.id):  # what the city's admin finds in it
        assert current_definition(db.session, city.id, "basic_sheet") is not None
        for model in (DocumentTemplate, CollaborationType, Criterion):
            assert db.session.execute(select(func.count()).select_from(model).where(
                model.city_id == city.id)).scalar_one() > 0, model
    assert login(client, "nagano-admin", PASSWORD).status_code == 302
    home = client.get("/admin/").get_data(as_text=True)
    assert "長野市" in home
    listed = kyodo("users", "list")
    assert "nagano-admin\t自治体管理者\tnagano\t有効" in listed.output
    assert "root\tシステム管理者\t-\t有効" in listed.output
    assert "nagano\t長野市\t1人" in kyodo("cities", "list").output


def test_a_blank_city_has_no_forms_until_its_admin_makes_them(app, kyodo):
    assert kyodo("cities", "add", "ueda", "上田市", "--head-title", "上田市長 様").exit_code == 0
    city = db.session.execute(select(City).where(City.slug == "ueda")).scalar_one()
    assert city.head_title == "上田市長 様"
    with scoped_to(city.id):
        assert current_definition(db.session, city.id, "basic_sheet") is None


@pytest.mark.parametrize(("args", "stdin", "message"), [
    (["cities", "add", "Nagano!", "長野市"], None, "識別子「Nagano!」は使えません"),
    (["cities", "add", "nagano", "長野市"], None, "識別子「nagano」は既に登録されています"),
    (["cities", "add", "nagano2", "長野市"], None, "名称「長野市」は既に登録されています"),
    (["cities", "add", "ueda", "上田市", "--from-seed", "osaka"], None,
     "元にする自治体「osaka」はありません。使えるのは kamakura"),
    (["users", "add", "taro", "--city", "nagano", "--role", "mayor", "--password-stdin"],
     PASSWORD, "役割「mayor」はありません"),
    (["users", "add", "taro", "--city", "tokyo", "--role", "staff", "--password-stdin"],
     PASSWORD, "自治体「tokyo」が見つかりません"),
    (["users", "add", "taro", "--role", "staff", "--password-stdin"], PASSWORD,
     "職員には自治体を指定してください"),
    (["users", "add", "taro", "--city", "nagano", "--role", "system_admin", "--password-stdin"],
     PASSWORD, "システム管理者は自治体に属しません"),
    (["users", "add", "existing", "--city", "nagano", "--role", "staff", "--password-stdin"],
     PASSWORD, "ユーザー名「existing」は既に使われています"),
    (["users", "add", "ta ro", "--city", "nagano", "--role", "staff", "--password-stdin"],
     PASSWORD, "ユーザー名「ta ro」は使えません"),
    (["users", "add", "taro", "--city", "nagano", "--role", "staff", "--password-stdin"],
     "password123", "推測されやすい"),
    (["admin", "create", "root2", "--password-stdin"], "short", "10文字以上"),
    (["users", "deactivate", "nobody"], None, "ユーザー「nobody」が見つかりません"),
])
def test_bad_input_is_refused_and_creates_nothing(app, kyodo, args, stdin, message):
    assert kyodo("cities", "add", "nagano", "長野市").exit_code == 0
    existing = kyodo("users", "add", "existing", "--city", "nagano", "--role", "staff",
                     "--password-stdin", input=f"{PASSWORD}\n")
    assert existing.exit_code == 0, existing.output
    before = counts()
    result = kyodo(*args, input=f"{stdin}\n" if stdin else None)
    assert result.exit_code != 0 and message in result.output, result.output
    assert "Traceback" not in result.output
    assert counts() == before


def test_passwords_typed_twice_must_match(app, kyodo):
    result = kyodo("admin", "create", "root", input=f"{PASSWORD}\nanother-one-typed\n"
                   f"{PASSWORD}\n{PASSWORD}\n")
    assert "一致しません" in result.output or "match" in result.output  # asked again
    assert result.exit_code == 0 and counts() == (1, 0)


CSV_HEADER = "username,display_name,role,city,email,password\n"


def test_a_csv_import_with_one_bad_line_adds_no_one_and_names_the_line(app, kyodo, tmp_path):
    assert kyodo("cities", "add", "nagano", "長野市").exit_code == 0
    before = counts()
    bad = tmp_path / "users.csv"
    bad.write_text(CSV_HEADER + f"hanako,長野 花子,staff,nagano,,{PASSWORD}\n"
                   f"jiro,長野 次郎,市長,nagano,,{PASSWORD}\n"
                   f"saburo,長野 三郎,職員,nagano,,{PASSWORD}\n"
                   f"hanako,重複,staff,nagano,,{PASSWORD}\n", encoding="utf-8")
    result = kyodo("users", "import", str(bad))
    assert result.exit_code != 0
    assert "3行目: 役割「市長」はありません" in result.output
    assert "5行目: ユーザー名「hanako」がこのファイルの中で重複しています" in result.output
    assert "2行目" not in result.output and "4行目" not in result.output
    assert counts() == before


def test_a_csv_from_excel_in_shift_jis_is_read(app, client, kyodo, tmp_path):
    assert kyodo("cities", "add", "nagano", "長野市").exit_code == 0
    sjis = tmp_path / "users.csv"
    sjis.write_bytes((CSV_HEADER + f"hanako,長野 花子,職員,nagano,h@example.jp,{PASSWORD}\r\n"
                      "kenji,長野 健二,viewer,nagano,,\r\n").encode("cp932"))
    result = kyodo("users", "import", str(sjis))
    assert result.exit_code == 0, result.output
    assert "2人を追加しました" in result.output
    with all_cities():  # the user as the login lookup finds it
        hanako = db.session.execute(select(User).where(User.username == "hanako")).scalar_one()
    assert (hanako.display_name, hanako.role, hanako.email) == ("長野 花子", "staff", "h@example.jp")
    made = next(line.split("初期パスワード: ")[1] for line in result.output.splitlines()
                if line.startswith("kenji\t"))
    assert login(client, "kenji", made).status_code == 302


def test_a_file_in_another_encoding_is_refused_naming_the_encodings(app, kyodo, tmp_path):
    assert kyodo("cities", "add", "nagano", "長野市").exit_code == 0
    before = counts()
    other = tmp_path / "users.csv"
    other.write_bytes((CSV_HEADER + "hanako,長野 花子,staff,nagano,,x\n").encode("utf-16"))
    result = kyodo("users", "import", str(other))
    assert result.exit_code != 0 and "UTF-8 か Shift_JIS" in result.output
    assert counts() == before


def test_a_deactivated_user_cannot_log_in(app, client, kyodo):
    assert kyodo("cities", "add", "nagano", "長野市").exit_code == 0
    assert kyodo("users", "add", "hanako", "--city", "nagano", "--role", "staff",
                 "--password-stdin", input=f"{PASSWORD}\n").exit_code == 0
    assert login(client, "hanako", PASSWORD).status_code == 302
    assert client.get("/admin/").status_code == 200
    assert kyodo("users", "deactivate", "hanako").exit_code == 0
    assert client.get("/admin/").status_code != 200  # the open session has ended
    assert login(client, "hanako", PASSWORD).status_code != 302
    assert "hanako\t職員\tnagano\t停止" in kyodo("users", "list", "--city", "nagano").output


def test_an_address_with_a_second_line_is_refused_and_adds_no_one(app, kyodo, tmp_path):
    assert kyodo("cities", "add", "nagano", "長野市").exit_code == 0
    before = counts()
    smuggled = tmp_path / "users.csv"
    smuggled.write_text(CSV_HEADER + f'hanako,長野 花子,staff,nagano,"h@example.jp\nBcc: evil@example.jp",{PASSWORD}\n',
                        encoding="utf-8")
    result = kyodo("users", "import", str(smuggled))
    assert result.exit_code != 0 and "2行目: メールアドレス" in result.output, result.output
    assert "形式が正しくありません" in result.output
    assert counts() == before


def test_a_system_administrator_from_a_file_needs_the_flag_and_each_user_is_listed(
        app, kyodo, tmp_path):
    assert kyodo("cities", "add", "nagano", "長野市").exit_code == 0
    before = counts()
    listed = tmp_path / "users.csv"
    listed.write_text(CSV_HEADER + f"hanako,長野 花子,職員,nagano,,{PASSWORD}\n"
                      f"root2,管理 太郎,システム管理者,,,{PASSWORD}\n", encoding="utf-8")
    refused = kyodo("users", "import", str(listed))
    assert refused.exit_code != 0
    assert "3行目: システム管理者（すべての自治体の記録を扱えます）はファイルからは作りません" in refused.output
    assert "--allow-system-admin" in refused.output and counts() == before
    made = kyodo("users", "import", "--allow-system-admin", str(listed))
    assert made.exit_code == 0, made.output
    assert "hanako\t職員\tnagano" in made.output
    assert "root2\tシステム管理者\t（すべての自治体）" in made.output


def test_a_username_differing_only_in_case_is_refused(app, kyodo, tmp_path):
    assert kyodo("cities", "add", "nagano", "長野市").exit_code == 0
    first = tmp_path / "first.csv"
    first.write_text(CSV_HEADER + f"nagano-staff,長野 花子,staff,nagano,,{PASSWORD}\n",
                     encoding="utf-8")
    assert kyodo("users", "import", str(first)).exit_code == 0
    before = counts()
    again = tmp_path / "again.csv"
    again.write_text(CSV_HEADER + f"Nagano-Staff,長野 次郎,staff,nagano,,{PASSWORD}\n"
                     f"jiro,長野 次郎,staff,nagano,,{PASSWORD}\n"
                     f"JIRO,長野 次郎,staff,nagano,,{PASSWORD}\n", encoding="utf-8")
    result = kyodo("users", "import", str(again))
    assert result.exit_code != 0
    assert "2行目: ユーザー名「Nagano-Staff」は既に使われています（大文字と小文字の違いは区別しません）" \
        in result.output
    assert "4行目: ユーザー名「JIRO」がこのファイルの中で重複しています" in result.output
    assert counts() == before
