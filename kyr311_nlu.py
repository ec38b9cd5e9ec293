"""Our custom Rasa graph components: a tokenizer for every script we serve, and Rasa's
logistic regression classifier made fast at prediction time.

The segmentation itself lives in bot.segment; this module only adapts it to Rasa's
Tokenizer interface. config.yml names them as `kyr311_nlu.ScriptTokenizer` and
`kyr311_nlu.LogisticRegressionClassifier`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers import logistic_regression_classifier
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


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LogisticRegressionClassifier(logistic_regression_classifier.LogisticRegressionClassifier):
    """Rasa's classifier, trained the same way, with its weights laid out for one message at a time.

    scikit-learn scores a message as `X @ coef_.T`; with `coef_` in row order (31 intents x
    164,000 n-grams) scipy copies the whole transposed matrix for every message, about 20 ms.
    In column order the transpose is already contiguous and the product costs 0.1 ms; the
    numbers are the same (make bench).
    """

    @classmethod
    def load(
        cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource, execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> logistic_regression_classifier.LogisticRegressionClassifier:
        component = super().load(config, model_storage, resource, execution_context, **kwargs)
        if hasattr(component.clf, "coef_"):  # an untrained component (no intents) has none
            component.clf.coef_ = np.asfortranarray(component.clf.coef_)
        return component
