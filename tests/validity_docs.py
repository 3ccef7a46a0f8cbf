"""A small library of documents in every standing, for the tests of validity through the
assistant: a measure past its term, a measure replaced by a later version, a plan past its
period, a consultation draft, a measure not yet in force and a notice that states nothing."""

from __future__ import annotations

from pathlib import Path

from assistant.service import Assistant
from assistant.settings import Settings

TODAY = "2026-12-07"

DOCS = {
    # In force 2022-04-01 to 2025-12-31; replaced by the 2026 version from 2026-02-01.
    "rd-subsidy-2022": """某市科学技术局关于印发《某市科技企业研发补贴办法》的通知
某科规〔2022〕1号
各有关单位：
现将《某市科技企业研发补贴办法》印发给你们，请认真贯彻执行。
某市科学技术局
2022年3月1日
某市科技企业研发补贴办法
第一条 为支持科技企业加大研发投入，制定本办法。
第二条 对年度研发投入超过500万元的科技企业，按研发投入的5%给予补贴，最高50万元。
第三条 本办法自2022年4月1日起施行，有效期至2025年12月31日。
""",
    "rd-subsidy-2026": """某市科学技术局关于印发《某市科技企业研发补贴办法》的通知
某科规〔2026〕1号
各有关单位：
现将修订后的《某市科技企业研发补贴办法》印发给你们，请认真贯彻执行。
某市科学技术局
2026年1月10日
某市科技企业研发补贴办法
第一条 为支持科技企业加大研发投入，制定本办法。
第二条 对年度研发投入超过500万元的科技企业，按研发投入的8%给予补贴，最高100万元。
第三条 本办法自2026年2月1日起施行，有效期3年。原《某市科技企业研发补贴办法》（某科规〔2022〕1号）同时废止。
""",
    "exhibition-2024": """某县人民政府办公室关于印发《某县促进会展业发展若干措施》的通知
某政办发〔2024〕3号
各乡镇人民政府，县政府各部门：
现将《某县促进会展业发展若干措施》印发给你们，请认真贯彻执行。
某县人民政府办公室
2024年2月1日
某县促进会展业发展若干措施
一、对在本县举办展览面积超过1万平方米的展会，给予主办单位每场20万元奖励。
二、本措施自印发之日起施行，有效期至2025年12月31日。
""",
    "digital-plan-2021": """某市数字经济三年行动计划（2021—2023年）
一、主要目标
到2023年，全市数字经济核心产业增加值达到1000亿元，建成5G基站2万个。
二、重点任务
建设数据中心集群，培育数字经济龙头企业50家。
""",
    "low-altitude-draft": """某市低空经济发展实施方案
（征求意见稿）
一、发展目标
到2027年，开通低空航线30条，培育低空经济企业100家。
二、支持措施
对新开通的低空物流航线，每条给予运营补助50万元。
""",
    "hydrogen-2027": """某市人民政府关于印发《某市氢能产业扶持办法》的通知
某府规〔2026〕9号
各区人民政府，市政府各部门：
现将《某市氢能产业扶持办法》印发给你们，请认真贯彻执行。
某市人民政府
2026年11月20日
某市氢能产业扶持办法
第一条 对新建加氢站给予每座300万元建设补贴。
第二条 本办法自2027年1月1日起施行，有效期5年。
""",
    "culture-notice": """某市文化和旅游局关于开展2026年非遗进社区活动的通知
各区文化和旅游局：
为弘扬非物质文化遗产，现就开展2026年非遗进社区活动通知如下。
一、各区每季度至少组织非遗进社区活动2场。
某市文化和旅游局
2026年3月2日
""",
}


def write_docs(folder: Path) -> Path:
    """The documents as text files in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in DOCS.items():
        (folder / f"{name}.txt").write_text(text, encoding="utf-8")
    return folder


def make_assistant(root: Path) -> Assistant:
    """An assistant with the hash embedding over the documents, indexed."""
    corpus = write_docs(root / "corpus")
    assistant = Assistant(Settings(embedding_model="hash", index_dir=root / "index", corpus_dir=corpus))
    report = assistant.ingest([corpus])
    assert report.count("failed") == 0, [f.error for f in report.files]
    return assistant
