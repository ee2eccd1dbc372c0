"""After 送信: the proposer's mail (receipt number, the basic sheet as received, the status
page's link) and the status page — its stages in plain words, nothing a council wrote, the
link's end after the decision; a guessed, expired or other city's token; a new link asked
for by receipt number and address (the same answer either way, once an hour)."""

from __future__ import annotations

import datetime as dt
import re

import time_machine
from sqlalchemy import func, select

from kyodo_admin import clock
from kyodo_admin.extensions import db
from kyodo_admin.models import Notice, Proposal
from kyodo_admin.services.notices import send_pending
from kyodo_admin.services.proposer_status import LINK_DAYS

from ..conftest import csrf_from
from ..factories import CityFactory, ReviewFactory
from ..mail import smtp_server
from .test_entrance import city, valid  # noqa: F401 - the entrance's city and its form

COUNCIL_TEXT = "実施体制が明確でないため（委員A: 3点）"


def send(client) -> tuple[Proposal, str]:
    """A proposal sent at the entrance; it and the link of its mail."""
    client.post("/entrance/minato/", data=valid(client))
    proposal = db.session.execute(select(Proposal)).scalar_one()
    [notice] = db.session.execute(select(Notice).where(Notice.kind == "proposal_received")) \
        .scalars().all()
    assert notice.recipient == "info@kawa.example.jp"
    link = re.search(r"https?://\S+/entrance/minato/status/\S+", notice.body).group(0)
    return proposal, link


def path_of(link: str) -> str:
    return link.split("localhost:5000", 1)[-1] if "localhost:5000" in link else \
        "/" + link.split("/", 3)[3]


def notices(kind: str) -> int:
    return db.session.execute(select(func.count()).select_from(Notice).where(
        Notice.kind == kind)).scalar_one()


def test_the_mail_says_the_receipt_and_leads_to_the_stage_in_plain_words(client, city):  # noqa: F811
    proposal, link = send(client)
    notice = db.session.execute(select(Notice)).scalar_one()
    assert proposal.receipt_number in notice.subject and proposal.receipt_number in notice.body
    assert "川辺の清掃と自然観察" in notice.body and "基本シートを添付" in notice.body
    assert proposal.status_token_hash and link.split("/")[-1] not in str(proposal.status_token_hash)

    page = client.get(path_of(link))
    assert page.status_code == 200 and page.headers["Cache-Control"] == "private, no-store"
    html = page.get_data(as_text=True)
    assert "川辺の清掃と自然観察" in html and proposal.receipt_number in html
    assert re.search(r'id="stage">受付済<', html)

    proposal.status = "step1_review"
    db.session.commit()
    assert re.search(r'id="stage">検討中<', client.get(path_of(link)).get_data(as_text=True))

    # Decided: the stage says so, never what the council wrote.
    decided = dt.date(2026, 7, 1)
    ReviewFactory(city=city, proposal=proposal, step=1, result="rejected", reasons=COUNCIL_TEXT,
                  advice="体制を見直してください", decided_on=decided)
    proposal.status = "rejected"
    db.session.commit()
    with time_machine.travel(dt.datetime.combine(decided + dt.timedelta(days=LINK_DAYS),
                                                 dt.time(10), tzinfo=clock.zone()), tick=False):
        html = client.get(path_of(link)).get_data(as_text=True)
        assert re.search(r'id="stage">結果のお知らせ済<', html)
        assert "実施体制" not in html and "委員" not in html and "体制を見直して" not in html
    # The day after the link's last day it shows nothing of the proposal.
    with time_machine.travel(dt.datetime.combine(decided + dt.timedelta(days=LINK_DAYS + 1),
                                                 dt.time(10), tzinfo=clock.zone()), tick=False):
        gone = client.get(path_of(link))
        assert gone.status_code == 404
        text = gone.get_data(as_text=True)
        assert "このリンクは使えません" in text and "川辺の清掃" not in text


def test_a_guessed_or_another_citys_token_finds_nothing(client, city):  # noqa: F811
    _proposal, link = send(client)
    token = link.rsplit("/", 1)[1]
    for path in (f"/entrance/minato/status/{token[:-1]}x", "/entrance/minato/status/" + "A" * 43,
                 "/entrance/minato/status/" + "x" * 500):
        response = client.get(path)
        assert response.status_code == 404 and "川辺の清掃" not in response.get_data(as_text=True)
    CityFactory(slug="kita", name="きた市")
    response = client.get(f"/entrance/kita/status/{token}")  # the right token, another city
    assert response.status_code == 404 and "川辺の清掃" not in response.get_data(as_text=True)


def ask(client, receipt: str, address: str):
    html = client.get("/entrance/minato/status").get_data(as_text=True)
    return client.post("/entrance/minato/status", data={
        "csrf_token": csrf_from(html), "receipt_number": receipt, "email": address})


def test_a_new_link_is_sent_only_to_the_proposals_address_once_an_hour(client, city):  # noqa: F811
    proposal, old_link = send(client)
    receipt = proposal.receipt_number
    answers = [ask(client, receipt, "someone@else.example.jp"),  # never proposed
               ask(client, "2099-999", "info@kawa.example.jp")]   # no such receipt
    assert {r.status_code for r in answers} == {200}
    texts = {re.search(r'id="status-asked">(.*?)</p>', r.get_data(as_text=True)).group(1)
             for r in answers}
    assert notices("status_link") == 0

    right = ask(client, receipt, "INFO@kawa.example.jp")  # as typed, in capitals
    assert re.search(r'id="status-asked">(.*?)</p>', right.get_data(as_text=True)).group(1) in texts
    [notice] = db.session.execute(select(Notice).where(Notice.kind == "status_link")).scalars().all()
    assert notice.recipient == "info@kawa.example.jp"
    new_link = re.search(r"https?://\S+/status/\S+", notice.body).group(0)
    assert client.get(path_of(new_link)).status_code == 200
    assert client.get(path_of(old_link)).status_code == 404  # replaced

    ask(client, receipt, "info@kawa.example.jp")  # within the hour: nothing more
    assert notices("status_link") == 1
    with time_machine.travel(clock.now() + dt.timedelta(hours=1, minutes=1), tick=False):
        ask(client, receipt, "info@kawa.example.jp")
        assert notices("status_link") == 2

    bad = ask(client, "", "not an address")
    assert bad.status_code == 400 and "メールアドレスの形式で" in bad.get_data(as_text=True)


def test_the_mail_goes_with_the_basic_sheet_as_received(client, city):  # noqa: F811
    from kyodo_admin.services.documents import add_template

    from ..documents.bad_templates import clean_template

    template = add_template(db.session, city, "basic_sheet", "基本シート.docx",
                            clean_template("{{ proposal.title }}／{{ answers.purpose }}"))
    template.is_active = True
    db.session.commit()
    send(client)
    with smtp_server() as inbox:
        result = send_pending(db.session, city, inbox.config)
    assert result.sent == 1
    [message] = inbox.messages
    assert message["To"].addresses[0].addr_spec == "info@kawa.example.jp"
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename().startswith("基本シート（提案書）_")
    assert attachment.get_content_type() in (
        "application/pdf", "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
