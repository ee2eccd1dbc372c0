"""Plausible answers for the demo's forms, by field name (the seed cities share many names).

A demo record answers every field of its form that is shown: from here when the name is
known, else by its type's example. Texts are short, as a proposer would write them, so
that every demo document looks like a filed form.
"""

from __future__ import annotations

from typing import Any

TEXTS: dict[str, Any] = {
    # basic sheet (提案書)
    "purpose": "子育て中の家庭が地域で孤立しないよう、身近な居場所と情報を届ける。",
    "need": "市の子育て世帯アンケートで「相談先がわからない」との回答が4割を超えた。",
    "plan": "毎月2回の交流会と、子育て支援情報の冊子・ウェブでの発信を行う。",
    "target_group": "市内の未就学児の保護者",
    "budget_reason": "冊子の印刷製本費と会場使用料に充てるため。",
    "independence": "会費と寄付で運営し、市の負担がなくなった後も活動を続ける体制がある。",
    "continuity": "3年目以降は地域の子育てサークルと運営を分担し、自主事業として継続する。",
    "profile": "平成22年設立。子育て支援の講座と交流会を年間40回開催している。",
    "core_work": "子育て中の保護者向けの交流会と相談事業。",
    "contact_person": "山田 花子",
    "public_benefit": "子育て世帯全体に開かれた取組で、広く市民の利益につながる。",
    "new_public_service": "行政の窓口が閉じている時間帯に、当事者目線の相談の場をつくる。",
    "synergy": "市の広報力と団体の当事者ネットワークを組み合わせ、情報が確実に届く。",
    "strengths": "市は制度と施設を、団体は当事者とのつながりと柔軟な運営を生かす。",
    "equal_footing": "月1回の定例会議で進捗と課題を共有し、役割を文書で確認する。",
    "collaboration_effect": "単独では届かなかった世帯に、市と団体の双方から情報が届く。",
    "participation": "ボランティアとして子育て経験者が運営に加わる。",
    "advice_detail": "他市の同様の取組の事例と、効果測定の方法について助言がほしい。",
    "staff_support_detail": "交流会の初回に担当課職員が制度説明を行う。",
    "other_form": "会場の共同使用",
    "schedule": [{"period": "4月〜6月", "activity": "企画・関係機関との調整"},
                 {"period": "7月〜翌2月", "activity": "交流会の開催（毎月2回）"},
                 {"period": "翌3月", "activity": "振り返りと報告書の作成"}],
    "budget_lines": [{"item": "印刷製本費", "amount": 600_000, "note": "冊子3,000部"},
                     {"item": "会場使用料", "amount": 120_000, "note": "月2回×12か月"},
                     {"item": "講師謝礼", "amount": 80_000, "note": "4回分"}],
    "equipment": [{"name": "プロジェクター", "quantity": 1, "period": "7月〜翌2月"},
                  {"name": "折りたたみ机", "quantity": 6, "period": "7月〜翌2月"}],
    # review sheet (審査票)
    "score_comment": "地域の課題が明確で、役割分担も具体的である。",
    "opinion": "目標値を数値で示し、中間時点で振り返る機会を設けること。",
    "hearing_notes": "団体から実施体制と収支計画の説明を受けた。質疑は3件。",
    "conditions": "中間報告を9月末までに提出すること。",
    "selection_criteria": "公益性、協働の必要性、実現性、継続性の4項目で評価する。",
    "selection_reason": "協働の効果が最も高く、実施体制も確実であるため。",
    # project plan (事業計画書)
    "objective": "子育て世帯が必要な支援に迷わずたどり着けるようにする。",
    "goal": "令和8年度末までに冊子3,000部を配布し、利用者満足度80%を達成する。",
    "shared_purpose": "子育て世帯が必要な支援に迷わずたどり着けるようにする。",
    "shared_target": "令和8年度末までに冊子3,000部を配布し、利用者満足度80%を達成する。",
    "indicator_note": "配布部数は事業の到達度を、満足度は内容の質を測るために設定した。",
    "evaluation_method": "利用者アンケートと、市・団体それぞれの自己評価を年度末に行う。",
    "responsibility_plan": "事業の実施に伴う事故の責任は、原因に応じて協議のうえ負担する。",
    "activities": [{"period": "4月", "content": "企画・庁内情報の収集", "owner": "共同"},
                   {"period": "6月", "content": "取材・編集", "owner": "団体"},
                   {"period": "9月", "content": "冊子の発行・ウェブサイト公開", "owner": "団体"}],
    "role_sharing": [{"item": "企画・編集", "prefecture_role": "庁内情報の提供、内容の確認",
                      "partner_role": "取材、原稿作成、編集"},
                     {"item": "広報", "prefecture_role": "県の広報紙での周知",
                      "partner_role": "SNSとウェブサイトでの発信"}],
    "cost_sharing": [{"item": "印刷製本費", "prefecture_amount": 600_000, "partner_amount": 0},
                     {"item": "取材・編集費", "prefecture_amount": 300_000,
                      "partner_amount": 150_000}],
    # agreement (協定書)
    "personal_information_measures": "名簿は施錠できる書庫で保管し、事業終了後に廃棄する。",
    "special_terms": "成果物の二次利用は、甲乙協議のうえ行う。",
    "liability": "事業の実施に伴う事故の責任は、原因に応じて甲乙協議のうえ負担する。",
    "responsibility": "事業の実施に伴う事故の責任は、原因に応じて甲乙協議のうえ負担する。",
    # completion report (事業報告書)
    "results": "交流会を24回開催し、延べ320人が参加した。冊子を3,200部配布した。",
    "participants": 320,
    "shortfall_reason": "相談会は周知が遅れ、参加者が目標に届かなかった。",
    "citizen_feedback": "「同じ悩みを持つ親と話せて安心した」との声が多く寄せられた。",
    "cost_lines": [{"item": "印刷製本費", "planned": 600_000, "actual": 580_000},
                   {"item": "会場使用料", "planned": 120_000, "actual": 110_000}],
    "issues": "相談会の周知を早め、平日夜の開催も検討する。",
    # evaluation (事業評価)
    "activity_record_view": "計画どおりに交流会を開催し、参加者も増えた。",
    "continuity_view": "団体の自主事業として継続できる見込みがある。",
    "mutual_understanding": "定例会議を通じて互いの事情への理解が深まった。",
    "good_points": "当事者の声を冊子の内容に生かせた。",
    "improvements": "相談会の周知時期を早める必要がある。",
    "review_points": "相談会を平日夜にも開催する。",
    "feedback": "次年度の事業計画で相談会の開催時期と回数を見直す。",
}
