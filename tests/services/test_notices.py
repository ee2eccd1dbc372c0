"""Mail notices through the outbox, received by a local SMTP server (aiosmtpd): reminders on
the right days of the Japanese calendar, each sent once; retries; opt-out; meeting notices
with a calendar file in JST."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from sqlalchemy import select

from kyodo_admin import clock, tenancy
from kyodo_admin.errors import ValidationFailed
from kyodo_admin.extensions import db
from kyodo_admin.models import Notice, NoticeTemplate, Role
from kyodo_admin.services.notices import (
    check_texts,
    reminder_day,
    run_notices,
)

from ..factories import (
    CityFactory,
    CompletionReportFactory,
    CouncilMemberFactory,
    DepartmentFactory,
    MeetingFactory,
    NoticeFactory,
    OrganizationFactory,
    ProjectFactory,
    ProposalFactory,
    UserFactory,
)
from ..mail import smtp_server
from ..processes import free_port


@pytest.fixture
def smtp():
    with smtp_server() as inbox:
        yield inbox


def at(day: dt.date):
    """The clock at 10:00 JST on ``day``."""
    return time_machine.travel(dt.datetime.combine(day, dt.time(10), tzinfo=clock.zone()),
                               tick=False)


class Config:
    """What the scan reads of an app: its settings (here, an SMTP server or none)."""

    def __init__(self, **config) -> None:
        self.config = {"KYODO_SMTP_HOST": "", **config}


def scan(day: dt.date) -> int:
    """The daily scan as the command and the worker run it; how many mails it wrote."""
    with at(day):
        run = run_notices(Config())
    assert run.failures == ()
    return run.written


def send_pending(config):
    """The outbox sent as the command runs it, without writing today's reminders."""
    run = run_notices(Config(**config), collect_today=False)
    assert run.failures == ()
    return run


def outbox() -> list[Notice]:
    with tenancy.all_cities():
        return list(db.session.execute(select(Notice).order_by(Notice.id)).scalars())


@pytest.fixture
def report(app):
    city = CityFactory(coordinating_section="市民活動部 地域のつながり推進課",
                       settings={"mail_signature": "鎌倉市 地域のつながり推進課\n0467-00-0000"})
    department = DepartmentFactory(city=city, name="青少年課", email="seishonen@city.example.jp")
    organization = OrganizationFactory(city=city, name="NPO法人うみ", email="info@umi.example.jp")
    UserFactory(city=city, department=department, email="tanaka@city.example.jp",
                display_name="田中 一郎")
    UserFactory(city=city, department=department, email="sato@city.example.jp",
                display_name="佐藤 花子", receives_reminders=False)
    project = ProjectFactory(city=city, department=department, organization=organization,
                             title="海辺の子ども自然教室")
    # completed 30 Nov: due one month later lands in the year-end closure → 4 January
    return CompletionReportFactory(city=city, project=project, due_on=dt.date(2027, 1, 4))


def test_reminder_days_skip_closed_days():
    # 3 days before 4 January is 1 January: the closure runs 29 Dec - 3 Jan, 26-27 Dec is
    # a weekend, so the reminder goes on Monday 28 December
    assert reminder_day(dt.date(2027, 1, 4), 3, True) == dt.date(2026, 12, 28)
    assert reminder_day(dt.date(2027, 1, 4), 14, True) == dt.date(2026, 12, 21)
    # without the closure only 元日 is closed: 31 December
    assert reminder_day(dt.date(2027, 1, 4), 3, False) == dt.date(2026, 12, 31)


def test_report_reminders_go_on_the_right_days_once_each(report, smtp):
    city_name = report.city.name
    written = {day: scan(day) for day in (
        dt.date(2026, 12, 20), dt.date(2026, 12, 21), dt.date(2026, 12, 22),
        dt.date(2026, 12, 28), dt.date(2027, 1, 4), dt.date(2027, 1, 5),
        dt.date(2027, 1, 6), dt.date(2027, 1, 11), dt.date(2027, 1, 12))}
    # three addresses each time: the department, its member of staff, the organization
    assert written == {dt.date(2026, 12, 20): 0, dt.date(2026, 12, 21): 3,
                       dt.date(2026, 12, 22): 0, dt.date(2026, 12, 28): 3,
                       dt.date(2027, 1, 4): 0, dt.date(2027, 1, 5): 3,
                       dt.date(2027, 1, 6): 0, dt.date(2027, 1, 11): 0,
                       dt.date(2027, 1, 12): 3}
    rows = outbox()
    assert {r.recipient for r in rows} == {"seishonen@city.example.jp", "tanaka@city.example.jp",
                                           "info@umi.example.jp"}
    assert "sato@city.example.jp" not in {r.recipient for r in rows}  # she opted out
    assert [r.kind for r in rows[::3]] == ["report_due", "report_due", "report_overdue",
                                           "report_overdue"]
    first = rows[0]
    first_subject = first.subject
    assert first.subject == "【" + city_name + "】事業報告書の提出期限（令和9年1月4日）のお知らせ"
    assert "「海辺の子ども自然教室」の事業報告書の提出期限は 令和9年1月4日 です（あと14日）" in first.body
    assert first.body.rstrip().endswith("0467-00-0000")

    with at(dt.date(2027, 1, 12)):
        result = send_pending(smtp.config)
    assert (result.sent, result.failed, result.waiting) == (12, 0, 0)
    assert len(smtp.messages) == 12
    assert sorted(smtp.recipients).count("info@umi.example.jp") == 4
    message = smtp.messages[0]
    assert message["Subject"] == first_subject
    assert "あと14日" in message.get_content()
    # nothing goes twice: a second send and a second scan the same day do nothing
    with at(dt.date(2027, 1, 12)):
        assert send_pending(smtp.config).sent == 0
    assert scan(dt.date(2027, 1, 12)) == 0 and len(smtp.messages) == 12
    assert all(r.status == "sent" and r.sent_at for r in outbox())


def test_a_submitted_report_is_not_reminded(report):
    with tenancy.scoped_to(report.city_id):  # the department's request
        report.submitted_on = dt.date(2026, 12, 15)
        db.session.commit()
    assert scan(dt.date(2026, 12, 21)) == 0


def test_a_failing_smtp_server_leaves_the_row_pending_and_it_is_retried(report, smtp):
    scan(dt.date(2026, 12, 21))
    refused = {**smtp.config, "KYODO_SMTP_PORT": free_port()}  # nothing listens there
    with at(dt.date(2026, 12, 21)):
        result = send_pending(refused)
    assert (result.sent, result.failed, result.waiting) == (0, 3, 3)
    row = outbox()[0]
    assert row.status == "pending" and row.attempts == 1 and "Connection" in row.last_error
    with at(dt.date(2026, 12, 21)):
        assert clock.to_local(row.next_attempt_at) - clock.now() == dt.timedelta(minutes=2)
    with at(dt.date(2026, 12, 21)):  # not before its wait is over
        assert send_pending(smtp.config).sent == 0
    later = dt.datetime.combine(dt.date(2026, 12, 21), dt.time(10, 5), tzinfo=clock.zone())
    with time_machine.travel(later, tick=False):
        assert send_pending(smtp.config).sent == 3
    assert len(smtp.messages) == 3 and outbox()[0].status == "sent"


def test_without_an_smtp_server_notices_wait_in_the_outbox(report):
    scan(dt.date(2026, 12, 21))
    assert send_pending({"KYODO_SMTP_HOST": ""}).sent == 0
    assert {r.status for r in outbox()} == {"pending"}


@pytest.fixture
def meeting(app):
    city = CityFactory(slug="kamakura-x")
    member_user = UserFactory(city=city, role=Role.COUNCIL_MEMBER.value, email="iin@example.jp")
    other = UserFactory(city=city, role=Role.COUNCIL_MEMBER.value, email="iin2@example.jp",
                        receives_reminders=False)  # a meeting notice is not a reminder
    meeting = MeetingFactory(city=city, title="令和8年度 第2回会議", held_on=dt.date(2026, 7, 22), step=2,
                             starts_at=dt.time(14), ends_at=dt.time(16), location="市役所 第1会議室")
    CouncilMemberFactory(city=city, council=meeting.council, name="委員 一", user=member_user)
    CouncilMemberFactory(city=city, council=meeting.council, name="委員 二", user=other)
    ProposalFactory(city=city, status="step2_review", title="空き家活用の提案", receipt_number="2026-007")
    return meeting


def test_a_meeting_notice_carries_its_agenda_and_a_calendar_event_in_jst(meeting, smtp):
    from icalendar import Calendar

    assert scan(dt.date(2026, 7, 14)) == 0  # eight days ahead
    assert scan(dt.date(2026, 7, 15)) == 2
    rows = outbox()
    assert {r.recipient for r in rows} == {"iin@example.jp", "iin2@example.jp"}
    assert "・2026-007　空き家活用の提案" in rows[0].body and "14:00〜16:00" in rows[0].body
    with at(dt.date(2026, 7, 15)):
        send_pending(smtp.config)
    attachment = next(smtp.messages[0].iter_attachments())
    assert attachment.get_content_type() == "text/calendar"
    event = Calendar.from_ical(attachment.get_content()).walk("VEVENT")[0]
    start = event.decoded("dtstart")
    assert start == dt.datetime(2026, 7, 22, 14, tzinfo=clock.zone())
    assert start.utcoffset() == dt.timedelta(hours=9)
    assert event.decoded("dtend") - start == dt.timedelta(hours=2)
    assert str(event["location"]) == "市役所 第1会議室"


def test_moving_a_meeting_tells_its_members_in_the_same_transaction(meeting):
    city_id = meeting.city_id
    scan(dt.date(2026, 7, 15))
    with tenancy.scoped_to(city_id):
        meeting.held_on = dt.date(2026, 7, 24)
        db.session.flush()
        db.session.rollback()  # a change not saved tells nobody
    assert [r.kind for r in outbox()] == ["meeting", "meeting"]
    with tenancy.scoped_to(city_id):
        meeting.held_on = dt.date(2026, 7, 24)
        db.session.commit()
    changed = [r for r in outbox() if r.kind == "meeting_changed"]
    assert len(changed) == 2
    assert "令和8年7月24日" in changed[0].body and "変更前 令和8年7月22日" in changed[0].body
    assert "SEQUENCE:1" in changed[0].ics and "DTSTART;TZID=Asia/Tokyo:20260724T140000" in changed[0].ics


def test_a_meeting_not_yet_announced_is_moved_silently(meeting):
    with tenancy.scoped_to(meeting.city_id):
        meeting.held_on = dt.date(2026, 7, 24)
        db.session.commit()
    assert outbox() == []


def test_staff_hear_of_step2_waiting_and_of_late_budget_proposals(app):
    city = CityFactory()
    UserFactory(city=city, email="staff@city.example.jp")
    UserFactory(city=city, email="off@city.example.jp", receives_reminders=False)
    ProposalFactory(city=city, status="passed", title="待っている提案")
    ProposalFactory(city=city, needs_budget=True, received_on=dt.date(2026, 5, 15),
                    title="遅れた予算要求")
    assert scan(dt.date(2026, 5, 20)) == 1  # the late budget proposal (deadline 30 April)
    assert scan(dt.date(2026, 7, 21)) == 0  # 31 July is a Friday: a week before is the 24th
    assert scan(dt.date(2026, 7, 24)) == 1
    rows = outbox()
    assert [r.kind for r in rows] == ["late_budget", "step2_waiting"]
    assert {r.recipient for r in rows} == {"staff@city.example.jp"}
    assert "締切（令和8年4月30日）の後に届きました" in rows[0].body
    assert "・2026-" in rows[1].body and "待っている提案" in rows[1].body


@pytest.mark.parametrize("body,message", [
    ("{{ project.title", "閉じていません"),
    ("{{ report.due_on|yen }}", "|yen は金額に使うフィルターです"),
    ("{{ organisation.name }}", "差込項目「organisation」に対応するデータがありません"),
])
def test_a_city_text_that_does_not_render_is_refused(app, body, message):
    city = CityFactory()
    with pytest.raises(ValidationFailed, match=message) as refused:
        check_texts("report_due", "件名", body, city)
    assert str(refused.value).startswith("本文の1行目「") and "（）" not in str(refused.value)
    check_texts("report_due", "{{ city.name }}", "{{ recipient }} 様 {{ report.due_on|wareki }}", city)


def test_a_meeting_text_is_checked_with_what_a_meeting_notice_has(app):
    """``project`` is a report reminder's: a meeting notice has none, so a meeting text that
    uses it is refused at save, not at the scan."""
    city = CityFactory()
    with pytest.raises(ValidationFailed, match="差込項目「project」に対応するデータがありません"):
        check_texts("meeting", "{{ meeting.title }}", "{{ project.title }}", city)
    check_texts("meeting", "{{ meeting.title }}", "{{ meeting.held_on|wareki }} {{ agenda|length }}",
                city)


@pytest.mark.parametrize("body,message", [
    # runs on and on, printing nothing: stopped by the time limit
    ("{% for a in range(99999) %}{% for b in range(99999) %}{% endfor %}{% endfor %}",
     "秒を超えたため中止しました"),
    # 27 million characters: stopped as soon as it passes the size limit
    ('{% for i in range(3000) %}{{ "あ" * 9000 }}{% endfor %}', "メール文面が長すぎます（100,000文字まで）"),
])
def test_a_text_that_runs_forever_or_renders_megabytes_is_refused_quickly(app, monkeypatch,
                                                                          body, message):
    import time

    from kyodo_admin.documents import limits

    monkeypatch.setattr(limits, "TEXT_TIMEOUT", 2.0)
    city = CityFactory()
    started = time.monotonic()
    with pytest.raises(ValidationFailed, match=message):
        check_texts("report_due", "件名", body, city)
    assert time.monotonic() - started < 15  # the web worker is back, not held for minutes
    check_texts("report_due", "件名", "{{ recipient }} 様", city)  # and the next check works


def test_a_row_being_sent_is_not_put_back_but_a_stuck_one_is(report):
    from kyodo_admin.services.notices import retry, retryable

    scan(dt.date(2026, 12, 21))
    rows = outbox()
    staff_scope = tenancy.scoped_to(rows[0].city_id)  # the outbox's screen, in its city
    with staff_scope, at(dt.date(2026, 12, 21)):
        rows[0].status = "sending"  # claimed by a sender a moment ago
        rows[0].updated_at = clock.now()
        rows[1].status = "sent"
        db.session.commit()
        assert not retryable(rows[0]) and not retryable(rows[1]) and not retryable(rows[2])
        with pytest.raises(ValidationFailed, match="送信中のメールは再送できません"):
            retry(db.session, rows[0])
    later = dt.datetime.combine(dt.date(2026, 12, 21), dt.time(11, 30), tzinfo=clock.zone())
    with tenancy.scoped_to(rows[0].city_id), time_machine.travel(later, tick=False):  # stuck
        assert retryable(rows[0])
        retry(db.session, rows[0])
        assert rows[0].status == "pending"


def test_a_line_break_in_a_name_or_address_fails_only_that_mail(app, smtp):
    """Rows stored before names were kept to one line (an imported cell with Alt+Enter): the
    name is sent on one line, the address with a second line (a Bcc: header smuggled in) is
    that mail's failure, and every other mail of every city still goes in the same run."""
    first, second = CityFactory(), CityFactory()
    smuggled = NoticeFactory(city=first, recipient="info@umi.example.jp\nBcc: evil@example.jp")
    NoticeFactory(city=first, recipient="yama@example.jp", recipient_name="NPO法人\r\nやま",
                  subject="提出期限の\nお知らせ")
    NoticeFactory(city=second, recipient="kawa@example.jp")
    smuggled_id = smuggled.id
    run = send_pending(smtp.config)
    assert (run.sent, run.failed) == (2, 1)
    rows = {row.id: row for row in outbox()}
    assert rows[smuggled_id].status == "failed"
    assert "メールを作れません" in rows[smuggled_id].last_error
    assert sorted(smtp.recipients) == ["kawa@example.jp", "yama@example.jp"]
    assert all("evil@example.jp" not in m.as_string() for m in smtp.messages)
    named = next(m for m in smtp.messages if "yama@example.jp" in m["To"])
    assert named["To"].addresses[0].display_name == "NPO法人 やま"
    assert named["Subject"] == "提出期限の お知らせ"


@pytest.mark.parametrize("body,where", [
    ("{{ recipient }} 様\n\nいつもお世話になっております。\n{{ meeting.nope }} について\n", "本文の4行目「{{ meeting.nope }} について」"),
    ("{{ recipient }} 様\n{% if %}\n", "本文の2行目「{% if %}」"),
])
def test_a_mail_texts_error_names_its_part_and_line(app, body, where):
    city = CityFactory()
    with pytest.raises(ValidationFailed) as refused:
        check_texts("report_due", "件名", body, city)
    assert str(refused.value).startswith(where), str(refused.value)
    with pytest.raises(ValidationFailed, match="件名の1行目「{{ nope }}」"):
        check_texts("report_due", "{{ nope }}", "{{ recipient }} 様", city)


def test_the_reminder_is_of_the_year_whose_report_is_due(report):
    """A project in its second year: year one's report is in, year two's is due — the
    reminders are year two's, and a city's text may name the year ({{ report.year }})."""
    from kyodo_admin.models import ProjectYear

    with tenancy.scoped_to(report.city_id):
        project = report.project
        report.submitted_on, report.fiscal_year = dt.date(2026, 4, 20), 2026
        db.session.add(ProjectYear(city_id=project.city_id, project_id=project.id,
                                   fiscal_year=2027, year_number=2))
        db.session.flush()
        second = CompletionReportFactory(city=report.city, project=project, fiscal_year=2027,
                                         due_on=dt.date(2027, 1, 4))
        db.session.add(NoticeTemplate(city_id=report.city_id, kind="report_due",
                                      subject="{{ report.year }}の事業報告書の期限",
                                      body="「{{ project.title }}」{{ report.year }}の報告をお願いします。"))
        db.session.commit()
        second_id = second.id
    assert scan(dt.date(2026, 12, 21)) == 3
    rows = outbox()
    assert {r.record_id for r in rows} == {second_id}
    assert rows[0].subject == "第2年度の事業報告書の期限"
    assert "「海辺の子ども自然教室」第2年度の報告をお願いします。" in rows[0].body
