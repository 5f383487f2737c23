"""The `snn` command: parse arguments, call the library, report errors in one line.

    snn train CONFIG [--set KEY=VALUE ...] [--run-dir DIR] [--overwrite] [--quiet]
    snn train --resume RUN_DIR [--quiet]
    snn evaluate RUN_DIR
    snn predict RUN_DIR INPUT [-o OUT] [--fold N]
    snn export RUN_DIR --format keras|saved_model|onnx|tflite -o PATH [--fold N]
    snn report DIR
    snn sweep CONFIG [--workers N] [--stack N] [--run-dir DIR] [--set KEY=VALUE ...]
              [--executor local|ray] [--address ADDRESS]
    snn models
    snn diagnose CONFIG|MODEL.keras [--random] [--compare] [--out-dir DIR]
    snn audit CONFIG|MODEL.keras
    snn theory selu-params --mean M --variance V
    snn theory dropout-affine --rate R
    snn completion bash

A mistake in the user's config, data, paths or devices prints one line to stderr and exits
with status 2 (`--debug` shows the traceback instead).
"""

import argparse
import contextlib
import functools
import logging
import os
import signal
import sys
import traceback
from pathlib import Path


def main(argv=None):
    """Run the `snn` command line.

    Args:
        argv: list of str, the arguments after the program name (default: `sys.argv[1:]`).

    Returns:
        int, the exit status: 0 on success, 2 on a user error (also with `--debug`, which
        prints its traceback first), 128 + the signal number when stopped by SIGINT (130)
        or SIGTERM (143), or when the reader of its output went away (SIGPIPE, 141; e.g.
        `snn predict RUN rows.csv | head`).
    """
    args = _parser().parse_args(argv)

    def command():
        _choose_backend(args)
        prepare_console()
        return args.command(args)

    return run_reporting_errors(command, args.debug)


def _choose_backend(args):
    """Run Keras on the backend the command's experiment file names in `training.backend`;
    this must happen before anything imports Keras, which fixes its backend then."""
    if getattr(args, "resume", None):
        path = Path(args.resume) / "config.yaml"  # the run's own config (snn.runs.CONFIG)
    elif args.command is _evaluate:
        path = Path(args.run_dir) / "config.yaml"
    else:
        path = getattr(args, "config", None) or getattr(args, "target", None)
    if path is None or Path(path).suffix not in (".yaml", ".yml"):
        return
    from snn.config import configured_backend, use_backend

    use_backend(configured_backend(path, getattr(args, "overrides", ())), str(path))


def prepare_console():
    """Set up a console program: the library's warnings printed as one "snn: warning: ..."
    line each, and TensorFlow's Python-side warnings hidden. Keras is not imported here:
    a command imports it (`import_keras_quietly`) once it needs it, so that `--help`,
    `--version`, `theory`, `models` and config errors answer in a moment."""
    from snn.util.console import log_warnings_to_stderr, quiet_backend_logs

    quiet_backend_logs()
    log_warnings_to_stderr()


def reproduction_parser(doc, out_dir, stacking=False):
    """The command line of a `scripts/reproduce_*.py` script, with the options they share.

    Args:
        doc: the script's docstring (its first line is the description).
        out_dir: Path, the default of `--out-dir`.
        stacking: whether its grid runs can train stacked (`--stack N`, as for
            `snn sweep`); not where each run is a k-fold or Figure 1's run.

    Returns:
        argparse.ArgumentParser with --out-dir, --workers, --executor, --address, --set
        and --debug, and --stack with `stacking`.
    """
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=out_dir,
                        help=f"output directory (default: {out_dir})")
    parser.add_argument("--workers", type=int, default=None,
                        help="parallel worker processes (default: one per CPU core)")
    parser.add_argument("--executor", choices=("local", "ray"), default="local",
                        help="local worker processes (default) or tasks on a Ray cluster, "
                        "as for snn sweep")
    parser.add_argument("--address", help="with --executor ray: the Ray cluster (e.g. auto)")
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="KEY=VALUE", help="override applied to every run")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    if stacking:
        _add_stack(parser)
    return parser


def run_script(function, args):
    """Run a script's `function(args)` as the `snn` command runs its commands.

    Returns:
        int, the exit status (2 for a user error, reported in one line).
    """
    from snn.util.console import import_keras_quietly

    prepare_console()
    import_keras_quietly()
    return run_reporting_errors(lambda: function(args), args.debug)


def run_reporting_errors(function, debug=False):
    """Call `function()`; a user error becomes one line on stderr and exit status 2, Ctrl-C
    or SIGTERM a line saying where the run stopped (and how to resume it) and status 130
    or 143, a closed output pipe status 141 without a word.

    Args:
        function: callable returning an exit status.
        debug: print a user error's traceback before its line (Ctrl-C's: re-raise it).

    Returns:
        int, the exit status.
    """
    from snn.errors import RunInterrupted, SNNError

    try:
        return function()
    except SNNError as error:
        if debug:
            traceback.print_exc()
        print(f"snn: error: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader (e.g. `head`) has what it wanted; Python would complain again when it
        # flushes stdout at exit, so stdout goes to /dev/null from here on.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + signal.SIGPIPE
    except RunInterrupted as stopped:
        print(f"snn: interrupted: {stopped}", file=sys.stderr)
        return 128 + stopped.signum
    except KeyboardInterrupt:
        if debug:
            raise
        print("snn: interrupted", file=sys.stderr)
        return 130


def _parser():
    from snn.version import __version__

    parser = argparse.ArgumentParser(
        prog="snn", description="Self-normalizing neural networks on Keras 3.")
    parser.add_argument("--debug", action="store_true",
                        help="show the full traceback of an error")
    parser.add_argument("--version", action="version", version=f"snn {__version__}")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    for add in (_add_train, _add_sweep, _add_evaluate, _add_predict, _add_export, _add_report,
                _add_models, _add_diagnose, _add_audit, _add_theory, _add_completion):
        add(commands)
    return parser


def _command(commands, name, handler, help):
    """A sub-command's parser, running `handler(args)`; `--debug` is taken after it too."""
    command = commands.add_parser(name, help=help)
    command.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                         help="show the full traceback of an error")
    command.set_defaults(command=handler)
    return command


def _add_overrides(command, help):
    command.add_argument("--set", dest="overrides", action="append", default=[],
                         metavar="KEY=VALUE", help=help)


def _add_train(commands):
    train = _command(commands, "train", _train, "train an experiment from a YAML config, "
                     "or resume an interrupted run")
    train.add_argument("config", nargs="?",
                       help="experiment file, e.g. configs/digits_snn.yaml")
    _add_overrides(train, "override a config value, e.g. --set model.depth=16 (repeatable)")
    train.add_argument("--run-dir", help="directory for this run "
                       "(default: <output.dir>/<name>-<timestamp>)")
    train.add_argument("--quiet", action="store_true",
                       help="no progress bar or per-epoch lines; still the results table")
    existing = train.add_mutually_exclusive_group()
    existing.add_argument("--overwrite", action="store_true",
                          help="replace the run already in --run-dir")
    existing.add_argument("--resume", metavar="RUN_DIR",
                          help="continue an interrupted run from its last checkpoint, with "
                          "its own config (no CONFIG)")


def _train(args):
    from snn import runs
    from snn.config import load_config
    from snn.errors import ConfigError
    from snn.util.console import import_keras_quietly

    if args.resume is not None:
        if args.config or args.overrides or args.run_dir:
            raise ConfigError("--resume RUN_DIR: got CONFIG, --set or --run-dir as well; a "
                              "resumed run keeps its own config and directory")
        runs.check_resumable(args.resume)  # a mistake is said before Keras loads
        import_keras_quietly()
        from snn.training import resume

        metrics = resume(args.resume, verbose=0 if args.quiet else 1)
    else:
        if args.config is None:
            raise ConfigError("snn train: expected CONFIG (an experiment file) or "
                              "--resume RUN_DIR")
        config = load_config(args.config, args.overrides)
        if config.sweep is not None:
            logging.getLogger("snn").warning(
                "%s has a sweep: section; `snn train` runs its base settings once "
                "(`snn sweep` runs the grid)", args.config)
        import_keras_quietly()
        from snn.training import train

        with naming_config_file(args.config):
            metrics = train(config, args.run_dir, verbose=0 if args.quiet else 1,
                            overwrite=args.overwrite)
    print(f"\nRun saved to {metrics['run_dir']}")
    rows = {"validation": metrics["validation"], "test": metrics["test"]}
    folds = len(metrics["folds"])
    if folds > 1:
        rows = {f"{label} (mean of {folds} folds)": values for label, values in rows.items()}
        rows["test std"] = metrics["test_std"]
    print(format_metrics(rows))
    epochs = metrics["epochs_run"]
    if epochs == 0:  # a scikit-learn reference method: one fit, no epochs
        print(f"fitted in {metrics['train_seconds']:.1f} s")
    else:
        print(f"{epochs} epoch{'s' if epochs != 1 else ''} in {metrics['train_seconds']:.1f} "
              f"s ({metrics['samples_per_second']:,.0f} samples/s)")
    return 0


def _add_sweep(commands):
    sweep = _command(commands, "sweep", _sweep, "train every combination of a config's "
                     "sweep.grid, or the trials of its sweep.search, and select the best")
    sweep.add_argument("config", help="experiment file with a sweep: section")
    _add_overrides(sweep, "override a config value in every run (repeatable)")
    sweep.add_argument("--run-dir", help="directory of the sweep, one run directory per "
                       "combination or trial inside (default: <output.dir>/<name>-sweep); "
                       "running again into it resumes the sweep")
    sweep.add_argument("--workers", type=int, default=None,
                       help="parallel worker processes (default: one per CPU core); with "
                       "--executor ray, the most runs at once (default: as many as the "
                       "cluster has CPUs, one each)")
    sweep.add_argument("--executor", choices=["local", "ray"], default="local",
                       help="train the runs in processes of this machine (default), or as "
                       "tasks on a Ray cluster (pip install 'snn[ray]'; on several machines "
                       "the sweep directory must be on shared storage)")
    sweep.add_argument("--address", default=None,
                       help="with --executor ray: the cluster for ray.init, e.g. auto, "
                       "ray://HOST:10001, or local for a new local runtime (default: "
                       "$RAY_ADDRESS, else a new local runtime)")
    _add_stack(sweep)


def _add_stack(parser):
    parser.add_argument("--stack", type=int, default=1, metavar="N",
                        help="train up to N grid runs together as one stacked model, each "
                        "to the result it would reach alone, when they differ only in "
                        "model, learning rate, seed or early stopping (default: 1, every "
                        "run alone; stacked runs keep no checkpoints)")


def _sweep(args):
    from snn.sweeps import SELECTED, SWEEP_CSV, plan_sweep, run_sweep
    from snn.util.console import import_keras_quietly

    sweep = plan_sweep(args.config, args.overrides)
    import_keras_quietly()  # one worker trains in this process
    result = run_sweep(sweep, args.run_dir, args.workers, executor=args.executor,
                       address=args.address, stack=args.stack)
    statuses = [outcome.status for outcome in result.outcomes.values()]
    metric, _ = sweep.config.sweep.selection
    pruned = f"{statuses.count('pruned')} pruned, " if sweep.config.sweep.search else ""
    print(f"\n{statuses.count('completed')} of {len(statuses)} runs completed, {pruned}"
          f"{statuses.count('failed')} failed")
    print(f"Selected {result.selected}: validation {metric} {result.value:.4f}")
    for number, choice in enumerate(result.folds or [], start=1):
        print(f"Fold {number}: selected {choice.run.name} (validation {metric} "
              f"{choice.value:.4f}): " + ", ".join(f"test {k} {v:.4f}"
                                                    for k, v in choice.test.items())
              if choice else f"Fold {number}: no run completed")
    if result.folds and result.estimate:
        print("Nested estimate, the mean over folds: " + ", ".join(
            f"test {k} {v:.4f}" for k, v in result.estimate.items()))
    if result.final is not None and result.final.status == "completed":
        print("Final run of the selected settings: " + ", ".join(
            f"test {k} {v:.4f}" for k, v in result.final.metrics["test"].items()))
    elif result.final is not None:
        print(f"Final run of the selected settings failed: {result.final.reason}")
    print(f"Results in {result.sweep_dir / SWEEP_CSV}; the selected config in "
          f"{result.sweep_dir / SELECTED}")
    return 0


def _add_evaluate(commands):
    evaluate = _command(commands, "evaluate", _evaluate,
                        "reload a finished run and recompute its test metrics")
    evaluate.add_argument("run_dir", help="a run directory written by `snn train`")


def _evaluate(args):
    from snn import runs
    from snn.util.console import import_keras_quietly
    from snn.util.files import read_json

    runs.check_complete(args.run_dir)  # a mistake is said before Keras loads
    import_keras_quietly()
    from snn.training import evaluate

    test = evaluate(args.run_dir)
    recorded = read_json(os.path.join(args.run_dir, runs.METRICS))["test"]
    print(format_metrics({"test": test, "recorded": recorded}))
    return 0


def _add_predict(commands):
    predict = _command(commands, "predict", _predict,
                       "predict on new rows with a finished run (its preprocessing included)")
    _add_trained_run(predict, "of the folds' outputs")
    predict.add_argument("input", type=Path,
                         help="rows to predict on: .csv, .csv.gz, .parquet or .npz; a "
                         "table's columns are matched by name and its label column unused")
    predict.add_argument("-o", "--output", type=Path, default=None,
                         help="where to write the predictions (.csv or .parquet; default: "
                         "CSV on standard output)")


def _add_trained_run(command, averaged):
    """RUN_DIR and --fold, for the commands that use a finished run's models."""
    command.add_argument("run_dir", help="a run directory written by `snn train`")
    command.add_argument("--fold", type=int, default=None,
                         help=f"one fold's model of a k-fold run (from 1); default: the mean "
                         f"{averaged}")


def _predict(args):
    from snn import runs
    from snn.errors import ConfigError
    from snn.util.console import import_keras_quietly
    from snn.util.files import write_atomic

    runs.check_complete(args.run_dir)  # a mistake is said before Keras loads
    if args.output is not None and args.output.suffix not in (".csv", ".parquet"):
        raise ConfigError(f"--output: got {str(args.output)!r}; expected a .csv or .parquet "
                          "file name")
    import_keras_quietly()
    from snn.inference import load_run, predictions_table, read_rows

    run = load_run(args.run_dir, args.fold)
    table = predictions_table(run, *read_rows(args.input, run))
    if args.output is None:
        table.to_csv(sys.stdout, index=False)
        return 0
    writer = table.to_parquet if args.output.suffix == ".parquet" else \
        functools.partial(table.to_csv, index=False)
    write_atomic(args.output, writer)
    print(f"{len(table)} predictions written to {args.output}")
    return 0


def _add_export(commands):
    export = _command(commands, "export", _export,
                      "export a finished run's network with its preprocessing, for raw rows")
    _add_trained_run(export, "of the folds' outputs, inside the exported model")
    export.add_argument("--format", required=True,
                        choices=["keras", "saved_model", "onnx", "tflite"],
                        help="keras (.keras file), saved_model (TensorFlow SavedModel "
                        "directory), onnx (.onnx) or tflite (LiteRT .tflite)")
    export.add_argument("-o", "--output", type=Path, required=True,
                        help="the file (or SavedModel directory) to write; a JSON "
                        "description is written beside it")


def _export(args):
    from snn import runs
    from snn.util.console import import_keras_quietly

    runs.check_complete(args.run_dir)  # a mistake is said before Keras loads
    import_keras_quietly()
    from snn.export import export_run

    written = export_run(args.run_dir, args.format, args.output, args.fold)
    inputs = (f"the columns {', '.join(written.inputs)}" if written.inputs else
              "arrays of the run's input shape")
    print(f"{args.format} model written to {written.path}; it takes {inputs} (float32) "
          f"and is described in {written.description}")
    if written.encoder:
        print(f"Categorical columns are not encoded inside the model: encode raw rows with "
              f"{written.encoder} first (snn.data.TableEncoder.load(path).apply(table))")
    return 0


def _add_report(commands):
    report = _command(commands, "report", _report, "write report.md with tables and PNG "
                      "plots for a run, sweep or paper comparison directory")
    report.add_argument("directory", help="a run, sweep or comparison directory")


def _report(args):
    from snn.report import write_report

    path = write_report(args.directory)
    print(f"Report written to {path}")
    return 0


def _add_models(commands):
    _command(commands, "models", _models,
             "list the registered model builders and their config arguments")


def _models(args):
    from snn.models import list_models, model_arguments
    from snn.schema import check

    for name in list_models():
        defaults = ", ".join(  # as a config would hold them: lists, not tuples
            f"{argument}={check(default, annotation, argument)!r}"
            for argument, (annotation, default) in model_arguments(name).items())
        print(f"{name}({defaults})")
    return 0


@contextlib.contextmanager
def naming_config_file(path):
    """Prefix the config file's path to config errors found after it was read (a value that
    does not fit the data, say), so every config error names its file."""
    from snn.errors import ConfigError

    try:
        yield
    except ConfigError as error:
        if str(error).startswith(str(path)):
            raise
        raise ConfigError(f"{path}: {error}", key=error.key) from None


def _model_and_inputs(target, overrides, samples, random):
    """The model and inputs a config describes (as `snn train` would see them) or a .keras
    file's model with N(0, 1) inputs. Returns (name, model, x, fixed_point)."""
    import numpy as np

    from snn.config import load_config
    from snn.errors import ConfigError
    from snn.models import model_kind
    from snn.util.console import import_keras_quietly

    path = Path(target)
    config = None if path.suffix == ".keras" else load_config(path, overrides)
    import_keras_quietly()
    from snn.runs import load_model
    from snn.training import prepare

    if config is None:
        # Run directories all hold a model.keras: name it after its directory too.
        name = f"{path.resolve().parent.name}-{path.stem}"
        model, x, fixed_point = load_model(path), None, (0.0, 1.0)
    else:
        if model_kind(config.model.name) == "reference":
            raise ConfigError(f"{path}: model.name: {config.model.name!r} is not a neural "
                              "network; diagnose and audit look at a network's layers",
                              key="model.name")
        with naming_config_file(path):
            experiment = prepare(config)
        model, name = experiment.model, config.name
        x = experiment.splits["train"][0][:samples]
        fixed_point = config.model.fixed_point
    if random or x is None:
        rng = np.random.default_rng(0)
        x = rng.standard_normal((samples, *model.input_shape[1:])).astype("float32")
    return name, model, x, fixed_point


def _add_diagnose(commands):
    diagnose = _command(commands, "diagnose", _diagnose, "per-layer activation statistics "
                        "of a config's model or a .keras file")
    diagnose.add_argument("target", help="experiment file or .keras model")
    diagnose.add_argument("--random", action="store_true",
                          help="feed N(0, 1) inputs instead of the configured data")
    diagnose.add_argument("--compare", action="store_true",
                          help="also the same architecture with ReLU + He and tanh + Glorot")
    diagnose.add_argument("--samples", type=int, default=1000,
                          help="number of inputs pushed through (default 1000)")
    diagnose.add_argument("--out-dir", help="where the table and plot go "
                          "(default: diagnostics/<name>)")
    _add_overrides(diagnose, "override a config value (repeatable)")


def _diagnose(args):
    name, model, x, fixed_point = _model_and_inputs(args.target, args.overrides, args.samples,
                                                    args.random)
    from snn.diagnostics import compare_activations, layer_statistics, plot_statistics
    from snn.diagnostics import write_statistics_csv

    saved = args.target.endswith(".keras")
    label = "as saved" if saved else "SELU + LeCun"
    series = (compare_activations(model, x, label) if args.compare
              else {label: layer_statistics(model, x)})
    out_dir = Path(args.out_dir or Path("diagnostics") / name)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_statistics_csv(list(series.items()), out_dir / "layer_statistics.csv")
    inputs = "N(0, 1) inputs" if args.random or saved else "its data"
    state = "" if saved else " at initialization"
    plot_statistics(series, out_dir / "layer_statistics.png",
                    f"{name}: hidden activations{state} on {inputs}", fixed_point)
    print(format_statistics(series))
    print(f"\nTable and plot written to {out_dir}/layer_statistics.csv and .png")
    return 0


def format_statistics(series):
    """A text table of per-layer mean and variance, one column pair per series.

    Args:
        series: dict {label: list of LayerStatistics}, all of the same depth.

    Returns:
        str without a trailing newline.
    """
    labels = list(series)
    layers = [record.layer for record in series[labels[0]]]
    width = max([len("layer")] + [len(layer) for layer in layers])
    header = f"{'layer':<{width}}" + "".join(f"  {label:>21}" for label in labels)
    columns = f"{'':<{width}}" + "  {:>10} {:>10}".format("mean", "variance") * len(labels)
    lines = [header, columns]
    for depth, layer in enumerate(layers):
        cells = "".join(f"  {series[label][depth].mean:>10.4f} "
                        f"{series[label][depth].variance:>10.4f}" for label in labels)
        lines.append(f"{layer:<{width}}{cells}")
    return "\n".join(lines)


def _add_audit(commands):
    audit = _command(commands, "audit", _audit, "check a config's model (and inputs) or a "
                     ".keras file for what breaks self-normalization; exit status 1 when "
                     "anything is found")
    audit.add_argument("target", help="experiment file or .keras model")
    _add_overrides(audit, "override a config value (repeatable)")


def _audit(args):
    name, model, x, _ = _model_and_inputs(args.target, args.overrides, samples=1000,
                                          random=False)
    from snn.diagnostics import audit

    findings = audit(model, None if args.target.endswith(".keras") else x)
    for finding in findings:
        print(finding)
    if not findings:
        print(f"{name}: no findings; the model is built as a self-normalizing network")
    return 1 if findings else 0


def _add_theory(commands):
    theory = commands.add_parser("theory", help="the SNN paper's numbers")
    quantities = theory.add_subparsers(required=True, metavar="QUANTITY")
    params = _command(quantities, "selu-params", _selu_params,
                      "SELU alpha and scale for a fixed point (mean, variance)")
    params.add_argument("--mean", type=float, default=0.0)
    params.add_argument("--variance", type=float, default=1.0)
    params.add_argument("--omega", type=float, default=0.0,
                        help="sum of a unit's weights (0: LeCun init; 1: reference notebook)")
    params.add_argument("--tau", type=float, default=1.0,
                        help="sum of squares of a unit's weights (1: LeCun init)")
    affine = _command(quantities, "dropout-affine", _dropout_affine,
                      "alpha dropout's affine correction (a, b) for a rate")
    affine.add_argument("--rate", type=float, required=True)
    affine.add_argument("--mean", type=float, default=0.0, help="fixed point mean")
    affine.add_argument("--variance", type=float, default=1.0, help="fixed point variance")


def _selu_params(args):
    from snn.theory import selu_parameters

    alpha, scale = _theory_call(selu_parameters, args.mean, args.variance, args.omega,
                                args.tau)
    print(f"alpha = {alpha:.16g}\nscale = {scale:.16g}")
    return 0


def _dropout_affine(args):
    from snn.theory import alpha_dropout_affine, selu_parameters

    alpha, scale = _theory_call(selu_parameters, args.mean, args.variance)
    a, b = _theory_call(alpha_dropout_affine, args.rate, args.mean, args.variance, alpha,
                        scale)
    print(f"a = {a:.10g}\nb = {b:.10g}")
    return 0


def _theory_call(function, *arguments):
    """The theory functions raise ValueError for bad numbers: here that is a user error."""
    from snn.errors import ConfigError

    try:
        return function(*arguments)
    except ValueError as error:
        raise ConfigError(str(error)) from None


def _add_completion(commands):
    completion = _command(commands, "completion", _completion,
                          "print a shell completion script: eval \"$(snn completion bash)\"")
    completion.add_argument("shell", choices=["bash"],
                            help="bash (zsh: run `autoload -U +X bashcompinit && "
                            "bashcompinit` first)")


def _completion(args):
    print(completion_script(_parser()))
    return 0


def completion_script(parser):
    """A bash completion function for `snn`, generated from its argument parser.

    It completes the command, a command's options (and `theory`'s quantities), and file
    names elsewhere.

    Args:
        parser: the `snn` argparse.ArgumentParser.

    Returns:
        str, bash code defining `_snn` and registering it with `complete`.
    """
    def words(command_parser):
        found = []
        for action in command_parser._actions:  # argparse keeps no public list of them
            found += action.option_strings
            if isinstance(action, argparse._SubParsersAction):
                found += list(action.choices)
        return " ".join(word for word in found if word != "-h")

    commands = next(action for action in parser._actions
                    if isinstance(action, argparse._SubParsersAction)).choices
    cases = "\n".join(f"        {name}) words=\"{words(command)}\" ;;"
                       for name, command in commands.items())
    return f"""_snn() {{
    local current=${{COMP_WORDS[COMP_CWORD]}} words
    if [[ $COMP_CWORD -eq 1 ]]; then
        words="{words(parser)}"
    else
        case ${{COMP_WORDS[1]}} in
{cases}
        esac
    fi
    if [[ $COMP_CWORD -eq 1 || $current == -* ||
          ${{COMP_WORDS[1]}} == theory && $COMP_CWORD -eq 2 ]]; then
        COMPREPLY=($(compgen -W "$words" -- "$current"))
    else
        COMPREPLY=($(compgen -f -- "$current"))
    fi
}}
complete -o filenames -F _snn snn"""


def format_metrics(rows):
    """A small text table: one row per split, one column per metric.

    Args:
        rows: dict {row label: {metric: float}}; the metrics of the first row set the
            columns.

    Returns:
        str, the table without a trailing newline.
    """
    columns = list(next(iter(rows.values())))
    width = max(len(label) for label in rows)
    lines = ["  ".join([" " * width] + [f"{c:>10}" for c in columns])]
    for label, values in rows.items():
        lines.append("  ".join([f"{label:<{width}}"] +
                               [f"{values.get(c, float('nan')):>10.4f}" for c in columns]))
    return "\n".join(lines)
