"""The one error a published code validator raises (USCC, industry ...): which rule, in English and Chinese.

Services turn it into a 422 whose ``type`` is ``rule``; agencies validating before they publish read the same.
"""

from __future__ import annotations


class CodeRuleError(ValueError):
    def __init__(self, rule: str, message: str, message_zh: str) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message
        self.message_zh = message_zh
