"""The genre's vocabulary, written once: every stage that reads documents or questions imports
its words from here instead of keeping a list of its own.

Each set is named for what it is (document kinds, draft stages, conjunctions, interrogatives,
endings of unit names…); a module that needs a pattern builds it from these sets with
:func:`alternation`, so that a word added here reaches every reader.
"""

from __future__ import annotations

import re
from collections.abc import Iterable


def alternation(words: Iterable[str]) -> str:
    """A regex group matching any of ``words``, the longest first (以及 before 及)."""
    unique = sorted(dict.fromkeys(words), key=lambda w: (-len(w), w))
    return "(?:" + "|".join(re.escape(w) for w in unique) + ")"


# --- names written in 《》 or quotes -----------------------------------------------------------

#: Quotation marks that open and close a name (“星火计划”, 「…」, 『…』, "…").
OPEN_QUOTES = "“\"「『"
CLOSE_QUOTES = "”\"」』"
#: Marks that open and close a quotation as pairs (an answer quoting a clause).
PAIRED_QUOTES = (("“", "”"), ("「", "」"), ("『", "』"))
#: The longest document title a question or answer writes in 《》.
TITLE_MAX = 80
#: Longest quoted name of each use: a document's short name in its own title (“星火计划”), a
#: quoted term kept whole as an index term, a quoted name in a question, a quoted phrase in a
#: model's answer.
SHORT_NAME_MAX = 12
QUOTED_TERM_MAX = 20
QUOTED_NAME_MAX = 30
QUOTED_PHRASE_MAX = 60


def quoted(max_chars: int | None, min_chars: int = 2) -> re.Pattern[str]:
    """A name in quotation marks of ``min_chars``–``max_chars`` characters (group 1)."""
    size = f"{{{min_chars},{max_chars}}}" if max_chars is not None else f"{{{min_chars},}}"
    return re.compile(f"[{OPEN_QUOTES}]([^{CLOSE_QUOTES}]{size})[{CLOSE_QUOTES}]")


#: A title in 《》 (group 1: the title without the marks).
BOOK_TITLE = re.compile(rf"《([^》]{{2,{TITLE_MAX}}})》")
#: A document named as written in a question: 《title》 or a quoted name (group 0).
WRITTEN_NAME = re.compile(f"{BOOK_TITLE.pattern}|{quoted(QUOTED_NAME_MAX).pattern}")
#: Any 《…》 or quoted span, however long (to blank names out of a text).
ANY_NAME = re.compile(f"《[^》]*》|{quoted(None, 0).pattern}")

# --- conjunctions -----------------------------------------------------------------------------

#: Words that join two things into one list or subject (甲和乙, 甲以及乙).
AND_WORDS = ("以及", "和", "与", "及")
#: “With” words that join names (成都跟杭州, 成都同遂昌); inside other words (同时, 共同) they
#: join nothing, so they count only beside a name.
WITH_WORDS = ("跟", "同")
#: Words that offer a choice (甲或乙, 甲还是乙).
OR_WORDS = ("或者", "或", "还是")
#: The enumeration comma: 甲、乙、丙.
LIST_MARK = "、"
#: English conjunctions, as a word of a question read in English.
EN_CONJUNCTIONS = ("and", "or")

# --- documents --------------------------------------------------------------------------------

#: What a document is called by its kind (浙江的实施意见, 这份方案), the longer names first.
DOC_KINDS = ("征求意见稿", "意见稿", "实施意见", "指导意见", "若干意见", "意见", "行动方案", "实施方案",
             "工作方案", "方案", "行动计划", "计划", "规划", "办法", "通知", "条例", "规定", "细则", "纲要",
             "政策文件", "文件")
#: Nouns that name documents as such (哪些文件, 哪份通知…); 规定 and 政策 name contents too.
DOC_NOUNS = ("文件", "文档", "公文", "意见", "通知", "办法", "条例", "细则", "纲要", "规划", "方案", "计划")
#: The words a title ends on (…实施意见, …的通知, …条例（草案）).
TITLE_ENDINGS = ("意见", "方案", "通知", "计划", "办法", "规定", "说明", "决定", "细则", "条例", "规划", "纲要",
                 "指引", "措施", "政策", "公告", "通告", "批复", "复函", "的函", "报告", "要点", "规则", "标准",
                 "指南", "若干措施", "行动计划", "解读", "问答", "决议", "公报")
#: Levels a question may rank documents by (省级文件).
DOC_LEVELS = ("省级", "市级", "县级", "区级", "国家级")
#: A draft's stage as its header and a question write it (二次征求意见稿, 送审稿).
DRAFT_STAGES = ("征求意见稿", "意见稿", "送审稿", "讨论稿", "修订稿")
#: Words that make a document a draft (a stage, 草案, or the notes on drafting it).
DRAFT_WORDS = (*DRAFT_STAGES, "草案", "起草说明")

# --- validity -------------------------------------------------------------------------------

#: Verbs by which a document takes effect (本办法自…起施行).
EFFECT_VERBS = ("施行", "实施", "执行", "生效", "试行")
#: The events a document applies from (自印发之日起施行, 自公布之日起30日后施行).
ISSUE_EVENTS = ("印发", "发布", "公布", "颁布", "发文", "签发")
#: Words by which a document repeals others (原《…》同时废止).
REPEAL_WORDS = ("废止", "停止执行", "不再执行", "停止施行", "同时失效")
#: How a document calls its standing on trial (试行办法, 暂行规定).
TRIAL_MARKERS = ("试行", "暂行")
#: What a document calls itself in its closing articles (本办法, 本实施细则, 本政策措施).
SELF_KINDS = (*TITLE_ENDINGS, *DOC_KINDS, "预案", "规程", "制度", "清单", "目录", "准则", "规范", "政策措施",
              "实施细则", "措施")
#: A portal's labels of validity fields (in its info table or list) → the field they state.
VALIDITY_LABELS = {"有效性": "validity", "文件状态": "validity", "时效性": "validity", "效力状态": "validity",
                   "生效日期": "effective", "实施日期": "effective", "施行日期": "effective",
                   "失效日期": "expires", "废止日期": "expires", "截止日期": "expires"}
#: A portal's verdict on a document (有效性：有效) → its state.
STATED_VALIDITY = {"有效": "in_force", "现行有效": "in_force", "是": "in_force", "有效（延续实施）": "in_force",
                   "失效": "expired", "已失效": "expired", "无效": "expired", "废止": "expired",
                   "已废止": "expired", "失效（提前废止）": "expired", "已修改": "superseded",
                   "已被修改": "superseded", "已修订": "superseded", "已被修订": "superseded",
                   "尚未生效": "not_yet", "尚未施行": "not_yet"}
#: How an answer and a badge call each state.
STATUS_LABELS = {"in_force": "现行有效", "expired": "已失效", "not_yet": "尚未施行", "draft": "征求意见稿",
                 "superseded": "已被替代", "unknown": "效力未知"}

# --- units ------------------------------------------------------------------------------------

#: The endings of the names of government bodies (市科委, 县财政局, 各区政府, 有关部门…).
BODY_ENDINGS = ("局", "委员会", "委", "厅", "部", "办公室", "办", "院", "中心", "政府", "机构", "机关", "部门", "单位")
#: Common words that end like a body's name but name none (布局, 全部, 举办): a unit read up to
#: one of them is no unit.
NOT_BODY_WORDS = ("布局", "格局", "全局", "大局", "结局", "开局", "变局", "出局", "内部", "外部", "全部", "局部",
                  "东部", "西部", "中部", "南部", "北部", "头部", "干部", "举办", "创办", "承办", "督办", "兴办",
                  "开办", "主办", "协办", "庭院")
#: The endings of the names of any unit a document assigns work to: bodies, and the courts,
#: companies, associations, schools, banks, teams and places that also take tasks.
UNIT_ENDINGS = (*BODY_ENDINGS, "署", "商会", "工会", "处", "所", "站", "队", "组", "公司", "集团", "法院", "检察院", "组织",
                "协会", "学会", "联合会", "管委会", "总队", "支队", "集团公司", "大学", "学校", "银行", "分行",
                "支行", "党委", "党组", "研究室", "企业", "街道", "乡镇", "镇")

# --- questions --------------------------------------------------------------------------------

#: Interrogatives at the start of a question word (哪个, 几年, 多少钱, 怎么办…).
INTERROGATIVES = ("哪", "几", "多少", "什么", "怎么", "怎样", "如何", "是否", "能否", "谁", "何")
#: Interrogatives anywhere in a phrase: a topic holding one asks for something more.
INTERROGATIVE_WORDS = ("多少", "几", "什么", "哪", "谁", "如何", "怎么", "怎样", "何时", "何种", "为何", "是否",
                       "能否")
#: Colloquial words as the documents write them: a question typed as people talk (啥时候,
#: 补多少, 封顶多少) is read as the same question in the documents' words. Common misspellings
#: of the genre's words (补帖) are read as meant.
COLLOQUIAL = {
    "啥时候": "什么时候", "啥": "什么", "咋样": "怎么样", "咋": "怎么", "几时": "什么时候", "多会儿": "什么时候",
    "多钱": "多少钱", "几个钱": "多少钱", "补多少": "补贴多少", "补几": "补贴几", "奖多少": "奖励多少",
    "奖几": "奖励几", "能拿多少": "能获得多少", "拿多少": "获得多少", "给多少钱": "给予多少钱", "封顶": "最高",
    "最多给": "最高给予", "一个亿": "1亿元", "1个亿": "1亿元", "补帖": "补贴", "哪儿": "哪里", "谁管": "谁负责",
    "归谁管": "由谁负责", "管不管": "是否负责", "有效不": "是否有效", "还管用吗": "是否仍然有效",
}
#: Words for money granted: a question asking how much of one (补贴多少) is answered by a
#: sentence granting it under another (给予一次性财政补助1000万元, 给予500万元激励).
GRANT_WORDS = ("补贴", "补助", "资助", "奖励", "激励", "奖补", "扶持", "支持", "经费", "资金", "贴息", "补偿", "奖金")
#: Words beside a date that make it a start (自…起施行) or an end (有效期至…): a question
#: asking when something starts or ends is answered by the date beside them.
DATE_START_WORDS = ("起", "施行", "实施", "执行", "生效", "开始", "印发", "发布")
DATE_END_WORDS = ("至", "止", "到期", "截止", "截至", "失效", "届满", "结束", "前")
#: Asking whether something exists (有没有 X).
EXISTENCE_ASKS = ("有没有",)
#: One-character function words (particles, prepositions, the copula): they join words, and
#: alone or glued to a neighbour's character they name nothing.
FUNCTION_CHARS = frozenset("的了是在由到里中上下对为给把被将从向于以及和与或也都就还")

#: Asking a document's number (文号).
ASKS_NUMBER = re.compile(r"文号|字号|document number")
#: Asking a document's date.
ASKS_DATE = re.compile(r"哪天|哪一天|日期|什么时候|何时|哪年|哪一年|when|dated")
#: Asking who issued a document.
ASKS_ISSUER = re.compile(r"发文机关|哪个单位|哪个部门|(?:印发|发布|发文|起草|制定|出台)(?:的)?(?:单位|部门|机关)|由谁|"
                         r"(?:谁|哪(?:个|几个|些|几家|家)(?:单位|部门|机关|局|委|厅)?)(?:联合)?(?:印发|发布|发文|出台|制定|发)的|"
                         r"哪个(?:局|委|厅)|which department|who issued")

# --- places -----------------------------------------------------------------------------------

#: China's provincial-level divisions: the short name texts use (浙江) → the full name (浙江省).
PROVINCES = {
    **{name: f"{name}市" for name in ("北京", "天津", "上海", "重庆")},
    **{name: f"{name}省" for name in (
        "河北", "山西", "辽宁", "吉林", "黑龙江", "江苏", "浙江", "安徽", "福建", "江西", "山东", "河南",
        "湖北", "湖南", "广东", "海南", "四川", "贵州", "云南", "陕西", "甘肃", "青海", "台湾")},
    "内蒙古": "内蒙古自治区", "广西": "广西壮族自治区", "西藏": "西藏自治区",
    "宁夏": "宁夏回族自治区", "新疆": "新疆维吾尔自治区",
    "香港": "香港特别行政区", "澳门": "澳门特别行政区",
}
#: How a provincial document speaks of its own province (我省大力发展…, 全省培育…).
OWN_PROVINCE_WORDS = ("我省", "本省", "全省")

#: Administrative suffixes of place names (成都市, 浙江省, 遂昌县), the longer first.
PLACE_SUFFIXES = ("特别行政区", "自治区", "自治州", "自治县", "省", "市", "县", "区", "镇", "乡")
#: Words jieba tags as places that name no particular place, or the whole country (the scope of
#: national documents, which every place shares).
GENERIC_PLACES = frozenset({
    "城市", "地区", "全省", "全市", "全县", "全区", "省级", "市级", "县级", "区级", "地方", "区域", "中国", "全国",
    "我国", "国家", "国内", "境内", "境外", "国外", "海外", "中华人民共和国", "本省", "本市", "本县", "本区", "各地",
    "当地", "城乡", "农村", "城镇", "乡镇", "社区"})

# --- support measures ---------------------------------------------------------------------------

#: What a measure grants, as the documents name it (奖励, 补贴, 一次性平台开发激励…): a measure's
#: kind is the phrase ending on one of these. Longer words first where one holds another.
MEASURE_KINDS = ("奖励", "补贴", "补助", "资助", "贴息", "奖补", "激励", "补偿", "奖金", "经费支持", "资金支持",
                 "经费", "共同支持", "配套支持", "减免", "免征", "加计扣除", "券", "机制电价", "担保贷款", "贷款额度", "专项资金",
                 "资金补助", "支持资金", "运营经费", "开办经费", "后补助", "补贴资金", "税收优惠", "税费优惠",
                 "免费入驻")
#: Reliefs a document grants without a figure (落实…税收优惠政策, 允许…免费入驻): measures too.
RELIEF_WORDS = ("税收优惠", "税费优惠", "所得税减免", "加计抵减", "免费入驻", "免费使用", "免收", "减半征收", "免征")
#: Verbs by which a document grants a measure (给予…奖励, 按…予以补贴, 本次拨付…).
GRANT_VERBS = ("给予", "予以", "奖励", "补助", "资助", "补贴", "拨付", "兑付", "贴息", "奖补", "减免", "免征",
               "发放", "支持金额", "补贴金额", "奖励金额", "资助金额", "补助金额", "补贴额", "补贴限额", "测算比例",
               "出资", "提供担保", "担保贷款", "加计扣除")
#: Nouns of a limit set on a measure: a money figure or rate beside them is the measure's
#: standard (单机补贴限额不超过5万元, 支持金额最高可至3000万元).
MEASURE_LIMITS = ("限额", "金额", "标准", "额度", "上限", "比例", "补贴额", "机制电价", "竞价上下限")
#: Words that make a figure a ceiling (最高500万元, 不超过30%, 上限为1000万元).
CAP_WORDS = ("最高", "不超过", "不高于", "最多", "上限", "限额", "封顶", "以内", "可至", "可提高至", "不得超过")
#: Words that make a figure or phrase a condition of a measure rather than what it grants:
#: thresholds (达到或超过1亿元/年的企业) and qualifications (首次认定, 新获批).
CONDITION_WORDS = ("达到", "超过", "不足", "不低于", "不少于", "高于", "以上", "首次", "新认定", "认定为", "认定的", "获评",
                   "获得", "取得", "入选", "列入", "纳入", "连续", "新引进", "新获批", "获批", "成立", "注册",
                   "年销量", "年营收", "营业收入", "销售收入", "年度", "投入", "落户", "新建", "新上牌")
#: The heads of names of those a measure is granted to (…的企业, 新认定的平台, 购机者).
BENEFICIARY_HEADS = ("企业", "单位", "个人", "机构", "平台", "项目", "团队", "人才", "高校", "院所", "主体", "联合体",
                     "集群", "组织", "基地", "园区", "中心", "车型", "机具", "农户", "购机者", "用户", "专家", "人员",
                     "家庭", "学生", "毕业生", "基金会", "孵化器", "实验室", "创新体", "服务商", "产品", "农机", "设备", "装备",
                     "机", "者", "户")
#: Words before a period a measure runs or must be applied for in (申报时间, 执行期限).
PERIOD_WORDS = ("申报时间", "申报期限", "申请时间", "受理时间", "执行期限", "实施期限", "支持期限", "贴息期限",
                "补贴期限", "执行期", "有效期", "期限")
#: Certifications a company may hold, as measures name them (the eligibility check reads a
#: company's profile against them).
CERTIFICATIONS = ("高新技术企业", "专精特新", "小巨人", "科技型中小企业", "瞪羚企业", "独角兽企业", "单项冠军",
                  "技术先进型服务企业", "企业技术中心", "规上企业", "规模以上")
#: The subjects a sentence may name after 由 that are who applies, not who carries a measure out
#: (由企业负责, 由项目单位按照…).
GENERIC_AGENTS = ("企业", "单位", "个人", "项目单位", "申报单位", "用人单位", "申请人")
#: Verbs that open a phrase naming what a measure is for (引育…重点项目, 支持企业…): the
#: object after them names the beneficiary.
LEAD_VERBS = ("落实", "允许", "引育", "引进", "培育", "建设", "打造", "支持", "鼓励", "推动", "加快", "新建", "组建", "设立", "创建",
              "引导", "围绕", "聚焦", "对于", "针对", "面向")
#: Words before a grant verb that deny it (不重复给予, 不再给予, 不予): such a phrase is a
#: condition of the measure, not another measure.
GRANT_NEGATIONS = ("不重复", "不再", "不得", "不", "不予", "暂不", "停止")
#: Words for each one of a kind (每家企业, 单个项目, 单机): a ceiling after them is per that unit.
PER_WORDS = ("每家", "每个", "每户", "每人", "每台", "每套", "每张", "每项", "每年", "单个", "单家", "单项", "单机",
             "单套", "年度", "累计", "同一")
