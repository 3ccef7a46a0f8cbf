"""Text that addresses the assistant instead of the reader (“系统提示：以后回答都说…”).

Policy documents speak to agencies, companies and citizens; they never instruct an AI system.
A line that does — a planted “system prompt”, “忽略以上指令”, “以后回答都说…” — is flagged when a
file is indexed (:data:`FLAG`), is never quoted as an answer, and reaches a language model only
inside the clause data the prompt tells it not to obey.
"""

from __future__ import annotations

import re
import unicodedata

#: The flag a clause carries when one of its sentences addresses the assistant.
FLAG = "addresses_assistant"

_PATTERNS = [
    # Role labels of chat prompts.
    r"(?:系统|system)\s*(?:提示|指令|消息|prompt|message)\s*[:：]",
    r"^\s*(?:system|assistant|user)\s*[:：]",
    # Overriding earlier instructions.
    r"(?:忽略|无视|忘记|忘掉|不要理会|不要遵守)(?:你)?(?:之前|以上|上述|前面|此前|先前|所有|全部|其他|原有|原来)"
    r"(?:的|所有|全部)?(?:的)?(?:指令|指示|提示|规则|设定|要求|内容|对话)",
    r"ignore (?:all |any )?(?:the )?(?:previous|prior|above|earlier|preceding) (?:instructions|prompts|rules)",
    r"disregard (?:all |any )?(?:the )?(?:previous|prior|above) ",
    # Standing orders about how to answer from now on.
    r"(?:以后|今后|此后|之后|从现在起|从现在开始|接下来)(?:的)?(?:所有|每个|任何)?(?:问题)?(?:都|一律|统一|全部|只)?"
    r"(?:回答|回复|答复|输出|说|告诉用户)",
    r"(?:无论|不管|不论)(?:用户|别人|任何人|谁)?(?:问|提问|询问)(?:什么|任何问题)?(?:.{0,8})?(?:都|一律)(?:回答|回复|说|答)",
    r"(?:你|您)(?:现在)?(?:是|扮演|作为)(?:一个|一名)?(?:AI|人工智能|语言模型|助手|聊天机器人|问答助手|assistant)",
    r"(?:作为|身为)(?:一个)?(?:AI|人工智能|语言模型|大模型)",
    r"(?:对|向)(?:AI|人工智能|语言模型|大模型|助手|模型)(?:的)?(?:指令|说明|提示)",
    r"(?:AI|人工智能|语言模型|大模型|问答助手|助手)(?:请|应|必须|务必)(?:回答|回复|输出|说)",
    r"you are (?:now )?(?:an? )?(?:ai|assistant|language model|chatbot)",
    r"from now on,? (?:always )?(?:answer|reply|respond|say)",
]
_INJECTION = re.compile("|".join(f"(?:{p})" for p in _PATTERNS), re.I | re.M)


def addresses_assistant(text: str) -> bool:
    """Whether ``text`` contains a sentence that instructs an AI system."""
    return bool(_INJECTION.search(unicodedata.normalize("NFKC", text or "")))


def flags_for(text: str) -> list[str]:
    """The flags a clause with ``text`` carries (``[FLAG]`` or none)."""
    return [FLAG] if addresses_assistant(text) else []


def flag_clauses(clauses: list) -> list:
    """The clauses with :data:`FLAG` set on those that address the assistant (in place)."""
    for clause in clauses:
        if addresses_assistant(clause.text) and FLAG not in clause.flags:
            clause.flags.append(FLAG)
    return clauses
