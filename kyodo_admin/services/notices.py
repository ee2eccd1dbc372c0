"""Mail notices: deadlines and meetings told to the people concerned, through an outbox.

Every mail is first a ``Notice`` row, written in the transaction of what caused it (a
meeting moved) or of the daily scan (``collect``: a report due in 14 or 3 days, overdue
once and then weekly; proposals waiting for step 2 a week before its deadline; a budget
proposal after the budget deadline; a meeting a week ahead). A row's ``key`` makes it the
only one of its kind: a second scan writes nothing. ``send_pending`` sends what is due
(``kyodo notices send``, or the queue's periodic job), claiming each row before sending
so that nothing goes twice; a failure is retried with a growing wait and shown in the
outbox (送信メール).

Texts are per city (``NoticeTemplate``, edited on 設定 > メール文面), plain-text Jinja in the
documents' sandbox, with the shipped texts below as defaults. Days are counted on the
Japanese calendar: a reminder that would fall on a closed day (weekend, holiday, the
year-end closure) goes on the open day before it.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Any

from flask_babel import gettext
from sqlalchemy import event, func, inspect, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as OrmSession

from .. import clock, tenancy
from ..documents import limits
from ..documents.render import RenderError
from ..errors import ValidationFailed
from ..extensions import write_intent
from ..formschema import cells
from ..models import (
    City,
    CompletionReport,
    Council,
    CouncilMember,
    JobStatus,
    Meeting,
    Notice,
    NoticeTemplate,
    Project,
    Proposal,
    User,
)
from ..models.base import fiscal_year_of
from ..models.notice import NOTICE_KINDS
from ..models.proposal import AWAITING_STEP2
from ..models.user import Role
from ..sessions import KyodoSession, Session
from ..workflow.deadlines import (
    budget_timing,
    previous_open_day,
    settings_for,
    step2_deadline,
)

log = logging.getLogger(__name__)
#: Days before a report's due date that its reminders go (the nearer one wins).
REPORT_REMINDERS = (14, 3)
#: Days before a meeting its notice goes, and before the step-2 deadline the staff hear.
MEETING_NOTICE_DAYS = 7
STEP2_NOTICE_DAYS = 7
#: A budget proposal received this many days ago or less is told to the staff.
LATE_BUDGET_WINDOW = 30
#: Sending: attempts before a row is left as failed, and the wait after the n-th failure.
MAX_ATTEMPTS = 8
#: A row claimed this long ago and never marked is left for a person (it may have gone).
STALE_SENDING = dt.timedelta(hours=1)


def backoff(attempts: int) -> dt.timedelta:
    """2, 4, 8 … minutes, at most 6 hours."""
    return dt.timedelta(minutes=min(2 ** attempts, 360))


SIGN = "\n\n--\n{{ signature }}\n"
DEFAULT_TEXTS: dict[str, tuple[str, str]] = {
    "report_due": (
        "【{{ city.name }}】事業報告書の提出期限（{{ report.due_on|wareki }}）のお知らせ",
        "{{ recipient }} 様\n\n"
        "「{{ project.title }}」の事業報告書の提出期限は {{ report.due_on|wareki }} です"
        "（あと{{ days }}日）。\n期限までに提出してください。" + SIGN),
    "report_overdue": (
        "【{{ city.name }}】事業報告書の提出期限（{{ report.due_on|wareki }}）を過ぎています",
        "{{ recipient }} 様\n\n"
        "「{{ project.title }}」の事業報告書の提出期限 {{ report.due_on|wareki }} を"
        "{{ days }}日過ぎています。\nすみやかに提出してください。"
        "既に提出済みの場合は、担当課にお知らせください。" + SIGN),
    "step2_waiting": (
        "【{{ city.name }}】ステップ2（決定）の期限 {{ deadline|wareki }} が近づいています",
        "{{ recipient }} 様\n\n"
        "次の提案がステップ2（決定）を待っています。期限は {{ deadline|wareki }} です。\n\n"
        "{% for p in proposals %}・{{ p.receipt_number }}　{{ p.title }}\n{% endfor %}" + SIGN),
    "late_budget": (
        "【{{ city.name }}】予算の締切後に届いた提案（{{ proposal.receipt_number }}）",
        "{{ recipient }} 様\n\n"
        "予算を伴う提案が、締切（{{ deadline|wareki }}）の後に届きました。\n\n"
        "・{{ proposal.receipt_number }}　{{ proposal.title }}（受付 {{ proposal.received_on|wareki }}）\n"
        "{{ budget_year|nendo }}予算の対象として扱われます。" + SIGN),
    "meeting": (
        "【{{ city.name }}】{{ meeting.title }}（{{ meeting.held_on|wareki }}）のお知らせ",
        "{{ recipient }} 様\n\n"
        "{{ meeting.title }}を次のとおり開催します。\n\n"
        "日時　{{ meeting.held_on|wareki }}{% if meeting.time %}　{{ meeting.time }}{% endif %}\n"
        "場所　{{ meeting.location }}\n\n案件\n"
        "{% for item in agenda %}・{{ item.receipt_number }}　{{ item.title }}\n"
        "{% else %}（案件は追ってお知らせします）\n{% endfor %}\n"
        "審査の入力: {{ scoring_url }}\n予定表に追加できるファイルを添付しています。" + SIGN),
    "meeting_changed": (
        "【{{ city.name }}】{{ meeting.title }}の日時・場所が変わりました",
        "{{ recipient }} 様\n\n"
        "{{ meeting.title }}の日時・場所を次のとおり変更します。\n\n"
        "日時　{{ meeting.held_on|wareki }}{% if meeting.time %}　{{ meeting.time }}{% endif %}"
        "（変更前 {{ previous|wareki }}）\n場所　{{ meeting.location }}\n\n"
        "審査の入力: {{ scoring_url }}\n予定表を更新するファイルを添付しています。" + SIGN),
    "proposal_received": (
        "【{{ city.name }}】協働事業の提案を受け付けました（受付番号 {{ proposal.receipt_number }}）",
        "{{ recipient }} 様\n\n"
        "協働事業の提案「{{ proposal.title }}」を{{ proposal.received_on|wareki }}に受け付けました。\n"
        "受付番号　{{ proposal.receipt_number }}\n\n"
        "送信された基本シートを添付しています。\n"
        "提案の状況（受付済・検討中・結果のお知らせ済）は、次のページで確かめられます"
        "（結果のお知らせから{{ link_days }}日間）。\n{{ status_url }}\n\n"
        "このメールに心当たりのない場合は、破棄してください。" + SIGN),
    "status_link": (
        "【{{ city.name }}】提案の状況のページ（受付番号 {{ proposal.receipt_number }}）",
        "{{ recipient }} 様\n\n"
        "ご依頼により、提案「{{ proposal.title }}」（受付番号 {{ proposal.receipt_number }}）の"
        "状況のページのリンクをお送りします。以前のリンクは使えなくなりました。\n"
        "{{ status_url }}\n\n"
        "このメールに心当たりのない場合は、破棄してください。" + SIGN),
}


# -- texts ------------------------------------------------------------------------------


def signature(city: City) -> str:
    settings = settings_for(city)
    return settings["mail_signature"] or f"{city.name} {city.coordinating_section}".strip()


def sender_name(city: City) -> str:
    return settings_for(city)["mail_sender_name"] or city.coordinating_section or city.name


def texts_of(session: Session, city_id: int, kind: str) -> tuple[str, str]:
    own = session.execute(select(NoticeTemplate).where(
        NoticeTemplate.city_id == city_id, NoticeTemplate.kind == kind)).scalar_one_or_none()
    return (own.subject, own.body) if own is not None else DEFAULT_TEXTS[kind]


def render_text(subject: str, body: str, context: Mapping[str, Any]) -> tuple[str, str]:
    """The mail's subject (one line) and body, rendered with the documents' limits (time,
    loop and output size, in the limited worker); ValidationFailed in Japanese when a text
    cannot be rendered."""
    try:
        rendered = limits.render_texts_limited((subject, body), dict(context))
    except RenderError as exc:
        raise ValidationFailed(str(exc)) from exc
    return " ".join(rendered[0].split()), rendered[1].strip() + "\n"


#: The names each kind's text is rendered with at the scan (besides city, recipient and
#: signature): a city's text is checked with exactly these, so a name another kind has
#: (``project`` in a meeting notice) is refused at save, not at the scan.
KIND_NAMES: dict[str, tuple[str, ...]] = {
    "report_due": ("project", "report", "days"),
    "report_overdue": ("project", "report", "days"),
    "step2_waiting": ("deadline", "proposals"),
    "late_budget": ("proposal", "deadline", "budget_year"),
    "meeting": ("meeting", "agenda", "scoring_url"),
    "meeting_changed": ("meeting", "agenda", "scoring_url", "previous"),
    "proposal_received": ("proposal", "status_url", "link_days"),
    "status_link": ("proposal", "status_url", "link_days"),
}


def example_context(kind: str, city: City) -> dict[str, Any]:
    """What a text of ``kind`` is rendered with, for checking a city's own text at save:
    example values of exactly the names the scan gives that kind."""
    day = clock.today()
    proposal = {"receipt_number": "2026-001", "title": "子育て支援情報発信事業",
                "received_on": day}
    values = {"project": {"title": "子育て支援情報発信事業"},
              "report": {"due_on": day, "fiscal_year": fiscal_year_of(day), "year": "第1年度"},
              "days": 3, "deadline": day, "proposals": [proposal], "proposal": proposal,
              "budget_year": day.year + 1,
              "meeting": {"title": "令和8年度 第1回会議", "held_on": day, "time": "14:00〜16:00",
                          "location": "市役所 第1会議室"},
              "previous": day, "agenda": [proposal], "scoring_url": "https://example.jp/admin/",
              "status_url": "https://example.jp/entrance/city/status/xxxxxxxx", "link_days": 90}
    return {**_base(city, "山田 花子"), **{name: values[name] for name in KIND_NAMES[kind]}}


def check_texts(kind: str, subject: str, body: str, city: City) -> None:
    """A city's own text is refused at save when it does not render (message in Japanese)."""
    if kind not in NOTICE_KINDS:
        raise ValidationFailed(gettext("メールの種類が正しくありません。"))
    if not subject.strip() or not body.strip():
        raise ValidationFailed(gettext("件名と本文を入力してください。"))
    render_text(subject, body, example_context(kind, city))


def _base(city: City, recipient: str) -> dict[str, Any]:
    return {"city": {"name": city.name, "coordinating_section": city.coordinating_section},
            "recipient": recipient, "signature": signature(city)}


# -- the outbox ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str
    user_id: int | None = None


def add_notice(session: Session, city: City, kind: str, key: str, to: Recipient,
               context: Mapping[str, Any], record: Any = None, ics: str | None = None) -> bool:
    """Write one mail to the outbox unless its key is there already; True when written."""
    if not to.email:
        return False
    key = f"{key}:{to.email.lower()}"
    exists = session.execute(select(Notice.id).where(Notice.city_id == city.id,
                                                     Notice.key == key)).first()
    if exists:
        return False
    values = {**_base(city, to.name or to.email), **context}
    texts = texts_of(session, city.id, kind)
    try:
        subject, body = render_text(*texts, values)
    except ValidationFailed as exc:
        if texts == DEFAULT_TEXTS[kind]:
            raise  # the shipped text itself: a fault of the product, not the city's
        # The city's own text fails with this mail's values: the mail goes with the shipped
        # text, and the city admin sees why in the outbox (the scan goes on).
        subject, body = render_text(*DEFAULT_TEXTS[kind], values)
        _text_failed(session, city.id, kind, str(exc))
    else:
        if texts != DEFAULT_TEXTS[kind]:
            text_saved(session, city.id, kind)  # it works again: its warning goes
    session.add(Notice(city_id=city.id, kind=kind, key=key[:200], recipient=to.email,
                       recipient_name=to.name, user_id=to.user_id, subject=subject[:300],
                       body=body, ics=ics, record_type=getattr(record, "__tablename__", ""),
                       record_id=getattr(record, "id", None)))
    return True


def _text_failed(session: Session, city_id: int, kind: str, reason: str) -> None:
    """Keep, in the scan's transaction, that this city's text of ``kind`` failed."""
    status = session.execute(select(JobStatus).where(
        JobStatus.city_id == city_id, JobStatus.job == "notice_texts")).scalar_one_or_none()
    if status is None:
        status = JobStatus(city_id=city_id, job="notice_texts")
        session.add(status)
    status.failed_at, status.failed_step, status.error = clock.now(), kind, reason[:2000]


def text_saved(session: Session, city_id: int, kind: str) -> None:
    """A city's text of ``kind`` was saved (it passed the check) or rendered at the scan:
    its failure is cleared."""
    session.execute(update(JobStatus).where(
        JobStatus.city_id == city_id, JobStatus.job == "notice_texts",
        JobStatus.failed_step == kind).values(error="", failed_step=""))


def _users(session: Session, city_id: int, roles: Iterable[str],
           department_id: int | None = None) -> list[Recipient]:
    """Active users of the city with an address who receive reminders."""
    stmt = select(User).where(User.city_id == city_id, User.active.is_(True),
                              User.receives_reminders.is_(True), User.email != "",
                              User.role.in_(list(roles)))
    if department_id is not None:
        stmt = stmt.where(User.department_id == department_id)
    return [Recipient(u.email, u.display_name or u.username, u.id)
            for u in session.execute(stmt.order_by(User.id)).scalars()]


def reminder_day(due: dt.date, days_before: int, year_end_closure: bool) -> dt.date:
    """The day a reminder N days before ``due`` goes: that day, or the open day before it."""
    return previous_open_day(due - dt.timedelta(days=days_before), year_end_closure)


# -- the daily scan -----------------------------------------------------------------------


def collect_city(session: Session, city: City, today: dt.date) -> int:
    """Write the reminders and notices due ``today`` for one city (the caller scopes to it
    and commits); how many were written. A failure raises ``ScanFailed`` naming the step."""
    written = 0
    for kind, step in _STEPS:
        try:
            written += step(session, city, today)
        except Exception as exc:  # noqa: BLE001 - any failure is this city's, named and kept
            raise ScanFailed(kind, exc) from exc
    return written


class ScanFailed(Exception):
    """One step of a city's scan failed: which kind of notice, and why (in Japanese)."""

    def __init__(self, kind: str, cause: BaseException) -> None:
        self.kind = kind
        self.reason = str(cause) if isinstance(cause, ValidationFailed) else \
            f"予期しないエラー（{type(cause).__name__}: {cause}）"
        super().__init__(f"{NOTICE_KINDS.get(kind, kind)}: {self.reason}")


def _reports(session: Session, city: City, today: dt.date) -> int:
    closure = bool(settings_for(city)["year_end_closure"])
    written = 0
    reports = session.execute(select(CompletionReport).where(
        CompletionReport.city_id == city.id, CompletionReport.submitted_on.is_(None),
        CompletionReport.due_on.is_not(None), CompletionReport.due_on
        <= today + dt.timedelta(days=max(REPORT_REMINDERS) + 10))).scalars()
    for report in reports:
        due, project = report.due_on, report.project
        assert due is not None
        if today > due:
            days = (today - due).days
            kind, key = "report_overdue", f"report_overdue:{report.id}:week{(days - 1) // 7}"
        else:
            days = (due - today).days
            ahead = [n for n in REPORT_REMINDERS if reminder_day(due, n, closure) <= today]
            if not ahead:
                continue
            kind, key = "report_due", f"report_due:{report.id}:{min(ahead)}"
        number = project.year_number_of(report.fiscal_year)
        context = {"project": {"title": project.title}, "days": days,
                   "report": {"due_on": due, "fiscal_year": report.fiscal_year,
                              "year": f"第{number}年度" if number else ""}}
        for to in _report_recipients(session, project):
            written += add_notice(session, city, kind, key, to, context, report)
    return written


def _report_recipients(session: Session, project: Project) -> list[Recipient]:
    """The department's address, its staff and the organization, each address once."""
    found = []
    if project.department is not None and project.department.email:
        found.append(Recipient(project.department.email, project.department.name))
    found += _users(session, project.city_id, (Role.STAFF.value,), project.department_id)
    if project.organization is not None and project.organization.email:
        found.append(Recipient(project.organization.email, project.organization.name))
    first: dict[str, Recipient] = {}
    for recipient in found:
        first.setdefault(recipient.email.lower(), recipient)
    return list(first.values())


def _staff(session: Session, city: City) -> list[Recipient]:
    return _users(session, city.id, (Role.STAFF.value, Role.CITY_ADMIN.value))


def _step2(session: Session, city: City, today: dt.date) -> int:
    settings = settings_for(city)
    year = fiscal_year_of(today)
    deadline = step2_deadline(year, settings)
    if not reminder_day(deadline, STEP2_NOTICE_DAYS, settings["year_end_closure"]) <= today <= deadline:
        return 0
    waiting = list(session.execute(select(Proposal).where(
        Proposal.city_id == city.id, Proposal.status.in_(AWAITING_STEP2))
        .order_by(Proposal.received_on, Proposal.id)).scalars())
    if not waiting:
        return 0
    context = {"deadline": deadline, "proposals": [
        {"receipt_number": p.receipt_number or "", "title": p.title} for p in waiting]}
    return sum(add_notice(session, city, "step2_waiting", f"step2_waiting:{year}", to, context)
               for to in _staff(session, city))


def _late_budget(session: Session, city: City, today: dt.date) -> int:
    settings = settings_for(city)
    staff = _staff(session, city)
    written = 0
    recent = session.execute(select(Proposal).where(
        Proposal.city_id == city.id, Proposal.needs_budget.is_(True),
        Proposal.received_on.is_not(None),
        Proposal.received_on >= today - dt.timedelta(days=LATE_BUDGET_WINDOW))).scalars()
    for proposal in recent:
        assert proposal.received_on is not None
        timing = budget_timing(proposal.received_on, settings)
        if not timing.late:
            continue
        context = {"proposal": {"receipt_number": proposal.receipt_number or "",
                                "title": proposal.title, "received_on": proposal.received_on},
                   "deadline": timing.deadline, "budget_year": timing.budget_year}
        for to in staff:
            written += add_notice(session, city, "late_budget", f"late_budget:{proposal.id}",
                                  to, context, proposal)
    return written


def _members(session: Session, council: Council) -> list[Recipient]:
    """A council's active members whose user account has an address."""
    found = []
    for member in session.execute(select(CouncilMember).where(
            CouncilMember.council_id == council.id, CouncilMember.active.is_(True))
            .order_by(CouncilMember.id)).scalars():
        email = member.user.email if member.user is not None else ""
        if email:
            found.append(Recipient(email, member.name, member.user_id))
    return found


def meeting_context(session: Session, meeting: Meeting, base_url: str) -> dict[str, Any]:
    from .reviews import agenda

    times = "〜".join(f"{t:%H:%M}" for t in (meeting.starts_at, meeting.ends_at) if t)
    return {"meeting": {"title": meeting.title, "held_on": meeting.held_on, "time": times,
                        "location": meeting.location},
            "agenda": [{"receipt_number": item.number, "title": item.title}
                       for item in agenda(session, meeting)],
            "scoring_url": f"{base_url.rstrip('/')}/admin/"}


def meeting_ics(meeting: Meeting, city: City, sequence: int = 0) -> str:
    """The meeting as a calendar event in the cities' time zone (an all-day event when it
    has no start time)."""
    from icalendar import Calendar, Event

    calendar = Calendar()
    calendar.add("prodid", "-//kyodo_admin//協働事業管理//JA")
    calendar.add("version", "2.0")
    calendar.add("method", "REQUEST")
    event_ = Event()
    event_.add("uid", f"meeting-{meeting.id}-{city.slug}@kyodo_admin")
    event_.add("sequence", sequence)
    event_.add("summary", f"{city.name} {meeting.title}")
    event_.add("location", meeting.location)
    event_.add("dtstamp", clock.now())
    if meeting.starts_at is None:
        event_.add("dtstart", meeting.held_on)
        event_.add("dtend", meeting.held_on + dt.timedelta(days=1))
    else:
        start = dt.datetime.combine(meeting.held_on, meeting.starts_at, tzinfo=clock.zone())
        end = dt.datetime.combine(meeting.held_on, meeting.ends_at, tzinfo=clock.zone()) \
            if meeting.ends_at and meeting.ends_at > meeting.starts_at \
            else start + dt.timedelta(hours=2)
        event_.add("dtstart", start)
        event_.add("dtend", end)
    calendar.add_component(event_)
    return calendar.to_ical().decode("utf-8")


def _meetings(session: Session, city: City, today: dt.date) -> int:
    from flask import current_app

    base_url = current_app.config["KYODO_BASE_URL"]
    written = 0
    soon = session.execute(select(Meeting).where(
        Meeting.city_id == city.id, Meeting.held_on >= today,
        Meeting.held_on <= today + dt.timedelta(days=MEETING_NOTICE_DAYS))).scalars()
    for meeting in soon:
        context = meeting_context(session, meeting, base_url)
        ics = meeting_ics(meeting, city)
        for to in _members(session, meeting.council):
            written += add_notice(session, city, "meeting", f"meeting:{meeting.id}", to,
                                  context, meeting, ics)
    return written


_STEPS = (("report_due", _reports), ("step2_waiting", _step2),
          ("late_budget", _late_budget), ("meeting", _meetings))


def meeting_moved(session: Session, meeting: Meeting, previous: dt.date) -> int:
    """Write the change notice of a meeting whose notice went out, in the caller's
    transaction (the one moving it)."""
    from flask import current_app

    told = session.execute(select(Notice.id).where(
        Notice.city_id == meeting.city_id, Notice.kind.in_(("meeting", "meeting_changed")),
        Notice.record_type == "meeting", Notice.record_id == meeting.id)).first()
    if told is None:
        return 0  # nobody has been told yet: the notice will carry the new date
    city = session.get(City, meeting.city_id)
    assert city is not None
    changes = session.execute(select(Notice.key).where(
        Notice.city_id == city.id, Notice.kind == "meeting_changed",
        Notice.record_id == meeting.id)).scalars().all()
    sequence = len({k.rsplit(":", 1)[0] for k in changes}) + 1
    context = {**meeting_context(session, meeting, current_app.config["KYODO_BASE_URL"]),
               "previous": previous}
    ics = meeting_ics(meeting, city, sequence)
    stamp = f"{meeting.held_on}T{meeting.starts_at or ''}@{meeting.location}"
    return sum(add_notice(session, city, "meeting_changed", f"meeting_changed:{meeting.id}:"
                          f"{stamp}", to, context, meeting, ics)
               for to in _members(session, meeting.council))


@event.listens_for(KyodoSession, "before_flush")
def _meeting_changes(session: OrmSession, _context: Any, _instances: Any) -> None:
    """A meeting moved (date, time or place) is told to its members in the same flush."""
    for meeting in [m for m in session.dirty if isinstance(m, Meeting)]:
        state = inspect(meeting)
        changed = [name for name in ("held_on", "starts_at", "location")
                   if state.attrs[name].history.has_changes()]
        if changed and meeting.id is not None:
            previous = state.attrs.held_on.history.deleted
            with session.no_autoflush, tenancy.scoped_to(meeting.city_id):
                meeting_moved(session, meeting, previous[0] if previous else meeting.held_on)


# -- sending ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SendResult:
    sent: int
    failed: int
    waiting: int


def message_of(notice: Notice, city: City, mail_from: str) -> EmailMessage:
    message = EmailMessage()
    # A header is one line: a name with a line break in it (typed or imported before names
    # were kept to one line) is sent with a space; an address with one is refused.
    message["From"] = formataddr((cells.single_line(sender_name(city)), mail_from))
    message["To"] = formataddr((cells.single_line(notice.recipient_name), notice.recipient)) \
        if notice.recipient_name else notice.recipient
    message["Subject"] = cells.single_line(notice.subject)
    message["Message-ID"] = make_msgid(f"notice{notice.id}")
    message.set_content(notice.body)
    if notice.ics:
        message.add_attachment(notice.ics.encode("utf-8"), maintype="text",
                               subtype="calendar", filename="invite.ics",
                               params={"method": "REQUEST", "charset": "utf-8"})
    return message


def attach_record(session: Session, notice: Notice, message: EmailMessage) -> None:
    """The proposer's copy of what was received (提案の受付のお知らせ): the basic sheet in the
    city's format as PDF, or as Word where this server makes no PDF; a sheet that cannot be
    made leaves the mail without it (the mail still says the proposal was received)."""
    if notice.kind != "proposal_received" or notice.record_type != "proposal":
        return
    from ..documents import pdf
    from .documents import render_document

    proposal = session.get(Proposal, notice.record_id or 0)
    if proposal is None:
        return
    try:
        rendered = render_document(session, "basic_sheet", proposal)
    except (ValidationFailed, RenderError):
        log.warning("notice %s: the basic sheet could not be made", notice.id, exc_info=True)
        return
    try:
        data, name = pdf.to_pdf(rendered.data), rendered.filename.rsplit(".", 1)[0] + ".pdf"
        maintype, subtype = "application", "pdf"
    except pdf.PdfUnavailable:
        data, name = rendered.data, rendered.filename
        maintype, subtype = "application", \
            "vnd.openxmlformats-officedocument.wordprocessingml.document"
    except pdf.PdfFailed:
        log.warning("notice %s: the basic sheet's PDF failed; the mail goes without it", notice.id)
        return
    message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)


def send_pending(session: Session, city: City, config: Mapping[str, Any],
                 limit: int = 200) -> SendResult:
    """Send the city's outbox rows that are due (the caller scopes to the city), each
    claimed first (committed) so that two senders never send one; a failure waits longer
    each time, then is left as failed."""
    if not config.get("KYODO_SMTP_HOST"):
        return SendResult(0, 0, 0)
    now = clock.now()
    sent = failed = 0
    due = list(session.execute(select(Notice.id).where(
        Notice.city_id == city.id, Notice.status == "pending",
        (Notice.next_attempt_at.is_(None)) | (Notice.next_attempt_at <= now))
        .order_by(Notice.id).limit(limit)).scalars())
    for notice_id in due:
        claim: Any = session.execute(update(Notice).where(
            Notice.id == notice_id, Notice.status == "pending")
            .values(status="sending", updated_at=clock.now()))
        claimed = claim.rowcount
        session.commit()
        if not claimed:
            continue  # another sender has it
        notice = session.get(Notice, notice_id)
        assert notice is not None
        notice.attempts += 1
        try:
            message = message_of(notice, city, config["KYODO_MAIL_FROM"])
            attach_record(session, notice, message)
        except (ValueError, TypeError) as exc:  # this mail cannot be written: no retry helps
            notice.last_error = f"メールを作れません（宛先の形式など）: {exc}"[:2000]
            notice.status = "failed"
            failed += 1
            session.commit()
            continue
        try:
            _smtp_send(config, message)
        except Exception as exc:  # noqa: BLE001 - this mail's failure, never the run's
            if not isinstance(exc, (OSError, smtplib.SMTPException)):
                log.exception("sending notice %s failed", notice.id)
            notice.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if notice.attempts >= MAX_ATTEMPTS:
                notice.status = "failed"
            else:
                notice.status = "pending"
                notice.next_attempt_at = clock.now() + backoff(notice.attempts)
            failed += 1
        else:
            notice.status, notice.sent_at, notice.last_error = "sent", clock.now(), ""
            sent += 1
        session.commit()
    waiting = session.execute(select(func.count()).select_from(Notice).where(
        Notice.city_id == city.id, Notice.status == "pending")).scalar_one()
    return SendResult(sent, failed, waiting)


def _smtp_send(config: Mapping[str, Any], message: EmailMessage) -> None:
    with smtplib.SMTP(config["KYODO_SMTP_HOST"], config["KYODO_SMTP_PORT"], timeout=20) as smtp:
        if config.get("KYODO_SMTP_STARTTLS"):
            smtp.starttls()
        if config.get("KYODO_SMTP_USER"):
            smtp.login(config["KYODO_SMTP_USER"], config.get("KYODO_SMTP_PASSWORD", ""))
        smtp.send_message(message)


@dataclass(frozen=True)
class CityFailure:
    """A city whose scan failed this run: its name, the kind of notice, and why."""

    city: str
    kind: str
    reason: str

    def __str__(self) -> str:
        what = f"「{NOTICE_KINDS[self.kind]}」の" if self.kind in NOTICE_KINDS else ""
        return gettext("%(city)s: %(what)s通知メールを作成できませんでした（%(reason)s）", city=self.city, what=what, reason=self.reason)


@dataclass(frozen=True)
class NoticeRun:
    written: int
    sent: int
    failed: int
    waiting: int
    failures: tuple[CityFailure, ...]


def run_notices(app: Any, collect_today: bool = True) -> NoticeRun:
    """The scheduled job, city by city: each city's reminders written in a transaction of its
    own and its outbox sent, in its own scope. A city that fails is logged, kept in its job
    status (shown in the outbox and /healthz) and skipped; the other cities go on."""
    from ..extensions import db

    session = db.session
    today = clock.today()
    written = sent = failed = waiting = 0
    failures: list[CityFailure] = []
    cities = [(c.id, c.name) for c in session.execute(select(City).order_by(City.id)).scalars()]
    session.rollback()
    for city_id, name in cities:
        with tenancy.scoped_to(city_id):
            city = session.get(City, city_id)
            if city is None:  # removed meanwhile
                continue
            try:
                count = 0
                if collect_today:
                    with write_intent():  # SQLite: this city's scan holds the write lock
                        _lock_city_scan(session, city_id)
                        count = collect_city(session, city, today)
                        session.commit()
                result = send_pending(session, city, app.config)
            except Exception as exc:  # noqa: BLE001 - this city's failure stops no other
                session.rollback()
                failure = exc if isinstance(exc, ScanFailed) else ScanFailed("", exc)
                log.error("notice scan failed for city %s (%s), %s: %s", city_id, name,
                          failure.kind or "save", failure.reason)
                failures.append(CityFailure(name, failure.kind, failure.reason))
                _record_status(session, city_id, failure)
                continue
            written += count
            sent, failed, waiting = sent + result.sent, failed + result.failed, \
                waiting + result.waiting
            _record_status(session, city_id, None)
    return NoticeRun(written, sent, failed, waiting, tuple(failures))


#: The advisory-lock namespace of a city's notice scan (PostgreSQL).
SCAN_LOCK = 0x6B796F64  # "kyod"


def _lock_city_scan(session: Session, city_id: int) -> None:
    """Two scans started at the same moment (two machines' workers, cron beside a worker)
    take a city one after the other: the second finds what the first wrote and writes
    nothing. PostgreSQL: a transaction-scoped advisory lock; SQLite: the write lock taken at
    BEGIN IMMEDIATE."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:space, :city)"),
                        {"space": SCAN_LOCK, "city": city_id})


def _record_status(session: Session, city_id: int, failure: ScanFailed | None) -> None:
    """Keep how this city's scan went (its own short transaction)."""
    status = session.execute(select(JobStatus).where(
        JobStatus.city_id == city_id, JobStatus.job == "notices")).scalar_one_or_none()
    if status is None:
        status = JobStatus(city_id=city_id, job="notices")
        session.add(status)
    if failure is None:
        status.succeeded_at, status.failed_step, status.error = clock.now(), "", ""
    else:
        status.failed_at, status.failed_step = clock.now(), failure.kind
        status.error = failure.reason[:2000]
    try:
        session.commit()
    except IntegrityError:  # another scan wrote it at the same moment: theirs stands
        session.rollback()


def failing_cities(session: Session) -> list[JobStatus]:
    """The current city's last notice scan, when it failed, and its own mail text that
    failed at the scan (the outbox shows both)."""
    return list(session.execute(select(JobStatus).where(
        JobStatus.job.in_(("notices", "notice_texts")), JobStatus.error != "")
        .order_by(JobStatus.job)).scalars())


def failing_scans(session: Session) -> int:
    """How many cities' last notice scan failed: a count for /healthz, which names none
    (read without a city's scope, as no row leaves this function)."""
    return int(session.execute(select(func.count()).select_from(JobStatus).where(
        JobStatus.job == "notices", JobStatus.error != "")
        .execution_options(**{tenancy.SKIP: True})).scalar_one())


def retryable(notice: Notice) -> bool:
    """Failed, stuck, or waiting after a failed attempt: never sent, and not being sent now
    (a row a sender has just claimed put back would go twice)."""
    return notice.status == "failed" or is_stuck(notice) or (
        notice.status == "pending" and notice.attempts > 0)


def retry(session: Session, notice: Notice) -> None:
    """Put a retryable row back in the queue, to go at the next send."""
    if not retryable(notice):
        raise ValidationFailed(gettext("送信済みのメールや送信中のメールは再送できません。"))
    notice.status, notice.next_attempt_at = "pending", None
    session.flush()


def is_stuck(notice: Notice) -> bool:
    """Claimed for sending long ago and never marked: it may or may not have gone."""
    return notice.status == "sending" and notice.updated_at is not None and \
        clock.now() - clock.to_local(notice.updated_at) > STALE_SENDING
