"""Attacks that try to pull forgotten facts back out of an unlearned model (docs/method.md section 5).

    from meow.evaluate.attacks import ATTACKS, run_attack, write_attack
    res = run_attack("relearn", lm, forget_records, retain_lm=retain_lm, steps=10, lr=2e-5)
    write_attack("runs/attack_relearn", res, config={...})
    res["summary"]["attack"]["metrics"]["fact_hit"]["after"]

Registered attacks (`ATTACKS.names()`; options = the fields of each attack's config dataclass, plus
`max_new_tokens`, `batch_size`, `seed` shared by all):

- `relearn` (RelearnConfig: steps, lr, relearn_fraction, train_batch_size, scheduler, ...): a copy of the model is
  fine-tuned for `steps` steps on a seeded `relearn_fraction` of the forget records; the held-out rest is evaluated
  before and after (`meow.evaluate.evaluate`). With `retain_lm` the retain model is relearned the same way (the
  yardstick, and the forget-quality reference); else `retain_eval` (a `meow eval` folder) restricted to the held-out
  questions is the forget-quality reference.
- `paraphrase` (ParaphraseConfig: paraphrases = auto | data | rules | all): the forget questions reworded (the data's
  `paraphrased_question`, else rules); evaluated against the original questions. `fact_leak` = share of questions
  whose key fact only a rewording brings out.
- `prefix` (PrefixConfig: stride): MEMO-style prefix extraction; `prefix_leak` and `memo` (see `attacks.prefix`).

`run_attack` returns a dict, and `write_attack` writes it as `meow eval`'s folder layout (`meow.evaluate.results`):

    {"attack": "relearn",
     "eval":    eval.json content: the attacked model's per-question values (`meow eval`'s records; relearn: the
                held-out questions after relearning, each with `forget_index`; paraphrase: one record per
                rewording with `original_index`, `original_question`, `paraphrase_source`; prefix: per answer
                `memo`, `prefix_leak`, `leak_chars`, `fact_hit` and its `windows`), plus
                "attack": {"name", "description", "options", ...},
     "summary": summary.json content (`meow eval`'s: "forget_quality", "splits": {"forget": {metric: {"value",
                "n", "label", "description"}}}, ...) plus
                "attack": {"name", "description", "options",
                           "metrics": {metric: {"label", <column>: value, ...}}, ...attack-specific counts},
     "parts":   {sub-folder: {"eval", "summary"}}: relearn: before, retain_model, retain_model_before;
                paraphrase: original, retain_model, retain_model_original; prefix: retain_model}

Headline columns per attack: relearn before / after / change, retain_before / retain_after / retain_change,
gap = after - retain_after; paraphrase original / paraphrased / change, retain_* and gap = paraphrased -
retain_paraphrased; prefix value / retain / gap. Retain columns appear only when a retain model was given.
"""

from meow.evaluate.attacks.base import (
    ATTACKS,
    AttackOptions,
    RecoveryAttack,
    attack,
    attack_table,
    run_attack,
    write_attack,
)
from meow.evaluate.attacks.paraphrase import ParaphraseConfig, reword
from meow.evaluate.attacks.prefix import PrefixConfig
from meow.evaluate.attacks.relearn import RelearnConfig
from meow.registry import import_submodules

import_submodules(__name__)  # every file here registers its attack: a new attack is a new file

__all__ = [
    "ATTACKS", "AttackOptions", "ParaphraseConfig", "PrefixConfig", "RecoveryAttack", "RelearnConfig", "attack",
    "attack_table", "reword", "run_attack", "write_attack",
]
