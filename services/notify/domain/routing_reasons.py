"""Routing's reason for a routing (``ticket.routed.reason``) in a staff notice's language.

Routing explains each decision in one English line for the timeline ("category invoice 0.97;
queue finance by rule category; priority high (classifier normal, raised: VIP tenant);
agent-7: least loaded of 2 qualified (1/5); bot: no article covers billing"), and the agent
or manager told of it read that line inside a Chinese or Japanese sentence. The line is built
from a finite set of phrases joined by "; " (``PHRASES``: routing's reason builders, which
``tests/unit/test_routing_reason_text.py`` checks against routing's code), so each phrase is
read back by its English pattern and written in the notice's language. Ids, categories,
queues, rules, priority codes and numbers stay as routing wrote them: they are what the
console and the API show. A phrase not in the set (a tenant's own rule name, text routing
adds later) is shown as it is.

Placeholders: ``{note}``, ``{why}`` and ``{refusals}`` hold phrases of their own (translated
in turn; "; " separates several), ``{signals}`` a comma-separated list of them; ``{summary}``,
``{text}`` and ``{wanted}`` any text, shown as is (a triage summary, intake's reopen reason,
a list of languages); any other one a single word (an id, a code, a number).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache

NESTED = frozenset({"note", "why", "refusals"})
LISTED = "signals"
ANY_TEXT = frozenset({"summary", "text", "wanted"})
LANGUAGES = ("zh-Hans", "zh-Hant", "ja")
SEPARATOR = {"zh-Hans": "；", "zh-Hant": "；", "ja": "；"}
LIST_SEPARATOR = {"zh-Hans": "，", "zh-Hant": "，", "ja": "、"}

PHRASES: tuple[tuple[str, str, str, str], ...] = (
    # English, zh-Hans, zh-Hant, ja. Specific before general: the first that reads wins.
    # The decision (Route.explain) and what led to it (RoutingCase).
    ("category {category} (set by {agent})", "类别 {category}（由 {agent} 设定）",
     "類別 {category}（由 {agent} 設定）", "カテゴリ {category}（{agent}が設定）"),
    ("category unsure ({confidence})", "类别不确定（{confidence}）", "類別不確定（{confidence}）",
     "カテゴリが不確か（{confidence}）"),
    ("category {summary}", "类别 {summary}", "類別 {summary}", "カテゴリ {summary}"),
    ("not classified", "未分类", "未分類", "未分類"),
    ("queue {queue} by rule {rule}", "按规则 {rule} 进入队列 {queue}",
     "依規則 {rule} 進入佇列 {queue}", "ルール {rule}によりキュー {queue}"),
    ("queue {queue}: {note}", "队列 {queue}：{note}", "佇列 {queue}：{note}",
     "キュー {queue}：{note}"),
    ("priority raised to {priority}: {signals}", "优先级升至 {priority}：{signals}",
     "優先順序升至 {priority}：{signals}", "優先度を {priority}に引き上げ：{signals}"),
    ("priority {priority} ({note})", "优先级 {priority}（{note}）",
     "優先順序 {priority}（{note}）", "優先度 {priority}（{note}）"),
    ("priority {priority}", "优先级 {priority}", "優先順序 {priority}", "優先度 {priority}"),
    ("bot: {why}", "机器人：{why}", "機器人：{why}", "ボット：{why}"),
    ("reopened ({text})", "已重新打开（{text}）", "已重新開啟（{text}）", "再オープン（{text}）"),
    ("taken over from the bot by {agent}", "{agent} 从机器人手中接手",
     "{agent} 從機器人手中接手", "{agent}がボットから引き継ぎ"),
    ("re-categorised by {agent}", "{agent} 更改了类别", "{agent} 更改了類別",
     "{agent}がカテゴリを変更"),
    ("transferred to {target} by {agent}: taken over from the bot",
     "由 {agent} 转给 {target}：从机器人手中接手", "由 {agent} 轉給 {target}：從機器人手中接手",
     "{agent}が {target}に転送：ボットから引き継ぎ"),
    ("transferred to {target} by {agent}", "由 {agent} 转给 {target}",
     "由 {agent} 轉給 {target}", "{agent}が {target}に転送"),
    # The priority's note (priority.py, the reopen's).
    ("classifier {priority}, raised: {signals}", "分类器判定 {priority}，上调原因：{signals}",
     "分類器判定 {priority}，上調原因：{signals}",
     "分類器の判定 {priority}、引き上げ理由：{signals}"),
    ("classifier {priority} ({signals}: signals stop at high)",
     "分类器判定 {priority}（{signals}：此类因素最多升至 high）",
     "分類器判定 {priority}（{signals}：此類因素最多升至 high）",
     "分類器の判定 {priority}（{signals}：これらによる引き上げは highまで）"),
    ("classifier {priority}", "分类器判定 {priority}", "分類器判定 {priority}",
     "分類器の判定 {priority}"),
    ("itinerary {priority}", "依行程 {priority}", "依行程 {priority}", "旅程による {priority}"),
    ("reopened from {priority}", "由 {priority} 重新打开", "由 {priority} 重新開啟",
     "{priority}から再オープン"),
    # What raises the urgency (UrgencySignals, RoutingPolicy.vip_reason).
    ("VIP traveller", "VIP 旅客", "VIP 旅客", "VIP 旅行者"),
    ("VIP tenant", "VIP 企业客户", "VIP 企業客戶", "VIP 法人顧客"),
    ("negative sentiment", "负面情绪", "負面情緒", "否定的な感情"),
    ("{count} repeat contacts", "重复联系 {count} 次", "重複聯絡 {count} 次",
     "再問い合わせ{count}回"),
    ("departs within 24 h", "24 小时内出发", "24 小時內出發", "24時間以内に出発"),
    ("{kind} (revision {revision})", "{kind}（第 {revision} 次更新）",
     "{kind}（第 {revision} 次更新）", "{kind}（第{revision}報）"),
    # Who has it (choose_agent, reassign, takeover, the appeal, dispatch).
    ("{agent} already holds it", "{agent} 已在处理", "{agent} 已在處理", "{agent}が担当済み"),
    ("{agent}: the VIP's account manager", "{agent}：该 VIP 的客户经理",
     "{agent}：該 VIP 的客戶經理", "{agent}：VIPのアカウントマネージャー"),
    ("account manager {agent} {why}", "客户经理 {agent}：{why}", "客戶經理 {agent}：{why}",
     "アカウントマネージャー {agent}：{why}"),
    ("last agent {agent} {why}", "上次的坐席 {agent}：{why}", "上次的客服人員 {agent}：{why}",
     "前回の担当者 {agent}：{why}"),
    ("no qualified agent available ({refusals}): left in queue",
     "没有符合条件的空闲坐席（{refusals}）：留在队列中",
     "沒有符合條件的空閒客服人員（{refusals}）：留在佇列中",
     "対応できる担当者がいません（{refusals}）：キューで待機"),
    ("no qualified agent available: left in queue", "没有符合条件的空闲坐席：留在队列中",
     "沒有符合條件的空閒客服人員：留在佇列中", "対応できる担当者がいません：キューで待機"),
    ("{agent}: least loaded of {n} qualified ({load})",
     "{agent}：{n} 名符合条件的坐席中负载最低（{load}）",
     "{agent}：{n} 名符合條件的客服人員中負載最低（{load}）",
     "{agent}：条件を満たす{n}人のうち最も負荷が低い（{load}）"),
    ("{agent}: next in turn of {n} qualified ({load})",
     "{agent}：{n} 名符合条件的坐席中轮到的下一位（{load}）",
     "{agent}：{n} 名符合條件的客服人員中輪到的下一位（{load}）",
     "{agent}：条件を満たす{n}人のうち次の順番（{load}）"),
    ("{agent}: back to the agent who had it", "{agent}：交回原来的坐席",
     "{agent}：交回原來的客服人員", "{agent}：前回の担当者に戻す"),
    ("{agent}: the deputy support manager reviews it", "{agent}：由副客服经理复核",
     "{agent}：由副客服經理覆核", "{agent}：副サポートマネージャーが再審査"),
    ("{agent} made the appealed resolution", "{agent} 作出了被申诉的处理结果",
     "{agent} 做出了被申訴的處理結果", "{agent}が異議対象の解決を行った"),
    ("{agent}: the support manager reviews it", "{agent}：由客服经理复核",
     "{agent}：由客服經理覆核", "{agent}：サポートマネージャーが再審査"),
    ("{agent} answered the traveller: the ticket is theirs", "{agent} 已回复旅客：工单归其负责",
     "{agent} 已回覆旅客：工單歸其負責", "{agent}が旅行者に返信済み：このチケットはその担当"),
    ("{agent} holds it in intake (their reply came first, or it was theirs already)",
     "{agent} 已在受理端负责（其回复在先，或原本就由其负责）",
     "{agent} 已在受理端負責（其回覆在先，或原本就由其負責）",
     "{agent}が受付側で担当（その返信が先だったか、既に担当していた）"),
    ("{agent}: {by} transferred it to them", "{agent}：由 {by} 转交", "{agent}：由 {by} 轉交",
     "{agent}：{by}が転送"),
    ("left in queue", "留在队列中", "留在佇列中", "キューで待機"),
    ("assignee kept ({agent})", "保留原坐席（{agent}）", "保留原客服人員（{agent}）",
     "担当者はそのまま（{agent}）"),
    ("{agent} keeps it, as {by} asked", "{agent} 继续负责（应 {by} 要求）",
     "{agent} 繼續負責（應 {by} 要求）", "{agent}が引き続き担当（{by}の依頼）"),
    ("{agent} keeps it (not a registered agent)", "{agent} 继续负责（非注册坐席）",
     "{agent} 繼續負責（非註冊客服人員）", "{agent}が引き続き担当（登録された担当者ではない）"),
    ("{agent} keeps it: qualified for {queue}", "{agent} 继续负责：符合 {queue} 的条件",
     "{agent} 繼續負責：符合 {queue} 的條件", "{agent}が引き続き担当：{queue}の条件を満たす"),
    ("{agent} not qualified for {queue} ({why})", "{agent} 不符合 {queue} 的条件（{why}）",
     "{agent} 不符合 {queue} 的條件（{why}）", "{agent}は {queue}の条件を満たさない（{why}）"),
    ("{agent} had room: most urgent waiting ({priority}), least loaded of {n} free ({load})",
     "{agent} 有空位：等待中最紧急（{priority}），{n} 名空闲坐席中负载最低（{load}）",
     "{agent} 有空位：等待中最緊急（{priority}），{n} 名空閒客服人員中負載最低（{load}）",
     "{agent}に空き：待機中で最も緊急（{priority}）、"
     "空いている{n}人のうち最も負荷が低い（{load}）"),
    ("{agent} had room: most urgent waiting ({priority}), next in turn of {n} free ({load})",
     "{agent} 有空位：等待中最紧急（{priority}），{n} 名空闲坐席中轮到的下一位（{load}）",
     "{agent} 有空位：等待中最緊急（{priority}），{n} 名空閒客服人員中輪到的下一位（{load}）",
     "{agent}に空き：待機中で最も緊急（{priority}）、空いている{n}人のうち次の順番（{load}）"),
    # Why an agent may not take it (Agent.unavailable, Agent.unskilled).
    ("not registered", "未注册", "未註冊", "未登録"),
    ("away", "暂时离开", "暫時離開", "離席中"),
    ("offline", "离线", "離線", "オフライン"),
    ("at capacity {load}", "已满负荷 {load}", "已滿載 {load}", "上限に達している（{load}）"),
    ("not an expert", "非专家", "非專家", "専門担当ではない"),
    ("no {category} skill", "无 {category} 技能", "無 {category} 技能", "{category}のスキルなし"),
    ("no {language}", "不会 {language}", "不會 {language}", "{language}に非対応"),
    ("{agent} {why}", "{agent}：{why}", "{agent}：{why}", "{agent}：{why}"),
    # Why the bot did not answer (kb/domain.py, status.py).
    ("the bot is off for this tenant", "该企业已关闭机器人", "該企業已關閉機器人",
     "このテナントではボットはオフ"),
    ("the bot's answer did not help: a person answers", "机器人的回答没有帮助：由人工回复",
     "機器人的回答沒有幫助：由專人回覆", "ボットの回答では解決せず：担当者が回答"),
    ("a person took over from the bot's answer", "已由人工接手机器人的回答",
     "已由專人接手機器人的回答", "担当者がボットの回答を引き継いだ"),
    ("list or bulk mail, or its sender asked for no automatic answer: never answered "
     "automatically (RFC 3834)", "群发或批量邮件，或发件人要求不自动回复：从不自动回答（RFC 3834）",
     "群發或大量郵件，或寄件人要求不自動回覆：絕不自動回答（RFC 3834）",
     "一斉送信・大量送信のメール、または送信者が自動応答を求めていない："
     "自動では回答しない（RFC 3834）"),
    ("a disruption joined the ticket: a person takes it from the bot",
     "行程中断已并入该工单：由人工从机器人手中接手", "行程中斷已併入該工單：由專人從機器人手中接手",
     "運行障害がこのチケットに加わった：担当者がボットから引き継ぐ"),
    ("reopened: a person answers", "已重新打开：由人工回复", "已重新開啟：由專人回覆",
     "再オープン：担当者が回答"),
    ("critical: never auto-answered", "紧急：从不自动回答", "緊急：絕不自動回答",
     "緊急：自動では回答しない"),
    ("a supplier incident's ticket (itinerary {priority}): an agent acts on it",
     "供应商事件的工单（依行程 {priority}）：由坐席处理",
     "供應商事件的工單（依行程 {priority}）：由客服人員處理",
     "サプライヤー障害のチケット（旅程による {priority}）：担当者が対応"),
    ("a personal emergency or bereavement: a person answers", "个人紧急情况或丧亲：由人工回复",
     "個人緊急狀況或喪親：由專人回覆", "個人的な緊急事態または身内の不幸：担当者が回答"),
    ("complaint: never auto-answered", "投诉：从不自动回答", "客訴：絕不自動回答",
     "苦情：自動では回答しない"),
    ("negative sentiment: a person answers", "负面情绪：由人工回复", "負面情緒：由專人回覆",
     "否定的な感情：担当者が回答"),
    ("no article covers {category}", "没有文章涵盖 {category}", "沒有文章涵蓋 {category}",
     "{category}を扱う記事なし"),
    ("names a booking to change or cancel: an agent acts on it",
     "提到要变更或取消的预订：由坐席处理", "提到要變更或取消的訂位：由客服人員處理",
     "変更・取消する予約を含む：担当者が対応"),
    ("a carrier's disruption: an agent rebooks or refunds it", "承运方行程中断：由坐席改签或退款",
     "承運方行程中斷：由客服人員改票或退款", "運送事業者の運行障害：担当者が振替・払い戻し"),
    ("no article matched", "没有匹配的文章", "沒有相符的文章", "一致する記事なし"),
    ("best article {article} scored {score}, under the {threshold} threshold",
     "最佳文章 {article} 得分 {score}，低于阈值 {threshold}",
     "最佳文章 {article} 得分 {score}，低於門檻 {threshold}",
     "最適な記事 {article}のスコア{score}、しきい値{threshold}未満"),
    ("best article {article} scored {score}, but a question it does not answer scored {near}",
     "最佳文章 {article} 得分 {score}，但一个它不回答的问题得分 {near}",
     "最佳文章 {article} 得分 {score}，但一個它不回答的問題得分 {near}",
     "最適な記事 {article}のスコア{score}、ただし記事が答えない質問のスコア{near}"),
    ("article {article} is not written in {wanted}", "文章 {article} 没有 {wanted} 版本",
     "文章 {article} 沒有 {wanted} 版本", "記事 {article}に {wanted} 版なし"),
    ("article {article} scored {score} ≥ {threshold}", "文章 {article} 得分 {score} ≥ {threshold}",
     "文章 {article} 得分 {score} ≥ {threshold}", "記事 {article}のスコア{score} ≥ {threshold}"),
)  # fmt: skip


def routing_reason_text(reason: str, language: str) -> str:
    """``reason`` in ``language``: each "; "-separated phrase translated when it is one of
    routing's, else as routing wrote it; English (and any language without words here) as
    is."""
    if language not in LANGUAGES:
        return reason
    parts = _split(reason, "; ")
    return SEPARATOR[language].join(_phrase(part, language) or part for part in parts)


def _text(text: str, language: str) -> str | None:
    """Every "; "-separated phrase of ``text`` translated, or None if one is not known."""
    parts = [_phrase(part, language) for part in _split(text, "; ")]
    if any(part is None for part in parts):
        return None
    return SEPARATOR[language].join(p for p in parts if p is not None)


def _phrase(text: str, language: str) -> str | None:
    """One phrase in ``language`` by the first pattern that reads it whole, its nested
    phrases known too; None if none does."""
    for pattern, translations in _patterns():
        found = pattern.fullmatch(text)
        if found is None:
            continue
        values = _values(found.groupdict(), language)
        if values is not None:
            return translations[language].format_map(values)
    return None


def _values(found: Mapping[str, str], language: str) -> dict[str, str] | None:
    values = {}
    for name, value in found.items():
        if name == LISTED:
            items = [_phrase(item, language) for item in _split(value, ", ")]
            if any(item is None for item in items):
                return None
            values[name] = LIST_SEPARATOR[language].join(i for i in items if i is not None)
        elif name in NESTED:
            if (nested := _text(value, language)) is None:
                return None
            values[name] = nested
        else:
            values[name] = value
    return values


def _split(text: str, separator: str) -> list[str]:
    """``text`` split at ``separator`` outside parentheses."""
    parts, depth, start, i = [], 0, 0, 0
    while i < len(text):
        char = text[i]
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0 and text.startswith(separator, i):
            parts.append(text[start:i])
            i = start = i + len(separator)
            continue
        i += 1
    parts.append(text[start:])
    return parts


@cache
def _patterns() -> tuple[tuple[re.Pattern[str], Mapping[str, str]], ...]:
    return tuple(
        (_pattern(english), dict(zip(LANGUAGES, translated, strict=True)))
        for english, *translated in PHRASES
    )


def _pattern(english: str) -> re.Pattern[str]:
    """The English phrase as a pattern: a nested or free placeholder takes any text, another
    one a single word."""
    pieces = re.split(r"\{(\w+)\}", english)
    regex = "".join(
        re.escape(piece)
        if i % 2 == 0
        else f"(?P<{piece}>.+?)"
        if piece in NESTED | ANY_TEXT | {LISTED}
        else rf"(?P<{piece}>[^\s;]+)"
        for i, piece in enumerate(pieces)
    )
    return re.compile(regex)
