"""The training arguments' documentation, written once for every deep estimator.

:func:`compose_training_doc` fills each estimator's docstring with the
entries of ``TRAINING_PARAMETER_DOCS`` its ``__init__`` takes (with the
class's own defaults), so ``help()`` and the API pages show the same text.
"""

from __future__ import annotations

import inspect
import re
import textwrap

from skseq.utils._docs import fill_doc_marker

__all__ = [
    "TRAINING_ATTRIBUTES_DOC",
    "TRAINING_ATTRIBUTES_MARKER",
    "TRAINING_PARAMETERS_MARKER",
    "TRAINING_PARAMETER_DOCS",
    "compose_training_doc",
    "fill_doc_marker",
]


#: The training arguments every deep estimator shares: ``name -> (type,
#: description)``, written once here and composed into each estimator's
#: docstring by :func:`compose_training_doc` (with the class's own default).
TRAINING_PARAMETER_DOCS: dict[str, tuple[str, str]] = {
    "optimizer": (
        "str or torch.optim.Optimizer subclass",
        """
        ``"adam"``, ``"adamw"``, ``"nadam"``, ``"sgd"``, ``"rmsprop"`` or an
        optimizer class such as ``torch.optim.SGD``. Its other arguments are
        passed as ``optimizer__<name>`` (see ``**kwargs``).
        """,
    ),
    "lr": ("float", "Learning rate of the optimizer (> 0)."),
    "weight_decay": (
        "float",
        "L2 penalty, the optimizer's ``weight_decay`` (>= 0).",
    ),
    "max_epochs": (
        'int or "auto"',
        """
        Number of passes over the training data. ``"auto"`` sizes training
        to the data: about 1500 optimizer steps, fewer when one step is
        expensive (a compute budget per fit of samples x the cost of a
        sample: its timesteps or pixels), and never fewer than 10 epochs.
        Small data sets thus get many epochs and large ones few, instead of
        one fixed count that under-trains the first and over-spends on the
        second. The resolved count is ``max_epochs_``.
        """,
    ),
    "batch_size": ("int", "Mini-batch size for training and prediction."),
    "validation_fraction": (
        'float in [0, 1), "auto" or None',
        """
        Fraction of the training data held out to compute ``valid_loss``
        each epoch: stratified by class for the classifiers, the last
        samples (chronological, never shuffled) for the forecasters. ``None``
        or ``0`` trains on everything. ``"auto"`` holds out 10 % when that is
        at least 30 samples and otherwise trains on everything: a validation
        set of a handful of samples is too noisy to stop on and costs a small
        data set a tenth of its data. A fraction that cannot split the data
        (a class of one sample, more classes than validation samples, a
        class so rare that the split could leave it out of training) trains
        on everything, with a warning if the fraction was given, silently
        under ``"auto"``. ``fit(..., validation_data=(X_valid,
        y_valid))`` replaces the split with a given validation set.
        """,
    ),
    "patience": (
        'int, "auto" or None',
        """
        Stop when the validation loss (without a validation split: the
        training loss) has not improved for ``patience`` epochs, and restore
        the best weights (skorch's ``EarlyStopping``). ``None`` trains all
        ``max_epochs``. ``"auto"`` stops early only when there is a
        validation split, with a patience of a fifth of ``max_epochs_`` (at
        least 10), and watches the loss only after the first fifth of the
        epochs (:class:`~skseq.estimators.WarmEarlyStopping`): on small
        data the validation loss first rises while BatchNorm's running
        statistics are still mostly their initial values, and watched from
        the first epoch it stopped fits of a dozen series there, with
        nearly untrained weights.
        """,
    ),
    "lr_schedule": (
        '{"cosine"} or None',
        """
        ``"cosine"`` decays the learning rate from ``lr`` to ``lr / 100``
        along a half cosine over ``max_epochs_`` epochs (skorch
        ``LRScheduler`` with ``CosineAnnealingLR``): large steps first, fine
        ones at the end, with no schedule to tune. ``None`` keeps ``lr``.
        Ignored when ``callbacks`` holds a skorch ``LRScheduler``.
        """,
    ),
    "gradient_clip": (
        "float or None",
        """
        Largest norm of the gradient: before every optimizer step the
        gradients of all parameters, taken together as one vector, are
        rescaled to at most this L2 norm (skorch's ``GradientNormClipping``,
        :func:`torch.nn.utils.clip_grad_norm_`), so that one exploding batch
        cannot throw the weights far off. ``None`` does not clip.
        """,
    ),
    "callbacks": (
        "list of skorch callbacks or (name, callback) tuples, or None",
        """
        Extra skorch callbacks (``LRScheduler``, ``Checkpoint``,
        ``MlflowLogger`` ...), deep-copied at each ``fit``. An
        ``LRScheduler`` here replaces ``lr_schedule``, and an
        ``EarlyStopping`` (such as
        :class:`~skseq.estimators.WarmEarlyStopping`) the early stopping of
        ``patience``, and a :class:`~skseq.estimators.RollbackOnDivergence`
        the estimator's own. Otherwise a ``(name, callback)`` tuple must not
        take the name of a callback that skorch (``train_loss``,
        ``valid_loss``, ``print_log`` ...) or the estimator adds to the same
        fit (``stop_on_nonfinite_loss``; ``gradient_clip`` when it is set;
        ``lr_schedule`` or ``lr_step_schedule``, ``rollback_on_divergence``
        and ``early_stopping`` when not replaced; ``progress_bar`` at
        ``verbose >= 2``): skorch refuses duplicate names.
        ``set_params(callbacks__<name>__<parameter>=...)`` sets a parameter
        of the callback of that name (a pair's name, else its class name)
        on a copy of it, so ``GridSearchCV`` can tune it.
        """,
    ),
    "warm_start": (
        "bool",
        """
        If True, ``fit`` on a fitted estimator continues training its network
        instead of building a fresh one: the network, its weights, the
        optimizer state and what was learnt from the first fit's data
        (``classes_``, the input scaling, the target range) are kept, and
        ``max_epochs`` more epochs are trained with the current ``lr``,
        ``weight_decay``, ``batch_size``, ``validation_fraction``,
        ``patience``, ``lr_schedule`` (run anew from the current ``lr``) and
        its ``lr_step_size`` and ``lr_gamma``, ``gradient_clip``,
        ``callbacks``, ``verbose``, ``random_state``, ``clip_output``,
        ``tile_size``, ``ensemble_cv``, ``optimizer__*`` and ``iterator_*``
        parameters, where the estimator has them (an ``LRScheduler`` of your
        own in ``callbacks`` follows skorch's rule instead: it resumes at the
        epochs already trained, from the first fit's ``lr``). Data of other
        shapes (for
        classifiers: other lengths or channels, labels outside ``classes_``;
        for the frame estimators, which take frames of any ``H x W``: other
        numbers of frames or channels) and changed arguments that shape the
        network (architecture, ``optimizer``, ``device``, ``class_weight``
        ...) are refused with a ``ValueError``; a continued fit that fails
        leaves the estimator as it was.
        """,
    ),
    "device": (
        "str",
        """
        Where the network trains and predicts: ``"cpu"``, ``"cuda"`` (the
        GPU current at ``fit``, kept for prediction from any thread),
        ``"cuda:N"`` (GPU number ``N``, e.g. ``"cuda:1"``) or ``"auto"``
        (``"cuda"`` when PyTorch sees a GPU, else ``"cpu"``), in
        lower case; other torch devices (``"mps"``) are refused. A CUDA
        device on a machine without one is a ``ValueError`` in ``fit``. The
        fitted network's device is ``device_``; a model trained on a GPU and
        unpickled where there is none predicts on the CPU. Ignored when an
        ``accelerator`` is given (it places the network).
        """,
    ),
    "accelerator": (
        "accelerate.Accelerator or None",
        """
        Train through Hugging Face ``accelerate`` (skorch's
        :class:`~skorch.hf.AccelerateMixin`): multi-GPU or multi-node data
        parallelism under ``accelerate launch``, mixed precision, gradient
        accumulation; see :doc:`/user_guide/scale_out`. ``None`` trains with
        plain skorch on ``device``.
        """,
    ),
    "compile": (
        "bool",
        """
        Compile the network with ``torch.compile`` (skorch's ``compile=True``;
        arguments of ``torch.compile`` pass as ``compile__<name>``, e.g.
        ``compile__mode="max-autotune"``). The first fit and the first
        prediction on a new input shape pay the compilation (tens of seconds
        on a CPU, see :doc:`/benchmarks`); later calls may run faster, most
        on a GPU. Needs a working C++ compiler on a CPU. Off by default:
        on the CPU the measured gain did not pay for the compile time.
        """,
    ),
    "precision": (
        '{"fp32", "bf16"}',
        """
        ``"bf16"`` trains and predicts under ``torch.autocast`` with
        bfloat16 on a CUDA device (weights, optimizer state and returned
        predictions stay float32): matrix products run on the GPU's bf16
        tensor cores. CUDA only: a CPU fit with ``"bf16"`` is a
        ``ValueError`` (without bf16 units, CPUs emulate it slowly, and
        results would differ from float32). ``"fp32"`` computes in float32.
        """,
    ),
    "verbose": (
        "int",
        """
        0 is silent, 1 prints skorch's table of epochs (losses, durations),
        2 also shows a progress bar per epoch.
        """,
    ),
    "random_state": (
        "int, RandomState instance or None",
        """
        Seeds weight initialisation, shuffling, the validation split,
        dropout and augmentation: with an int, fits on the CPU are
        reproducible. torch's global random state is left untouched.
        """,
    ),
}

#: The ``**kwargs`` of every deep estimator (composed last).
_KWARGS_DOC = (
    "**kwargs",
    "skorch parameters",
    """
    ``optimizer__<name>`` (e.g. ``optimizer__momentum=0.9`` with
    ``optimizer="sgd"``), ``criterion__<name>``, ``iterator_train__<name>``
    and ``iterator_valid__<name>`` (e.g. ``iterator_train__num_workers=2``;
    on a CUDA device ``pin_memory`` is on unless set here) and
    ``compile__<name>`` (arguments of ``torch.compile`` with
    ``compile=True``) are passed through to the skorch net as in skorch
    itself. They are
    returned by ``get_params``, settable with ``set_params`` and thus in
    ``GridSearchCV`` (``{"optimizer__momentum": [0.0, 0.9]}``). Names the
    estimator sets itself (``optimizer__lr``, ``optimizer__weight_decay``,
    ``criterion__reduction``, ``criterion__weight`` of classifiers, the
    iterators' ``batch_size``) are refused: use ``lr``, ``weight_decay``,
    ``class_weight``, ``batch_size``. Any other name is a ``TypeError``.
    """,
)

#: The line of a class docstring that :func:`compose_training_doc` replaces.
TRAINING_PARAMETERS_MARKER = "{training_parameters}"
#: ... and the line of its Attributes section replaced by the fitted
#: attributes every deep estimator has (``TRAINING_ATTRIBUTES_DOC``).
TRAINING_ATTRIBUTES_MARKER = "{training_attributes}"
TRAINING_ATTRIBUTES_DOC = """\
net_ : skorch.NeuralNet
    The trained skorch net; ``module_`` and ``history_`` are shortcuts.
max_epochs_ : int
    The number of epochs to train for (``max_epochs`` resolved).
n_epochs_ : int
    Epochs in the training history: fewer than ``max_epochs_`` when
    early stopping ended training; with ``warm_start``, summed over the
    continued fits.
validation_fraction_ : float
    The fraction of the training samples held out for validation in the
    last fit (``validation_fraction`` resolved; 0.0 without a split, and
    with ``validation_data``)."""


def _format_default(value) -> str:
    return f'"{value}"' if isinstance(value, str) else repr(value)


def _doc_entry(indent: str, head: str, text: str) -> str:
    body = textwrap.indent(textwrap.dedent(text).strip(), indent + "    ")
    return f"{indent}{head}\n{body}"


def _with_note(
    type_: str, text: str, note: str | tuple[str, str] | None
) -> tuple[str, str]:
    """An entry's type and text with a class's note: a tuple ``(type, text)``
    replaces both, a string is appended to the text."""
    if isinstance(note, tuple):
        return note
    if note is not None:
        text = f"{textwrap.dedent(text).strip()}\n{textwrap.dedent(note).strip()}"
    return type_, text


def compose_training_doc(cls=None, /, **notes: str | tuple[str, str]):
    """Class decorator: document the shared training arguments in ``cls``.

    Replaces the line ``{training_parameters}`` of the class docstring (in
    its Parameters section) with one entry per argument of
    ``TRAINING_PARAMETER_DOCS`` that the class's ``__init__`` takes, in the
    signature's order: ``name : type, default=<the class's own default>``,
    the shared description, then ``notes[name]`` (class-specific remarks)
    when given; ``**kwargs`` last. A ``notes[name]`` that is a tuple
    ``(type, description)`` replaces the shared entry (an argument the class
    takes with other values). An argument the docstring already documents
    itself (``name :`` at the start of a line) is left to it. The docstring
    is composed once, at class definition, so ``help()`` and the API pages
    show the same text. A line ``{training_attributes}`` (in the Attributes
    section) becomes the fitted attributes every deep estimator has
    (``net_``, ``max_epochs_``, ``n_epochs_``).

    Use as ``@compose_training_doc`` or ``@compose_training_doc(lr="...")``.
    A class whose ``__init__`` takes none of the arguments (the abstract
    base) gets all of them, without defaults.
    """

    unknown = set(notes) - set(TRAINING_PARAMETER_DOCS) - {"kwargs"}
    if unknown:
        raise ValueError(f"notes for unknown training arguments {sorted(unknown)}")

    def decorate(cls):
        doc = cls.__doc__
        if doc is None:  # python -OO
            return cls
        match = re.search(
            rf"^([ \t]*){re.escape(TRAINING_PARAMETERS_MARKER)}[ \t]*$",
            doc,
            flags=re.MULTILINE,
        )
        if match is None:
            raise ValueError(
                f"{cls.__name__}'s docstring has no {TRAINING_PARAMETERS_MARKER} "
                "line in its Parameters section for compose_training_doc to fill."
            )
        indent = match.group(1)
        signature = inspect.signature(cls.__init__).parameters
        names = [name for name in signature if name in TRAINING_PARAMETER_DOCS]
        with_defaults = bool(names)
        if not with_defaults:
            names = list(TRAINING_PARAMETER_DOCS)
        entries = []
        for name in names:
            if re.search(rf"^{indent}{name} :", doc, flags=re.MULTILINE):
                continue  # documented by the class itself
            type_, text = _with_note(*TRAINING_PARAMETER_DOCS[name], notes.get(name))
            head = f"{name} : {type_}"
            if with_defaults:
                head += f", default={_format_default(signature[name].default)}"
            entries.append(_doc_entry(indent, head, text))
        takes_kwargs = any(p.kind is p.VAR_KEYWORD for p in signature.values())
        if takes_kwargs or not with_defaults:
            name, type_, text = _KWARGS_DOC
            type_, text = _with_note(type_, text, notes.get("kwargs"))
            entries.append(_doc_entry(indent, f"{name} : {type_}", text))
        doc = doc[: match.start()] + "\n".join(entries) + doc[match.end() :]
        cls.__doc__ = fill_doc_marker(
            doc, TRAINING_ATTRIBUTES_MARKER, TRAINING_ATTRIBUTES_DOC
        )
        return cls

    return decorate if cls is None else decorate(cls)
