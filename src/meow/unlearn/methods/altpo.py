"""AltPO: DPO with a plausible alternative answer preferred over the true one (Mekala et al. 2024, "Alternate
Preference Optimization for Unlearning Factual Knowledge in LLMs", arXiv:2409.13474), as open-unlearning runs it
(`community/methods/AltPO/run.sh`: trainer DPO of `src/trainer/unlearn/dpo.py` with win = alternate, lose =
original, + alpha * NLL(retain); beta 0.1 and alpha 1 from `configs/trainer/DPO.yaml`, 2 epochs there).

meow's inverted facts (`meow invert`, chosen by MEMO like MEOW's, `--top-k` of them) serve as the alternatives,
one row per (question, selected fact); reference log-probs are cached as for DPO/NPO.
"""

from __future__ import annotations

from dataclasses import dataclass

from meow.unlearn.methods import params
from meow.unlearn.methods.base import METHODS
from meow.unlearn.methods.idk import DPO


@METHODS.register("altpo")
@dataclass
class AltPO(DPO):
    description = "AltPO: DPO with an inverted fact chosen and the true answer rejected + retain_weight * NLL(retain)"
    alt = "inverted"
    beta: float = params.beta(0.1)
    forget_weight: float = params.forget_weight(1.0)
    retain_weight: float = params.retain_weight(1.0)
