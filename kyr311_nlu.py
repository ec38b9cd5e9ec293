"""Our one custom Rasa graph component: a tokenizer for every script we serve.

The segmentation itself lives in bot.segment; this module only adapts it to Rasa's
Tokenizer interface. config.yml names it as `kyr311_nlu.ScriptTokenizer`.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.training_data.message import Message

from bot.segment import words


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class ScriptTokenizer(Tokenizer):
    """Words of any script: jieba for Chinese, TinySegmenter for Japanese, newmm for Thai."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"intent_tokenization_flag": False, "intent_split_symbol": "_", "token_pattern": None, "prefix_separator_symbol": None}

    @classmethod
    def create(
        cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource, execution_context: ExecutionContext
    ) -> ScriptTokenizer:
        return cls(config)

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        text = message.get(attribute) or ""
        tokens = [Token(word.text, word.start, word.end) for word in words(text)]
        if not tokens:  # emoji or punctuation only: one token, as the whitespace tokenizer does
            tokens = [Token(text, 0, len(text))]
        return self._apply_token_pattern(tokens)
