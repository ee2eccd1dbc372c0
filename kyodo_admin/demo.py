"""Demo data for the five seed cities (``kyodo demo``). Loading twice changes nothing.

Every record is looked up by a natural key before it is created, and every
date is fixed, so the data set is the same on every machine and every run.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from .documents.wareki import nendo
from .models import (
    Agreement,
    City,
    CollaborationType,
    CompletionReport,
    CostShare,
    Council,
    CouncilMember,
    Criterion,
    Department,
    Evaluation,
    Indicator,
    Meeting,
    Organization,
    Project,
    ProjectPlan,
    ProjectYear,
    Proposal,
    Review,
    ReviewScore,
    Role,
    RoleShare,
    User,
)
from .services.programme import rule_for
from .services.users import DEMO_PASSWORD, hash_password, verify_password
from .sessions import Session
from .shipped import shipped
from .tenancy import scoped_to

D = dt.date


def corporate_number(base12: str) -> str:
    """A 法人番号 with its check digit for a 12-digit base (demo data only)."""
    total = sum(int(d) * (2 if n % 2 == 0 else 1) for n, d in enumerate(reversed(base12), start=1))
    return f"{9 - total % 9}{base12}"


CITIES: list[dict[str, Any]] = [
    {
        "slug": "kamakura", "name": "鎌倉市", "head_title": "鎌倉市長",
        "coordinating_section": "市民活動部 地域のつながり推進課",
        "departments": ["市民活動部 地域のつながり推進課", "健康福祉部 高齢者いきいき課",
                        "環境部 環境政策課", "こどもみらい部 青少年課", "総務部 総務課"],
        "collaboration_types": ["協働負担事業", "協働委託事業", "協働事業協力", "その他"],
        "criteria": [
            ("公益性", "広く市民の利益につながるか"),
            ("新たな公共サービス", "新たな公共サービスとなり得るか"),
            ("継続性", "事業として継続できるか"),
            ("相乗効果", "協働による相乗効果が期待できるか"),
            ("市民参加の領域", "市民参加の領域を広げるか"),
            ("協働の主体の明確さ", "協働の主体は明確か"),
        ],
        "council": "協働エントランス会議",
        # つながる鎌倉エール事業（協働コース）: up to three years, 500,000円 a year.
        "programme": {"max_years": 3, "yearly_cap": 500_000},
        "organizations": ["NPO法人かまくら子育てネット", "鎌倉海岸クリーンアップの会",
                          "NPO法人鎌倉みどりの学校", "腰越地区自治会連合会"],
    },
    {
        "slug": "saitama", "name": "埼玉県", "head_title": "埼玉県知事",
        "coordinating_section": "県民生活部 共助社会づくり課",
        "departments": ["県民生活部 共助社会づくり課", "福祉部 地域包括ケア課",
                        "環境部 みどり自然課", "教育局 生涯学習推進課"],
        "collaboration_types": ["政策立案・事業企画等への参画", "情報交換・意見交換", "委託",
                                "事業共催", "事業協力", "補助"],
        "criteria": [
            ("協働の必要性", "協働で取り組む必要があるか"),
            ("双方の特性の活用", "それぞれの強みを生かせるか"),
            ("対等な関係", "対等な立場で進められるか"),
            ("役割・費用・責任の明確さ", "役割分担・費用分担・責任の所在が明確か"),
            ("活動実績", "法人格の有無ではなく活動と実績で判断する"),
        ],
        "council": "協働事業選定委員会",
        "organizations": ["NPO法人さいたま環境ネットワーク", "NPO法人彩の国子ども支援センター",
                          "見沼たんぼ保全ボランティア", "公益財団法人埼玉文化振興会"],
    },
    {
        "slug": "hachioji", "name": "八王子市", "head_title": "八王子市長",
        "coordinating_section": "市民活動推進部 協働推進課",
        "departments": ["市民活動推進部 協働推進課", "福祉部 高齢者いきいき課",
                        "環境部 環境政策課", "産業振興部 観光課"],
        "collaboration_types": ["委託", "共催", "後援", "情報交換・情報提供", "政策提案",
                                "NPO推進事業"],
        "criteria": [
            ("事業遂行能力", "事業を確実に遂行できるか"),
            ("将来性", "団体と事業の将来性"),
            ("活動実績", "これまでの活動実績"),
            ("運営状況", "団体の運営状況"),
        ],
        "council": "NPO推進事業選定委員会",
        "organizations": ["NPO法人八王子まちづくりサポート", "高尾山の自然を守る会",
                          "NPO法人はちおうじ介護ネット", "八王子市町会自治会連合会"],
    },
    {
        "slug": "koganei", "name": "小金井市", "head_title": "小金井市長",
        "coordinating_section": "企画財政部 企画政策課 市民協働推進担当",
        "departments": ["企画財政部 企画政策課", "福祉保健部 地域福祉課", "環境部 環境政策課",
                        "生涯学習部 生涯学習課"],
        "collaboration_types": ["後援", "共催", "委託", "補助", "実行委員会", "その他"],
        "criteria": [
            ("公益性", "自発的で公益性のある活動か", "check"),
            ("非営利性", "営利を目的としないか", "check"),
            ("政治・宗教活動でないこと", "政治活動・宗教活動を目的としないか", "check"),
            ("公序良俗", "公序良俗に反しないか", "check"),
            ("目的と目標の共有", "「何のために」と「いつまでにどれだけ」を共有できるか"),
        ],
        "council": "協働事業提案審査会",
        "organizations": ["NPO法人こがねい市民ネット", "野川の自然を守る会",
                          "NPO法人小金井子育て応援団", "東京学芸大学地域連携センター"],
    },
    {
        "slug": "kunitachi", "name": "国立市", "head_title": "国立市長",
        "coordinating_section": "政策経営部 市民協働推進課",
        "departments": ["政策経営部 市民協働推進課", "健康福祉部 福祉総務課",
                        "生活環境部 環境政策課", "教育委員会 生涯学習課"],
        "collaboration_types": ["委託", "補助", "事業協力（経費負担）", "事業協力（人的支援）",
                                "事業協力（備品貸与）", "事業協力（助言）", "共催・後援・実行委員会"],
        "criteria": [
            ("参加機会の平等", "誰にでも参加の機会が開かれているか"),
            ("課題と目標の共有", "課題と目標を共有できるか"),
            ("役割と責任の明確さ", "役割と責任が明確か"),
            ("情報公開", "各段階で情報を公開できるか"),
            ("評価と見直し", "評価と見直しの仕組みがあるか"),
        ],
        "council": "協働事業公開審査会",
        "organizations": ["NPO法人くにたち地域ケア", "大学通り緑化の会",
                          "NPO法人国立まちなか文化", "株式会社くにたち商店街サービス"],
    },
]

#: (state, title suffix) — one proposal per state, so every list has each state.
PROPOSAL_SCENARIOS = [
    ("draft", "地域の居場所づくり事業（作成中）"),
    ("submitted", "子ども食堂ネットワーク事業"),
    ("step1_review", "高齢者の見守り協働事業"),
    ("returned", "空き家活用による交流拠点事業"),
    ("rejected", "イベント物販支援事業"),
    ("passed", "防災ボランティア育成事業"),
    ("step2_review", "環境学習プログラム事業"),
    ("adopted", "子育て支援情報発信事業"),
    ("not_adopted", "観光ガイド養成事業"),
]

DEMO_USERS = ("admin", "staff", "council")
DEMO_LOGINS = ["admin"] + [f"{c['slug']}-{r}" for c in CITIES for r in DEMO_USERS]


class _Loader:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.created = 0

    def get_or_create(self, model: type, defaults: dict[str, Any] | None = None,
                      **keys: Any) -> Any:
        obj = self.session.execute(select(model).filter_by(**keys)).scalar_one_or_none()
        if obj is None:
            obj = model(**keys, **(defaults or {}))
            self.session.add(obj)
            self.session.flush()
            self.created += 1
        return obj

    def user(self, username: str, role: Role, city: City | None, display_name: str) -> User:
        user = self.get_or_create(User, {"role": role.value, "display_name": display_name,
                                         "city_id": city.id if city else None},
                                  username=username)
        if not verify_password(user.password_hash, DEMO_PASSWORD):
            user.password_hash = hash_password(DEMO_PASSWORD)
        return user

    # ------------------------------------------------------------------

    def city(self, spec: dict[str, Any], index: int) -> None:
        city = self.get_or_create(City, {"name": spec["name"], "head_title": spec["head_title"],
                                         "coordinating_section": spec["coordinating_section"],
                                         "settings": dict(spec.get("programme", {}))},
                                  slug=spec["slug"])
        with scoped_to(city.id):
            self._city_records(city, spec, index)

    def _city_records(self, city: City, spec: dict[str, Any], index: int) -> None:
        slug = spec["slug"]
        departments = [self.get_or_create(Department, name=name) for name in spec["departments"]]
        self.user(f"{slug}-admin", Role.CITY_ADMIN, city, f"{city.name} 管理者")
        self.user(f"{slug}-staff", Role.STAFF, city, f"{city.name} 職員")
        council_user = self.user(f"{slug}-council", Role.COUNCIL_MEMBER, city,
                                 f"{city.name} 会議構成員")
        types = [self.get_or_create(CollaborationType, {"sort_order": i}, name=name)
                 for i, name in enumerate(spec["collaboration_types"])]
        # (name, description[, kind]): Koganei's eligibility checks are 適否, the rest points.
        criteria = [self.get_or_create(Criterion, {"description": desc, "sort_order": i,
                                                   "kind": kind[0] if kind else "score"},
                                       name=name)
                    for i, (name, desc, *kind) in enumerate(spec["criteria"])]
        organizations = []
        for i, name in enumerate(spec["organizations"]):
            is_npo = name.startswith("NPO法人")
            organizations.append(self.get_or_create(Organization, {
                "org_type": "npo" if is_npo else ("company" if name.startswith("株式会社")
                                                  else "voluntary"),
                "representative": ["山田 花子", "佐藤 一郎", "鈴木 和子", "田中 誠"][i],
                "postal_code": f"{180 + index:03d}-000{i + 1}",
                "address": f"{city.name}本町{i + 1}-{index + 2}-3",
                "phone": f"0{4 + index}-1234-56{i}{index}",
                "email": f"info{i}@{slug}-demo.example.jp",
                "corporate_number": corporate_number(f"0{index}{i}1050{index}{i}00{i}") if is_npo
                else "",
                "founded_on": D(2001 + i * 3, 4 + i, 1),
                "member_count": 12 + i * 7,
                "activity_fields": "まちづくり\n子どもの健全育成" if i % 2 == 0 else "環境の保全",
                "activity_record": f"{2005 + i}年から{city.name}内で継続して活動。",
            }, name=name))
        council = self.get_or_create(Council, {"description": f"{city.name}の{spec['council']}"},
                                     name=spec["council"])
        members = [
            self.get_or_create(CouncilMember, {"side": "npo", "title": "NPO代表",
                                               "organization_id": organizations[0].id,
                                               "user_id": council_user.id},
                               council_id=council.id, name="高橋 美咲"),
            self.get_or_create(CouncilMember, {"side": "npo", "title": "市民委員"},
                               council_id=council.id, name="伊藤 健"),
            self.get_or_create(CouncilMember, {"side": "city", "title": "財政課長"},
                               council_id=council.id, name="渡辺 直樹"),
            self.get_or_create(CouncilMember, {"side": "city", "title": "企画課長"},
                               council_id=council.id, name="中村 由美"),
            self.get_or_create(CouncilMember, {"side": "department_head", "title": "市民活動部長"},
                               council_id=council.id, name="小林 正"),
        ]
        step1 = self.get_or_create(Meeting, {"step": 1, "held_on": D(2026, 6, 10),
                                             "location": "市役所 第1会議室"},
                                   council_id=council.id, title="令和8年度 第1回会議")
        step2 = self.get_or_create(Meeting, {"step": 2, "held_on": D(2026, 7, 22),
                                             "location": "市役所 第2会議室"},
                                   council_id=council.id, title="令和8年度 第2回会議（決定）")
        self.get_or_create(Meeting, {"step": 1, "held_on": D(2027, 1, 20),
                                     "location": "市民活動センター"},
                           council_id=council.id, title="令和8年度 第3回会議")

        proposals: dict[str, Proposal] = {}
        for i, (state, title) in enumerate(PROPOSAL_SCENARIOS):
            org = organizations[i % len(organizations)]
            budget, needs_budget = 300_000 + i * 150_000, i % 2 == 0
            proposals[state] = self.get_or_create(Proposal, {
                "receipt_number": None if state == "draft" else f"2026-{i:03d}",
                "proposer_type": "staff" if i == 4 else ("joint" if i == 6 else "npo"),
                "organization_id": org.id,
                "department_id": departments[i % len(departments)].id,
                "collaboration_type_id": types[i % len(types)].id,
                "status": state,
                "received_on": None if state == "draft" else D(2026, 4, 1) + dt.timedelta(days=i * 9),
                "needs_budget": needs_budget,
                "budget_amount": budget,
                "summary": f"{org.name}と{city.name}が協働して取り組む{title}の提案です。",
                # the seed basic sheets' budget fields fill needs_budget / budget_amount
                "answers": {"purpose": f"{title}により地域課題を解決する。",
                            "need": "地域の声から必要性が明らかになっている。",
                            "budget_scale": budget,
                            "budget_measure": "必要" if needs_budget else "不要"},
            }, title=f"{title}")
        # A re-proposal answering the advice given to the returned proposal.
        returned = proposals["returned"]
        self.get_or_create(Proposal, {
            "receipt_number": "2026-101", "proposer_type": "npo",
            "organization_id": returned.organization_id, "status": "submitted",
            "received_on": D(2026, 9, 1), "parent_id": returned.id, "budget_amount": 400_000,
            "summary": "前回の助言を踏まえ、対象地域と役割分担を見直して再提案します。",
            "needs_budget": False,
            "answers": {"purpose": "空き家を地域の交流拠点として活用し、見守りの輪を広げる。",
                        "need": "前回の検討で示された助言を受け、対象地域を2地区に絞った。",
                        "budget_scale": 400_000, "budget_measure": "不要"},
        }, title="空き家活用による交流拠点事業（再提案）")

        for state, result, meeting in (("returned", "returned", step1),
                                       ("rejected", "rejected", step1),
                                       ("passed", "passed", step1),
                                       ("adopted", "adopted", step2),
                                       ("not_adopted", "not_adopted", step2)):
            proposal = proposals[state]
            review = self.get_or_create(Review, {
                "result": result, "decided_on": meeting.held_on,
                "reasons": "" if result in ("passed", "adopted")
                else "事業の実施体制と費用分担がまだ明確ではないため。",
                "advice": "" if result in ("passed", "adopted")
                else "担当課と役割分担を話し合い、目標値を具体的にしてください。",
            }, proposal_id=proposal.id, meeting_id=meeting.id, step=meeting.step)
            for member in members[1:4]:
                for criterion in criteria:
                    score = 1 if criterion.kind == "check" else (
                        3 if result in ("passed", "adopted") else 2)
                    self.get_or_create(ReviewScore, {"score": score},
                                       review_id=review.id, criterion_id=criterion.id,
                                       member_id=member.id)

        self._projects(city, proposals["adopted"], departments, types, organizations)

    def _projects(self, city: City, proposal: Proposal, departments: list[Department],
                  types: list[CollaborationType], organizations: list[Organization]) -> None:
        # A project of the last fiscal year: agreed, done, reported and evaluated.
        partner = proposal.organization
        assert partner is not None, "the adopted demo proposal names its organization"
        done = self.get_or_create(Project, {
            "proposal_id": proposal.id, "department_id": departments[1].id,
            "organization_id": proposal.organization_id, "collaboration_type_id": types[0].id,
            "status": "evaluated", "start_date": D(2025, 4, 1), "end_date": D(2026, 3, 31),
            "completed_on": D(2026, 3, 31), "budget_amount": 1_200_000,
            "summary": "子育て世帯に向けた情報をまとめ、冊子とウェブで発信する。",
        }, title="子育て支援情報発信事業")
        purpose = "子育て世帯が必要な支援に迷わずたどり着けるようにする（何のために）。"
        goal = "令和8年3月までに冊子3,000部を配布し、利用者満足度80%を達成する（いつまでにどれだけ）。"
        activities = [{"period": period, "content": content, "owner": owner} for period, content, owner in (
            ("4月", "企画・庁内情報の収集", "共同"), ("6月", "取材・編集", "団体"),
            ("9月", "冊子の発行・ウェブサイト公開", "団体"), ("翌2月", "相談会・振り返り", "共同"))]
        plan = self.get_or_create(ProjectPlan, {
            "purpose": purpose, "target": goal,
            "content": "\n".join(f"{a['period']}　{a['content']}　{a['owner']}" for a in activities),
            "schedule": "4月 企画／6月 取材／9月 冊子発行／翌2月 振り返り",
            # the seed plans' fields fill purpose / target / fiscal_year / content
            "answers": {"objective": purpose, "goal": goal, "fiscal_year_planned": 2025,
                        "activities": activities},
        }, project_id=done.id, fiscal_year=2025)
        for i, (name, unit, target, actual) in enumerate((
                ("冊子配布部数", "部", 3000, 3200), ("相談会参加者数", "人", 200, 150),
                ("利用者満足度", "%", 80, 84))):
            self.get_or_create(Indicator, {"unit": unit, "target_value": target,
                                           "actual_value": actual, "sort_order": i},
                               project_plan_id=plan.id, name=name)
        agreement = self.get_or_create(Agreement, {
            "status": "signed", "start_date": D(2025, 4, 1), "end_date": D(2026, 3, 31),
            "signed_on": D(2025, 4, 1), "city_signatory": f"{city.head_title} 〇〇 〇〇",
            "organization_signatory": f"代表 {partner.representative}",
            "responsibility": "事業の実施に伴う事故の責任は、原因に応じて甲乙協議のうえ負担する。",
        }, project_id=done.id, title="子育て支援情報発信事業に関する協定書")
        for i, (item, city_role, org_role) in enumerate((
                ("企画・編集", "庁内情報の提供、内容の確認", "取材、原稿作成、編集"),
                ("広報", "市の広報紙・窓口での周知", "SNSとウェブサイトでの発信"),
                ("相談会", "会場の確保", "相談員の手配と運営"))):
            self.get_or_create(RoleShare, {"city_role": city_role, "organization_role": org_role,
                                           "sort_order": i},
                               agreement_id=agreement.id, item=item)
        for i, (item, city_amount, org_amount) in enumerate((
                ("印刷製本費", 600_000, 0), ("取材・編集費", 300_000, 150_000),
                ("会場費", 0, 50_000), ("ウェブサイト運営費", 100_000, 0))):
            self.get_or_create(CostShare, {"city_amount": city_amount,
                                           "organization_amount": org_amount, "sort_order": i},
                               agreement_id=agreement.id, item=item)
        report = self.get_or_create(CompletionReport, {
            "due_on": D(2026, 4, 30), "submitted_on": D(2026, 4, 24), "actual_cost": 1_150_000,
            "summary": "冊子を3,200部配布し、満足度は84%だった。相談会は参加者が目標に届かなかった。",
        }, project_id=done.id, fiscal_year=2025)
        for side, evaluator, rating in (("city", departments[1].name, "B"),
                                        ("organization", partner.name, "B"),
                                        ("council", "協働事業の評価検証", "B")):
            self.get_or_create(Evaluation, {
                "project_id": done.id, "evaluator": evaluator, "rating": rating,
                "evaluated_on": D(2026, 5, 20),
                "comment": "おおむね目標を達成した。相談会の周知方法を見直す。",
            }, completion_report_id=report.id, side=side)

        # A project completed this fiscal year whose report is overdue.
        overdue = self.get_or_create(Project, {
            "department_id": departments[2].id, "organization_id": organizations[1].id,
            "collaboration_type_id": types[1 % len(types)].id, "status": "completed",
            "start_date": D(2026, 4, 1), "end_date": D(2026, 9, 30),
            "completed_on": D(2026, 9, 30), "budget_amount": 500_000,
            "summary": "地域の清掃と環境学習を組み合わせた取組。",
        }, title="地域環境美化協働事業")
        self.get_or_create(CompletionReport, {"due_on": D(2026, 10, 30)},
                           project_id=overdue.id, fiscal_year=2026)
        # A project in planning, its agreement drafted but not signed yet.
        planning = self.get_or_create(Project, {
            "department_id": departments[0].id, "organization_id": organizations[2].id,
            "collaboration_type_id": types[0].id, "status": "planning",
            "start_date": D(2027, 4, 1), "end_date": D(2028, 3, 31), "budget_amount": 800_000,
        }, title="防災ボランティア育成協働事業")
        draft = self.get_or_create(Agreement, {
            "status": "draft", "start_date": D(2027, 4, 1), "end_date": D(2028, 3, 31),
            "city_signatory": f"{city.head_title} 〇〇 〇〇",
            "responsibility": "事業の実施に伴う事故の責任は、原因に応じて甲乙協議のうえ負担する。",
        }, project_id=planning.id, title="防災ボランティア育成協働事業に関する協定書（案）")
        self.get_or_create(RoleShare, {"city_role": "訓練会場の確保、防災情報の提供",
                                       "organization_role": "講座の企画と運営", "sort_order": 0},
                           agreement_id=draft.id, item="防災講座")
        # …and its plan being drafted with it (a plan is edited until the project completes).
        steps = [{"period": period, "content": content, "owner": owner} for period, content, owner
                 in (("5月", "講座の企画・講師の依頼", "団体"), ("9月", "防災講座（全4回）", "共同"),
                     ("翌1月", "避難所運営訓練", "共同"))]
        self.get_or_create(ProjectPlan, {
            "purpose": "災害時に助け合える地域の担い手を育てる。",
            "target": "防災ボランティアの登録者 50人",
            "content": "\n".join(f"{a['period']}　{a['content']}　{a['owner']}" for a in steps),
            "answers": {"objective": "災害時に助け合える地域の担い手を育てる。",
                        "goal": "防災ボランティアの登録者 50人", "fiscal_year_planned": 2027,
                        "activities": steps},
        }, project_id=planning.id, fiscal_year=2027)
        if rule_for(city).max_years >= 2:
            self._projects_over_years(city, departments, types, organizations)

    def _year_of(self, project: Project, number: int, fiscal_year: int) -> ProjectYear:
        return self.get_or_create(ProjectYear, {"city_id": project.city_id,
                                                "fiscal_year": fiscal_year},
                                  project_id=project.id, year_number=number)

    def _agreed_year(self, city: City, project: Project, partner: Organization,
                     fiscal_year: int, city_amount: int, organization_amount: int) -> None:
        """A year's signed agreement (its role and cost rows), plan with an indicator."""
        start, end = D(fiscal_year, 4, 1), D(fiscal_year + 1, 3, 31)
        agreement = self.get_or_create(Agreement, {
            "status": "signed", "start_date": start, "end_date": end, "signed_on": start,
            "fiscal_year": fiscal_year, "city_signatory": f"{city.head_title} 〇〇 〇〇",
            "organization_signatory": f"代表 {partner.representative}",
            "responsibility": "事業の実施に伴う事故の責任は、原因に応じて甲乙協議のうえ負担する。",
        }, project_id=project.id, title=f"{project.title}に関する協定書（{nendo(fiscal_year)}）")
        self.get_or_create(RoleShare, {"city_role": "会場の確保と広報",
                                       "organization_role": "活動の企画と運営", "sort_order": 0},
                           agreement_id=agreement.id, item="活動")
        self.get_or_create(CostShare, {"city_amount": city_amount,
                                       "organization_amount": organization_amount,
                                       "sort_order": 0}, agreement_id=agreement.id, item="事業費")
        purpose, goal = "地域で高齢者を見守る担い手を増やす。", "見守り協力員 30人"
        steps = [{"period": period, "content": content, "owner": owner} for period, content, owner
                 in (("5月", "協力員の募集と研修", "団体"), ("7月〜翌2月", "見守り訪問", "共同"))]
        plan = self.get_or_create(ProjectPlan, {
            "purpose": purpose, "target": goal,
            "content": "\n".join(f"{a['period']}　{a['content']}　{a['owner']}" for a in steps),
            "answers": {"objective": purpose, "goal": goal, "fiscal_year_planned": fiscal_year,
                        "activities": steps},
        }, project_id=project.id, fiscal_year=fiscal_year)
        self.get_or_create(Indicator, {"unit": "人", "target_value": 30, "sort_order": 0},
                           project_plan_id=plan.id, name="見守り協力員の登録者数")

    def _reported_year(self, project: Project, partner: Organization, department: Department,
                       fiscal_year: int) -> None:
        """A year completed on 31 March, reported in April and evaluated by the three sides."""
        report = self.get_or_create(CompletionReport, {
            "due_on": D(fiscal_year + 1, 4, 30), "submitted_on": D(fiscal_year + 1, 4, 20),
            "actual_cost": 600_000, "summary": "見守り協力員を28人登録し、訪問は延べ400回だった。",
        }, project_id=project.id, fiscal_year=fiscal_year)
        for side, evaluator in (("city", department.name), ("organization", partner.name),
                                ("council", "協働事業の評価検証")):
            self.get_or_create(Evaluation, {
                "project_id": project.id, "evaluator": evaluator, "rating": "B",
                "evaluated_on": D(fiscal_year + 1, 5, 15),
                "comment": "おおむね目標を達成した。",
            }, completion_report_id=report.id, side=side)

    def _continuation_review(self, city: City, year: ProjectYear) -> None:
        """The council's continuation review of a year at its own sitting: scored by the
        members who may (the project's organization's member is recused), its result the
        year's decision."""
        council = self.session.execute(select(Council).where(Council.city_id == city.id)
                                       .order_by(Council.id)).scalars().first()
        if council is None:
            return
        meeting = self.get_or_create(Meeting, {"step": 1, "held_on": year.decided_on,
                                               "location": "市役所 第1会議室"},
                                     council_id=council.id, title="令和8年度 継続審査会")
        review = self.get_or_create(Review, {
            "result": year.decision, "decided_on": year.decided_on,
            "reasons": year.decision_reasons, "advice": year.decision_conditions,
        }, project_year_id=year.id, meeting_id=meeting.id, step=1)
        criteria = self.session.execute(select(Criterion).where(
            Criterion.city_id == city.id, Criterion.used_for != "proposal")).scalars().all()
        for member in council.members:
            if member.side == "department_head" or \
                    member.organization_id == year.project.organization_id:
                continue
            for criterion in criteria:
                self.get_or_create(ReviewScore, {"score": 1 if criterion.kind == "check" else 4},
                                   review_id=review.id, criterion_id=criterion.id,
                                   member_id=member.id)

    def _projects_over_years(self, city: City, departments: list[Department],
                             types: list[CollaborationType],
                             organizations: list[Organization]) -> None:
        """Where the programme runs a project over several years: one in its second year
        (the first reported, evaluated and continued), one ended after its first."""
        partner = organizations[0]
        going = self.get_or_create(Project, {
            "department_id": departments[1].id, "organization_id": partner.id,
            "collaboration_type_id": types[0].id, "status": "running",
            "start_date": D(2025, 4, 1), "end_date": D(2027, 3, 31),
            "budget_amount": 900_000, "summary": "地域の見守り協力員を育て、訪問を続ける3か年の事業。",
        }, title="高齢者の見守り協働事業（3か年）")
        first = self._year_of(going, 1, 2025)
        if not first.decision:
            first.completed_on, first.decision = D(2026, 3, 31), "continue"
            first.decided_on = D(2026, 5, 25)
            first.decision_reasons = "見守り協力員が順調に増え、地域の評価も高いため。"
        self._year_of(going, 2, 2026)
        for year in (2025, 2026):
            self._agreed_year(city, going, partner, year, 450_000, 150_000)
        self._reported_year(going, partner, departments[1], 2025)
        self._continuation_review(city, first)

        ended = self.get_or_create(Project, {
            "department_id": departments[2].id, "organization_id": organizations[1].id,
            "collaboration_type_id": types[0].id, "status": "closed",
            "start_date": D(2025, 4, 1), "end_date": D(2026, 3, 31),
            "completed_on": D(2026, 3, 31), "budget_amount": 600_000,
            "summary": "海岸の清掃と環境学習。1年度で終了し、団体の自主事業として続く。",
        }, title="海辺の清掃と学習の協働事業")
        only = self._year_of(ended, 1, 2025)
        if not only.decision:
            only.completed_on, only.decision = D(2026, 3, 31), "end"
            only.decided_on = D(2026, 5, 25)
            only.decision_reasons = "団体の自主事業として続けられる体制が整ったため。"
        self._agreed_year(city, ended, organizations[1], 2025, 400_000, 200_000)
        self._reported_year(ended, organizations[1], departments[2], 2025)


FORMS_DIR = shipped("forms")


def _attach_forms(session: Session, loader: _Loader) -> None:
    """Import each seed city's form definitions and fill demo records against them."""
    from .services.form_definitions import current_definition, import_files, record_models

    paths = sorted(FORMS_DIR.glob("*/*.yaml"))
    results = import_files(session, paths)
    loader.created += sum(1 for _path, r in results if r.outcome == "created")
    for city in session.execute(select(City)).scalars():
        model: Any
        for kind, model in record_models().items():
            definition = current_definition(session, city.id, kind)
            if definition is None:
                continue
            rows = session.execute(select(model).where(
                model.city_id == city.id, model.form_definition_id.is_(None))).scalars()
            for row in rows:
                row.form_definition = definition
                row.answers = completed_answers(definition.schema, row.answers or {})


def completed_answers(schema: dict[str, Any], answers: dict[str, Any]) -> dict[str, Any]:
    """The demo's answers with every shown field answered (a plausible text of
    ``demo_answers`` or its type's example), so a demo record opens, saves and prints as a
    filled-in form would. Fields that fill a record column keep what the demo set."""
    from .demo_answers import TEXTS
    from .formschema.definition import fields_of
    from .formschema.forms import is_visible
    from .formschema.types import REGISTRY

    completed = dict(answers)
    by_name = {f["name"]: f for f in fields_of(schema)}
    for field in fields_of(schema):
        if not REGISTRY[field["type"]].stores_upload and field["name"] not in completed \
                and "fills" not in field and is_visible(field, completed, by_name):
            completed[field["name"]] = TEXTS.get(field["name"],
                                                 REGISTRY[field["type"]].example(field))
    return completed


def load_demo(session: Session) -> int:
    """Load the demo data; returns how many records were created (0 on a second run)."""
    loader = _Loader(session)
    loader.user("admin", Role.SYSTEM_ADMIN, None, "システム管理者")
    for index, spec in enumerate(CITIES):
        loader.city(spec, index)
    session.flush()
    _attach_forms(session, loader)
    from .services.documents import install_shipped_templates

    for city in session.execute(select(City)).scalars():
        loader.created += install_shipped_templates(session, city)
    session.flush()
    return loader.created
