"""The giebench command: data, recordings, cache and run comparison, around the pytest gate."""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from giebench_fixtures import __version__
from giebench_fixtures.asking.cache import RESPONSES_FILE, ResponseCache
from giebench_fixtures.data import release, sample
from giebench_fixtures.data.items import LETTERS, VARIANTS, Dataset
from giebench_fixtures.data.loading import load_source, require_items
from giebench_fixtures.data.repository import cache_dir, find_repository, require_repository
from giebench_fixtures.errors import GiebenchError


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    try:
        return int(args.run(args))
    except GiebenchError as exc:
        print(f"giebench: {exc}", file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="giebench", description=__doc__)
    parser.add_argument("--version", action="version", version=f"giebench {__version__}")
    commands = parser.add_subparsers(metavar="COMMAND")

    data = commands.add_parser("data", help="download, inspect and render GIEBench data")
    data.set_defaults(run=lambda _args: _usage(data))
    data_commands = data.add_subparsers(metavar="ACTION")
    stats = data_commands.add_parser("stats", help="items per dimension and identity, letters, validation")
    stats.add_argument("source", nargs="?", default=None, help="sample, official or a folder")
    stats.set_defaults(run=_stats)
    audit = data_commands.add_parser(
        "audit", help="answer-only shortcut baselines: can a surface cue find the fitting answer?"
    )
    audit.add_argument(
        "source",
        nargs="*",
        default=[],
        help="sample, official or a folder (its Raw prompts), or item files in source.json's format",
    )
    audit.add_argument(
        "--max-cue", default=None, metavar="X", help="exit 1 when any cue's overall accuracy exceeds X"
    )
    audit.set_defaults(run=_audit)
    pull = data_commands.add_parser("pull", help="download and verify the official release")
    pull.add_argument(
        "--from",
        dest="from_folder",
        type=Path,
        default=None,
        help="install files you downloaded yourself from this folder",
    )
    pull.set_defaults(run=_pull)
    render = data_commands.add_parser("render-sample", help="write data/sample/*.json from source.json")
    render.add_argument("--check", action="store_true", help="only check they are in sync")
    render.set_defaults(run=_render_sample)

    plan = commands.add_parser(
        "plan", help="before a run: which checks can be judged, and what each can detect (its power)"
    )
    plan.add_argument("source", nargs="?", default=None, help="sample, official or a folder")
    plan.add_argument(
        "--thresholds",
        type=Path,
        default=None,
        help="thresholds file (default: thresholds.toml of the checkout you run in)",
    )
    plan.add_argument("--variants", default="raw,id,cot", help="comma list of raw,id,cot (default all three)")
    plan.add_argument(
        "--circular", action="store_true", help="plan a --circular run (circular bars and chance 1/256)"
    )
    plan.set_defaults(run=_plan)

    imports = commands.add_parser(
        "import-results", help="turn published result files (with an 'answer' field) into recordings"
    )
    imports.add_argument("folder", type=Path, help="folder with <Model>-Raw-Prompt.json and the others")
    imports.add_argument("--model", required=True, help="the model name the recordings are for")
    imports.add_argument("--prefix", default=None, help="file prefix when the folder holds several models")
    imports.set_defaults(run=_import_results)

    recordings = commands.add_parser("recordings", help="recorded responses: prune a model's unused ones")
    recordings.add_argument("action", choices=["prune"])
    recordings.add_argument("model", help="the model whose recordings to prune (required, never all)")
    recordings.add_argument("--data", default=None, help="sample, official or a folder (default as a run)")
    recordings.add_argument("--yes", action="store_true", help="remove them (without it: only list them)")
    recordings.set_defaults(run=_prune_recordings)

    cache = commands.add_parser("cache", help="where responses are cached; clear them")
    cache.add_argument("action", choices=["info", "clear"])
    cache.set_defaults(run=_cache)

    compare = commands.add_parser(
        "compare", help="which identities got worse between two JSON reports (old model vs new model)"
    )
    compare.add_argument("old", type=Path, help="the report of the old model (--giebench-report=PATH)")
    compare.add_argument("new", type=Path, help="the report of the new model")
    compare.add_argument(
        "--alpha", type=_alpha, default=0.05, help="significance level of the McNemar test (default 0.05)"
    )
    compare.add_argument("--markdown", type=Path, default=None, help="also write the comparison here")
    compare.add_argument(
        "--fail-on-regression", action="store_true", help="exit 1 when any significant regression is found"
    )
    compare.set_defaults(run=_compare)

    board = commands.add_parser(
        "leaderboard", help="several models side by side in the paper's tables, from their JSON reports"
    )
    board.add_argument("reports", nargs="+", type=Path, help="reports made with --giebench-report=PATH")
    board.add_argument("--markdown", type=Path, default=None, help="also write the tables as Markdown here")
    board.add_argument("--html", type=Path, default=None, help="also write a self-contained HTML page here")
    board.set_defaults(run=_leaderboard)

    serve = commands.add_parser(
        "serve-llamacpp", help="a real model offline: llama.cpp's server (xllamacpp) with SmolLM2-135M"
    )
    serve.add_argument("--gguf", type=Path, default=None, help="another GGUF model file (default: SmolLM2)")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument("--slots", type=int, default=1, help="requests the server works on at once")
    serve.add_argument("--context", type=int, default=4096, help="tokens of context per slot")
    serve.add_argument("--threads", type=int, default=None, help="CPU threads (default: llama.cpp's)")
    serve.set_defaults(run=_serve)
    return parser


def _serve(args: argparse.Namespace) -> int:
    from giebench_fixtures.localserver import serve

    serve(args.gguf, port=args.port, slots=args.slots, context=args.context, threads=args.threads)
    return 0


def _checkout() -> Path:
    """The giebench checkout the user runs in (for data/sample), else the current folder."""
    return find_repository(Path.cwd()) or Path.cwd()


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _stats(args: argparse.Namespace) -> int:
    label, folder = release.resolve_source(args.source, _checkout())
    dataset = load_source(folder, source=label)
    require_items(dataset)
    for line in stats_lines(dataset):
        print(line)
    return 0


def _audit(args: argparse.Namespace) -> int:
    from fractions import Fraction

    from giebench_fixtures.data import audit, cues
    from giebench_fixtures.data.answer_model import cross_validated, model_line

    bar = None if args.max_cue is None else _max_cue(args.max_cue)
    files = [Path(s) for s in args.source if Path(s).is_file()]
    if files and len(files) == len(args.source):
        items, identities = [], set(cues.KNOWN_IDENTITIES)
        for path in files:
            found, names = audit.read_item_file(path)
            items += found
            identities |= set(names)
        about = [f"audit of {', '.join(map(str, files))} (item files, as written)"]
    elif len(args.source) > 1:
        raise GiebenchError(
            "giebench data audit: give one source (sample, official, a folder), or item files"
        )
    else:
        label, folder = release.resolve_source(args.source[0] if args.source else None, _checkout())
        dataset = load_source(folder, source=label)
        require_items(dataset)
        items, identities = (
            audit.items_of(dataset),
            set(cues.KNOWN_IDENTITIES) | set(audit.identities_of(dataset)),
        )
        about = [f"audit of {label}, its Raw prompts", f"source: {label} ({dataset.describe()['note']})"]
    results = audit.audit(items, cues.cues_for(identities))
    about.append(
        f"{len(items)} items, {len(results)} cues that never read the identity; "
        f"chance {cues.CHANCE:.2f}, tied picks share the credit"
    )
    for line in audit.audit_lines(results, audit.dimensions_in_order(items), about):
        print(line)
    print()
    print(audit.coverage(items).line())
    model = cross_validated(items)
    print(model_line(model))
    if bar is None:
        return 0
    above = audit.cues_above(results, Fraction(bar))
    lines = []
    if above:
        listing = ", ".join(f"{r.cue.name} {r.accuracy:.2f}" for r in above)
        lines.append(f"--max-cue {args.max_cue}: {len(above)} cue(s) above it: {listing}")
    if model is None or not model.folds:
        lines.append(f"--max-cue {args.max_cue}: the answer-only model was not judged, so this is no pass")
    elif model.accuracy > float(Fraction(bar)):
        lines.append(f"--max-cue {args.max_cue}: the answer-only model is above it: {model.accuracy:.2f}")
    print()
    print(
        "\n".join(lines or [f"--max-cue {args.max_cue}: every cue and the answer-only model at or below it"])
    )
    return 1 if lines else 0


def _max_cue(text: str) -> str:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 1:
        raise GiebenchError(f"--max-cue {text!r}: give an accuracy between 0 and 1, e.g. --max-cue 0.30")
    return text


def stats_lines(dataset: Dataset) -> list[str]:
    from giebench_fixtures.data.items import swap_sets

    """The identity table of the paper for a source, letter balance and validation."""
    info = dataset.describe()
    lines = [
        f"source: {info['source']} ({info['note']})",
        f"folder: {info['path']}",
        f"{info['items']} items, {info['dimensions']} dimensions, {info['identities']} identities",
        "",
        f"{'dimension':<12} {'items':>5}  {'right A/B/C/D':<15}  identities (items)",
    ]
    raw = dataset.items[VARIANTS[0]]
    for dim in dataset.dimensions():
        per_identity = Counter(i.identity for i in raw.values() if i.dimension == dim)
        listing = ", ".join(f"{name} ({n})" for name, n in sorted(per_identity.items()))
        right = Counter(i.correct for i in raw.values() if i.dimension == dim)
        shares = "/".join(f"{100 * right[k] / (sum(right.values()) or 1):.0f}" for k in LETTERS)
        lines.append(f"{dim:<12} {sum(per_identity.values()):>5}  {shares + ' %':<15}  {listing}")
    lines.append("")
    sets = swap_sets(raw.values())
    complete = sum(1 for group in sets if len({i.correct for i in group}) == len(LETTERS))
    lines.append(
        f"swap sets (items sharing one Raw prompt, keyed to different answers): {len(sets)}, "
        f"{complete} with every answer keyed once; {sum(len(g) for g in sets)} of {len(raw)} items in sets"
    )
    naming = [i.key for i in raw.values() if _names_identity(i.identity, [i.question, *i.answers])]
    lines.append(
        f"Raw prompts that name their item's identity: {len(naming)}"
        + (f" ({', '.join(naming[:5])}{', ...' if len(naming) > 5 else ''})" if naming else "")
    )
    lines.append("")
    for variant in VARIANTS:
        letters = Counter(i.correct for i in dataset.items[variant].values())
        total = sum(letters.values()) or 1
        shares = "  ".join(f"{k} {letters[k]} ({letters[k] / total:.0%})" for k in LETTERS)
        lines.append(f"correct letters, {variant:<3}: {shares}")
    lines.append("")
    lines.append("validation: OK" + (f", {len(dataset.warnings)} warning(s):" if dataset.warnings else ""))
    lines.extend(f"  - {w}" for w in dataset.warnings)
    return lines


def _names_identity(identity: str, texts: Sequence[str]) -> bool:
    from giebench_fixtures.data.cues import name_forms

    text = " ".join(texts)
    return any(re.search(rf"\b{re.escape(form)}\b", text, re.I) for form in name_forms(identity))


def _plan(args: argparse.Namespace) -> int:
    from giebench_fixtures.data.items import DIMENSIONS, parse_variants
    from giebench_fixtures.judging.thresholds import load_thresholds
    from giebench_fixtures.reports.plan import plan_lines

    label, folder = release.resolve_source(args.source, _checkout())
    dataset = load_source(folder, source=label)
    try:
        variants = parse_variants(args.variants)
    except ValueError as exc:
        raise GiebenchError(str(exc)) from None
    names = tuple(dict.fromkeys([*DIMENSIONS, *dataset.dimensions()]))
    thresholds = load_thresholds(args.thresholds or _checkout() / "thresholds.toml", dimensions=names)
    for line in plan_lines(dataset, thresholds, variants, circular=args.circular):
        print(line)
    return 0


def _pull(args: argparse.Namespace) -> int:
    pinned = release.official_release()
    folder = release.pull(pinned, source_folder=args.from_folder)
    load_source(folder, source="official")
    print(f"installed the GIEBench release (commit {pinned.commit[:12]}) in {folder}")
    print("run the gate on it with: pytest tests_bench --model=NAME --data=official")
    return 0


def _render_sample(args: argparse.Namespace) -> int:
    root = require_repository(Path.cwd(), "giebench data render-sample")
    source = root / "data" / "sample" / sample.SOURCE_NAME
    if not source.is_file():
        raise GiebenchError(f"{source}: missing; the sample is rendered from this file")
    if args.check:
        stale = sample.out_of_sync(source)
        if stale:
            print(f"out of sync with {source}: {', '.join(stale)}; run: giebench data render-sample")
            return 1
        print("data/sample is in sync with source.json")
        return 0
    for path in sample.write(source):
        print(f"wrote {path}")
    return 0


def _import_results(args: argparse.Namespace) -> int:
    from giebench_fixtures.recording.importer import import_results

    snapshots = require_repository(Path.cwd(), "giebench import-results") / "tests_bench" / "__snapshots__"
    written = import_results(args.folder, args.model, snapshots, args.prefix)
    print(f"wrote {len(written)} recordings for {args.model} under {snapshots}")
    print(f"replay them with: pytest tests_bench --model={args.model} --data=DATA")
    return 0


def _prune_recordings(args: argparse.Namespace) -> int:
    from giebench_fixtures.recording.snapshots import unused_recordings

    root = require_repository(Path.cwd(), "giebench recordings prune")
    label, folder = release.resolve_source(args.data, root)
    dataset = load_source(folder, source=label)
    scopes = [(d, i, str(v)) for d in dataset.dimensions() for i in dataset.identities(d) for v in VARIANTS]
    unused = unused_recordings(root / "tests_bench" / "__snapshots__", args.model, scopes)
    if not unused:
        print(f"no unused recordings of {args.model} for the {label} data; nothing removed")
        return 0
    verb = "removing" if args.yes else "would remove"
    print(f"{verb} {len(unused)} recording(s) of {args.model} that no test of the {label} data reads:")
    for path in unused:
        print(f"  {path.relative_to(root)}")
        if args.yes:
            path.unlink()
    if not args.yes:
        print("nothing removed; add --yes to remove them")
    return 0


def _cache(args: argparse.Namespace) -> int:
    path = cache_dir() / RESPONSES_FILE
    if args.action == "info":
        size = sum(p.stat().st_size for p in path.parent.glob(RESPONSES_FILE + "*")) if path.exists() else 0
        count = 0
        if path.exists():
            cache = ResponseCache(path)
            count = cache.count()
            cache.close()
        print(f"response cache: {path} ({count} responses, {size / 1e6:.1f} MB)")
        print("set $GIEBENCH_CACHE_DIR to move it; 'giebench cache clear' empties it")
        return 0
    removed = [p for p in path.parent.glob(RESPONSES_FILE + "*")]
    for p in removed:
        p.unlink()
    print(f"cleared {len(removed)} file(s) of the response cache in {path.parent}")
    return 0


def _alpha(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, not {text}")
    return value


def _compare(args: argparse.Namespace) -> int:
    from giebench_fixtures.reports.compare import compare_reports, load_report, markdown, terminal_lines

    comparison = compare_reports(load_report(args.old), load_report(args.new), alpha=args.alpha)
    for line in terminal_lines(comparison):
        print(line)
    if args.markdown is not None:
        try:
            args.markdown.write_text(markdown(comparison), encoding="utf-8")
        except OSError as exc:
            raise GiebenchError(f"cannot write {args.markdown}: {exc.strerror or exc}") from None
        print(f"wrote {args.markdown}")
    return 1 if args.fail_on_regression and comparison.regressions else 0


def _leaderboard(args: argparse.Namespace) -> int:
    from giebench_fixtures.reports.leaderboard import main as leaderboard

    return leaderboard(args.reports, markdown_path=args.markdown, html_path=args.html)


if __name__ == "__main__":
    raise SystemExit(main())
