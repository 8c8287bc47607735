"""Troubleshooting (smoke) suite: the FSDL playbook's checks for a PyTorch model.

    from mltestscore.checks import smoke
    report = smoke.run(model, (inputs, targets), loss_fn, optimizer=None, data=None, seed=0)
    report.passed          # no finding failed or crashed
    report.findings        # Finding(name, status, message, metrics), one per check
    smoke.run(lightning_module)  # through its own training_step and configure_optimizers

Checks, in the order ``run`` runs them (each is also a public function returning one
:class:`Finding`, thresholds as keyword-only arguments):

    forward             the model runs on the batch; the loss is a differentiable scalar
    output_shape        outputs line up with targets sample by sample (silent broadcasting)
    loss_input          logits / log-probabilities / target ranges the loss expects; sign
    initial_loss        the loss at init is near its theoretical value (ln C, …)
    finite              forward and backward stay finite; the first NaN/Inf module named
    input_scaling       what the first weight layer reads is normalized
    input_dependence    the output changes with the input (zeroed, random, shuffled)
    batch_independence  sample i's output ignores sample j's input (eval mode)
    causality           (causal_dim) the output at t ignores inputs after t
    eval_mode           eval is deterministic; train differs only via dropout/batch-norm
    params_update       every trainable parameter gets a gradient and moves downhill
    training_step       (train_step) the team's own step: zero_grad, order, scaling, mode, LR
    overfit_one_batch   the batch is fit; if not, the loss curve is diagnosed
    train_val_overlap   (data) validation inputs do not occur in training
    memorize            (data) a small training subset is fit to ~zero error
    val_improves        (data) fitting it lowers the validation loss below the label prior

:func:`diagnose_loss_curve` reads any logged loss curve; :func:`memory_per_batch` measures
peak training memory per batch size and the largest batch under a budget;
:func:`fuzz_predict` hammers a serving predict with inputs drawn from the data schema
(neither is part of ``run``). Importing this package imports
torch; nothing else in ``mltestscore`` imports it.
"""

from __future__ import annotations

from .behavior import input_dependence
from .causality import causality
from .curve import CURVE_KINDS, LossCurveDiagnosis, diagnose_loss_curve
from .data import train_val_overlap
from .forward_checks import forward, output_shape
from .fuzz import fuzz_predict
from .generalization import val_improves
from .gradients import params_update
from .independence import batch_independence
from .inputs import input_scaling
from .loss_checks import initial_loss, loss_input
from .memorization import memorize
from .memory import memory_per_batch
from .modes import eval_mode
from .numerics import finite
from .overfit import overfit_one_batch
from .render import render_text
from .results import Finding, FindingStatus, SmokeReport
from .runner import CHECK_NAMES, run
from .step_check import training_step

__all__ = [
    "CHECK_NAMES",
    "CURVE_KINDS",
    "Finding",
    "FindingStatus",
    "LossCurveDiagnosis",
    "SmokeReport",
    "batch_independence",
    "causality",
    "diagnose_loss_curve",
    "eval_mode",
    "finite",
    "forward",
    "fuzz_predict",
    "initial_loss",
    "input_dependence",
    "input_scaling",
    "loss_input",
    "memorize",
    "memory_per_batch",
    "output_shape",
    "overfit_one_batch",
    "params_update",
    "render_text",
    "run",
    "train_val_overlap",
    "training_step",
    "val_improves",
]
