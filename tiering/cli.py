"""The ``tiering`` command line: assess one firm, score a CSV, show the rule sets."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pandas as pd

from scoring.api import InputError, assess, refuse_unusable
from scoring.explain import review_summary
from scoring.formatting import fmt_chance, fmt_estimator
from scoring.options import Options
from scoring.rulesets import RuleFileError, load_all, select
from scoring.vocabulary import (
    CALENDAR_STATUS_ZH,
    ESTIMATOR_EN,
    FREE_FILING_EN,
    FREE_FILING_ZH,
    LADDER_NAMES,
    ROUTE_ZH,
    STATUS_EN,
    STATUS_ZH,
)
from tiering import service_cli


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text}") from exc


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--as-of", type=_date, help="assessment date (default: 1 July after fiscal_year)"
    )
    p.add_argument(
        "--mode",
        choices=["new", "review"],
        default="new",
        help="new application or re-review (复核)",
    )


def _options(args) -> Options:
    """The one options value of a command, from its flags (``_common``)."""
    return Options(as_of=args.as_of, mode=args.mode)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tiering", description="科技企业梯度培育评估 / enterprise tiering"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("assess", help="assess one firm from a JSON file (- for stdin)")
    p.add_argument("file")
    p.add_argument("--lang", choices=["zh", "en"], default="zh")
    p.add_argument("--json", action="store_true", help="print the full machine-readable result")
    p.add_argument("--ics", help="also write the firm's filing calendar to this .ics file")
    p.add_argument(
        "--lenient",
        action="store_true",
        help="score a value that cannot be used as unknown instead of refusing the firm",
    )
    _common(p)

    p = sub.add_parser("plan", help="the least-cost plan to a target rung for one firm (JSON)")
    p.add_argument("file")
    p.add_argument("--target", choices=list(LADDER_NAMES), help="default: the next unmet rung")
    p.add_argument("--by", type=int, help="the year to file in (default: the earliest that fits)")
    p.add_argument(
        "--cost",
        action="append",
        default=[],
        metavar="FIELD=YUAN",
        help="replace a unit cost of criteria/plan/costs.yaml (repeatable)",
    )
    p.add_argument("--json", action="store_true")
    _common(p)

    p = sub.add_parser("batch", help="score a spreadsheet (xlsx, xls, csv, parquet)")
    p.add_argument("file")
    p.add_argument("-o", "--output", help="output .xlsx or .csv (default: next to the input)")
    p.add_argument("--reports", help="also write every firm's PDF report into this .zip")
    p.add_argument("--max-rows", type=int, help="refuse files with more data rows")
    p.add_argument("--max-mb", type=int, help="refuse larger files (MB)")
    p.add_argument("--chunk-rows", type=int, default=200_000)
    p.add_argument(
        "--all-gaps",
        action="store_true",
        help="gap sheet: every failed rule of every ladder (default: each firm's next rung "
        "and the ladders it misses by one rule)",
    )
    p.add_argument(
        "--engine",
        choices=["pandas", "dask"],
        default="pandas",
        help="dask: score a Parquet file/dataset on a Dask cluster into a Parquet dataset",
    )
    p.add_argument("--workers", type=int, default=2, help="local Dask workers")
    p.add_argument("--scheduler", help="address of a running Dask scheduler (tcp://host:8786)")
    _common(p)

    p = sub.add_parser("template", help="write the input template workbook")
    p.add_argument(
        "-o", "--output", help="default 企业数据模板.xlsx (历史面板模板.xlsx with --panel)"
    )
    p.add_argument(
        "--panel", action="store_true", help="the history panel template (readiness training)"
    )

    p = sub.add_parser("criteria", help="rule sets in force")
    csub = p.add_subparsers(dest="action", required=True)
    c = csub.add_parser("list")
    c.add_argument("--as-of", type=_date)
    c = csub.add_parser("show")
    c.add_argument("ladder", help="ladder key, or a rule-set name such as gazelle/shandong")
    c.add_argument("--as-of", type=_date)
    c.add_argument("--mode", choices=["new", "review"], default="new")
    p = sub.add_parser("synth", help="write a synthetic history panel (合成数据)")
    p.add_argument("--firms", type=int, default=10_000)
    p.add_argument("--years", type=int, default=5)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--start-year", type=int, default=2021)
    p.add_argument("-o", "--output", default="synthetic_panel.parquet", help=".parquet or .csv")
    p = sub.add_parser("train", help="train readiness models on a history panel")
    p.add_argument("panel", help="history panel: .parquet, .csv or .xlsx (docs/readiness.md)")
    p.add_argument("--synthetic", action="store_true", help="the panel is simulated (合成数据)")
    p.add_argument(
        "--models-dir",
        help="model versions folder (default: TIERING_MODELS_DIR, else the shipped one)",
    )
    p.add_argument("--use", action="store_true", help="make the new version the current one")
    p = sub.add_parser("report", help="PDF guidance report: one firm, or a pool of results")
    p.add_argument("file", nargs="?", help="a firm as JSON (as for assess)")
    p.add_argument("--pool", help="results of tiering batch (.xlsx, .csv or .parquet)")
    p.add_argument("--previous", help="last year's results, for the change per ladder")
    p.add_argument("--region", default="", help="the region named on the pool report's cover")
    p.add_argument("--year", type=int, help="the year named on the pool report's cover")
    p.add_argument("--as-of", type=_date)
    p.add_argument("--mode", choices=["new", "review"], default="new")
    p.add_argument("-o", "--output", required=True, help="the PDF to write")
    p = sub.add_parser("drift", help="how far new firms are from the model's training data")
    p.add_argument("file", help="firms to compare: .xlsx, .xls, .csv or .parquet (batch input)")
    p.add_argument("--model", help="model version (default: the current one)")
    p.add_argument(
        "--models-dir",
        help="model versions folder (default: TIERING_MODELS_DIR, else the shipped one)",
    )
    p = sub.add_parser("models", help="readiness model versions")
    msub = p.add_subparsers(dest="action", required=True)
    m = msub.add_parser("list")
    m.add_argument("--models-dir")
    m = msub.add_parser("use")
    m.add_argument("version")
    m.add_argument("--models-dir")
    service_cli.add_parsers(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "assess":
            return _assess(args)
        if args.command == "plan":
            return _plan(args)
        if args.command == "batch":
            return _batch(args)
        if args.command == "synth":
            return _synth(args)
        if args.command in ("train", "models"):
            return _models(args)
        if args.command == "drift":
            return _drift(args)
        if args.command == "report":
            return _report(args)
        if args.command in ("serve", "worker", "db", "demo", "users"):
            return service_cli.run(args)
        if args.command == "template":
            from batch import write_template

            output = args.output or ("历史面板模板.xlsx" if args.panel else "企业数据模板.xlsx")
            write_template(Path(output), panel=args.panel)
            print(f"模板已写入 {output}")
            return 0
        return _criteria(args)
    except InputError as exc:
        print(f"输入错误：{exc.zh}\nInput error: {exc.en}", file=sys.stderr)
        return 2
    except RuleFileError as exc:
        print(f"规则文件错误 / rule file error: {exc}", file=sys.stderr)
        return 3
    except (OSError, ValueError) as exc:
        print(f"错误 / error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        from batch import BatchError
        from reports import ReportError

        if isinstance(exc, BatchError):  # a file that cannot be read at all
            print(f"无法读取文件：{exc.zh}\nCannot read the file: {exc.en}", file=sys.stderr)
            return 2
        if isinstance(exc, ReportError):
            print(f"{exc.zh}\n{exc.en}", file=sys.stderr)
            return 2
        raise


def _report(args) -> int:
    import reports

    if bool(args.file) == bool(args.pool):
        raise ValueError("give a firm JSON file or --pool results, one of them")
    if args.pool:
        from batch.results import read_results

        pool, near = read_results(Path(args.pool))
        previous = read_results(Path(args.previous))[0] if args.previous else None
        data = reports.pool_report_pdf(
            pool, region=args.region, year=args.year, previous=previous, near=near
        )
        what = f"{len(pool)} 家企业"
    else:
        text = Path(args.file).read_text(encoding="utf-8-sig")
        try:
            firm = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"不是有效的JSON：{exc}", f"not valid JSON: {exc}") from exc
        result = assess(firm, _options(args))
        data = reports.firm_report_pdf(result)
        what = result.name
    Path(args.output).write_bytes(data)
    print(f"报告已写入 {args.output}（{what}）")
    return 0


def _drift(args) -> int:
    from batch import read_tables
    from batch.run import prepare
    from scoring.frames import iter_evaluations
    from scoring.readiness import bundle, drift
    from scoring.readiness.features import single_year_features

    directory = Path(args.models_dir) if args.models_dir else bundle.MODELS_DIR
    model = bundle.load(args.model, directory)
    if model is None:
        raise ValueError("no readiness model is current: tiering models use VERSION")
    if not model.meta.get("reference"):
        raise ValueError(f"model {model.version} keeps no training distribution: retrain it")
    parts = []
    for table in read_tables(Path(args.file)):
        canonical, scale, reasons, _ = prepare(table)
        keep = canonical[(reasons == "").to_numpy()].reset_index(drop=True)
        for _, ev in iter_evaluations(keep, scale=scale):
            parts.append(single_year_features(ev))
    X = pd.concat(parts, ignore_index=True)
    table = drift.psi_table(model.meta["reference"], X)
    kind = "（基于模拟数据训练）" if model.meta.get("synthetic") else ""
    print(f"模型 {model.version}{kind} · 新数据 {len(X)} 家企业")
    print("PSI < 0.1 稳定，0.1–0.25 轻度偏移，> 0.25 显著偏移")
    print(f"{'特征':<28}{'PSI':>8}  {'结论':<8}{'训练时未知':>10}{'新数据未知':>10}")
    for r in table.itertuples():
        print(
            f"{r.feature:<28}{r.psi:>8.3f}  {drift.VERDICT_ZH[r.verdict]:<8}"
            f"{r.unknown_ref:>10.1%}{r.unknown_new:>10.1%}"
        )
    major = int((table["verdict"] == "major").sum())
    if major:
        print(f"{major} 个特征显著偏移：晋级概率请谨慎解读，建议用本地历史数据重新训练")
    return 0


def _read_firm(args) -> dict:
    text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8-sig")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"不是有效的JSON：{exc}", f"not valid JSON: {exc}") from exc


def _plan(args) -> int:
    from scoring.plan import plan_for, plan_lines

    costs = {}
    for item in args.cost:
        field, _, value = item.partition("=")
        try:
            costs[field.strip()] = float(value)
        except ValueError:
            raise InputError(
                f"单位成本应为 字段=元：{item}", f"a cost is FIELD=YUAN: {item}"
            ) from None
    plan = plan_for(_read_firm(args), args.target, args.by, costs or None, _options(args))
    if plan is None:
        print("所有梯度均已满足，无需方案")
    elif args.json:
        print(plan.model_dump_json(indent=2))
    else:
        print("\n".join(plan_lines(plan)))
    return 0


def _assess(args) -> int:
    firm = _read_firm(args)
    result = refuse_unusable(assess(firm, _options(args)), lenient=args.lenient)
    if args.ics:
        from scoring.filing_calendar import to_ics

        Path(args.ics).write_bytes(to_ics(result.calendar, result.name or "", dt.date.today()))
    if args.json:
        print(result.model_dump_json(indent=2))
        return 0
    print(render_text(result, args.lang))
    return 0


def render_text(result, lang: str = "zh") -> str:
    zh = lang == "zh"
    lines = [
        f"{'企业' if zh else 'Firm'}: {result.name}"
        + (f"（{result.credit_code}）" if result.credit_code else ""),
        f"{'评价日期' if zh else 'Assessed as of'}: {result.reference_date}"
        f"  {'规则版本' if zh else 'Rule sets'}: {result.criteria_version}",
        "",
    ]
    for la in result.ladders.values():
        name = la.name_zh if zh else la.name_en
        status = (STATUS_ZH if zh else STATUS_EN)[la.status]
        held = ("（已持有）" if zh else " (held)") if la.held else ""
        score = ""
        if la.score is not None:
            mark = f"（{'达标线' if zh else 'pass'} {la.pass_mark}）"
            spread = ""
            if la.expert_min is not None:
                spread = (
                    f"（{'专家评分区间' if zh else 'experts'} {la.expert_min:g}–{la.expert_max:g}）"
                )
            score = f"  {'得分' if zh else 'score'} {la.score:g}{spread}{mark}"
            if la.expert_note_zh:
                score += f"  {la.expert_note_zh if zh else la.expert_note_en}"
        elif la.score_min is not None:
            score = f"  {'得分区间' if zh else 'score range'} {la.score_min:g}–{la.score_max:g}"
        route = f"  [{ROUTE_ZH.get(la.route, la.route) if zh else la.route}]" if la.route else ""
        lines.append(f"■ {name}{held}: {status}{score}{route}  ({la.ruleset or '-'})")
        failed = [t for t in la.trace if t.outcome == "fail" and t.kind == "gate"]
        for t in failed:
            detail = (
                f"{t.value_zh} {t.threshold_zh}"
                if zh and t.value_zh
                else (f"{t.value_en} {t.threshold_en}" if t.value_en else "")
            )
            lines.append(f"    ✗ {t.zh if zh else t.en}  {detail}  〔{t.source}〕")
        if la.worth and zh:
            lines.append(f"    ¥ 价值：{la.worth.summary_zh}")
        if la.status == "manual_review":
            lines.append(f"    ◇ {review_summary(la, 'zh' if zh else 'en')}")
        elif la.missing:
            lines.append(f"    ? {'缺少数据' if zh else 'missing'}: {', '.join(la.missing)}")
        for gap in la.gaps:
            if gap.kind == "direct":
                continue
            lines.append(f"    → {gap.zh if zh else gap.en}")
    lines.append("")
    if result.next_rung:
        lines.append(
            f"{'下一目标' if zh else 'Next rung'}: {LADDER_NAMES[result.next_rung][0 if zh else 1]}"
        )
        for step in result.path:
            lead = f"（约{step.lead_months}个月）" if zh else f" (~{step.lead_months} months)"
            status = (STATUS_ZH if zh else STATUS_EN)[step.status]
            lead = lead if step.lead_months else ""
            lines.append(f"  {step.name_zh if zh else step.ladder}: {status}{lead}")
            for need in step.needs_zh if zh else step.needs_en:
                lines.append(f"     - {need}")
    if result.calendar and zh:
        lines.append("申报日历（以当年通知为准）:")
        for event in result.calendar:
            lines.append(f"  · [{CALENDAR_STATUS_ZH[event.status]}] {event.zh}")
    for w in result.warnings:
        name = LADDER_NAMES[w.ladder][0 if zh else 1]
        lines.append(f"{'提示' if zh else 'Note'}（{name}）: {w.zh if zh else w.en}")
    lines += _readiness_lines(result.readiness, zh)
    lines.append(FREE_FILING_ZH if zh else FREE_FILING_EN)
    for issue in result.input_issues:
        lines.append(f"! {issue.field}: {issue.zh if zh else issue.en} {issue.value}")
    return "\n".join(lines)


def _estimator_note(k12: str, k24: str, zh: bool) -> str:
    """Which estimator gave the two figures: one name when they share it."""
    if not k12 and not k24:
        return ""
    if zh:
        a, b = fmt_estimator(k12), fmt_estimator(k24)
        return f"（{a}）" if a == b or not b else f"（12个月：{a}；24个月：{b}）"

    def en(kind: str) -> str:
        return ESTIMATOR_EN.get("blend" if kind.startswith("blend") else kind, kind)

    return f" ({en(k12)})" if k12 == k24 or not k24 else f" (12 m: {en(k12)}; 24 m: {en(k24)})"


def _readiness_lines(r, zh: bool) -> list[str]:
    """The readiness model's probabilities and top actions, with what it was trained on."""
    if r is None:
        return []

    def pct(p: float | None) -> str:
        return fmt_chance(p)

    head = "晋级概率（模型" if zh else "Readiness (model"
    lines = ["", f"{head} {r.model_version}，{r.note_zh if zh else r.note_en}）"]
    h12, h24 = ("12个月内", "24个月内") if zh else ("12 months", "24 months")
    for ladder, p12 in r.within_12m.items():
        p24 = r.within_24m.get(ladder)
        if p12 is not None or p24 is not None:
            name = LADDER_NAMES[ladder][0 if zh else 1]
            k12, k24 = r.estimators.get(ladder, ""), r.estimators_24m.get(ladder, "")
            how = _estimator_note(k12, k24, zh)
            lines.append(f"  {name}: {h12} {pct(p12)}  {h24} {pct(p24)}{how}")
    if r.actions:
        name = LADDER_NAMES[r.actions_ladder][0 if zh else 1]
        lines.append(f"  最能提高{name}概率的措施：" if zh else f"  What raises {name} most:")
        for a in r.actions:
            lines.append(f"     - {a.zh if zh else a.en}: {pct(a.probability)} (+{pct(a.gain)})")
    return lines


def _batch(args) -> int:
    from batch import BatchError, Limits, run

    source = Path(args.file)
    if args.engine == "dask":
        from batch.distributed import run_dask

        output = Path(args.output or source.with_name(source.stem + "_评价结果.parquet"))
        rows = run_dask(
            source,
            output,
            _options(args),
            workers=args.workers,
            scheduler=args.scheduler,
            partition_rows=args.chunk_rows,
        )
        print(f"已评价 {rows} 行（Dask）→ {output}")
        return 0
    output = Path(args.output) if args.output else source.with_name(source.stem + "_评价结果.xlsx")
    limits = Limits()
    if args.max_rows:
        limits = replace(limits, max_rows=args.max_rows)
    if args.max_mb:
        limits = replace(limits, max_bytes=args.max_mb * 1024 * 1024)
    try:
        with _progress() as tick:
            if args.reports:  # a batch of reports renders on every core unless told otherwise
                os.environ.setdefault("TIERING_REPORT_WORKERS", str(os.cpu_count() or 1))
            summary = run(
                source,
                output,
                _options(args),
                limits=limits,
                chunk_rows=args.chunk_rows,
                all_gaps=args.all_gaps,
                progress=tick,
                reports=Path(args.reports) if args.reports else None,
            )
    except BatchError as exc:
        print(f"无法读取文件：{exc.zh}\nCannot read the file: {exc.en}", file=sys.stderr)
        return 2
    print(summary.text())
    print(f"结果已写入 {output}（用时 {summary.seconds:.1f} 秒）")
    if args.reports:
        print(f"诊断报告 {summary.reports} 份 → {args.reports}")
    return 0


@contextmanager
def _progress():
    """A progress bar with rows/s and ETA on a terminal; silent otherwise."""
    if not sys.stderr.isatty():
        yield None
        return
    from tqdm import tqdm

    bar = tqdm(unit="行", unit_scale=True, desc="评价中", file=sys.stderr)
    done = 0

    def tick(rows: int) -> None:
        nonlocal done
        bar.update(rows - done)
        done = rows

    try:
        yield tick
    finally:
        bar.close()


def _synth(args) -> int:
    from scoring.readiness import simulate_panel

    if args.firms < 1 or args.years < 1:
        raise ValueError("--firms and --years must be at least 1")
    output = Path(args.output)
    if output.suffix.lower() not in (".parquet", ".csv"):
        raise ValueError("output must be .parquet or .csv")
    panel = simulate_panel(args.firms, args.years, seed=args.seed, start_year=args.start_year)
    if output.suffix.lower() == ".csv":
        panel.to_csv(output, index=False, encoding="utf-8-sig")
    else:
        panel.to_parquet(output, index=False)
    print(
        f"合成数据（非真实企业）：{args.firms} 家 × {args.years} 年 = {len(panel)} 行 → {output}\n"
        "假设与依据见 docs/readiness.md"
    )
    return 0


def _models(args) -> int:
    from scoring.readiness import bundle

    directory = Path(args.models_dir) if args.models_dir else bundle.MODELS_DIR
    if args.command == "models" and args.action == "list":
        for meta in bundle.versions(directory):
            mark = "*" if meta["current"] else " "
            kind = "合成数据" if meta.get("synthetic") else "实际数据"
            print(f"{mark} {meta['version']}  {meta['created']}  {kind}  {meta['trained_on']}")
        return 0
    if args.command == "models":
        bundle.use(args.version, directory)
        print(f"当前晋级概率模型：{args.version}")
        return 0
    from batch.panel import read_panel

    path = Path(args.panel)
    panel = read_panel(path)
    if panel.attrs.get("cell_errors"):
        print(f"提示：{panel.attrs['cell_errors']} 个单元格无法识别，按未知处理")
    trained = bundle.train(panel, trained_on=path.name, synthetic=args.synthetic)
    folder = trained.save(directory)
    report = pd.DataFrame(trained.meta["evaluation"])
    if len(report):
        cols = [
            c
            for c in (
                "ladder",
                "horizon",
                "selected",
                "selected_auc",
                "rules_auc",
                "logistic_auc",
                "selected_brier",
                "model_brier",
                "rules_brier",
                "logistic_brier",
                "selected_ece",
            )
            if c in report
        ]
        print(report[cols].round(3).to_string(index=False))
    if args.use:
        bundle.use(trained.version, directory)
    print(f"模型版本 {trained.version} → {folder}")
    return 0


def _criteria(args) -> int:
    rulesets = load_all()
    day = args.as_of or dt.date.today()
    if args.action == "list":
        for rs in rulesets:
            eff = rs.spec.effective
            in_force = "✓" if any(rs.applies(day, m) for m in rs.spec.modes) else " "
            region = f" [{rs.spec.region_name}]" if rs.spec.region_name else ""
            pack = rs.spec.pack
            round_ = ("" if pack.round is None else f"{pack.round}年度") if pack else ""
            round_ = round_ or ("常设" if pack else "")
            print(
                f"{in_force} {rs.key:36s} {eff.start}–{eff.end or ''!s:10s} "
                f"{','.join(rs.spec.modes):10s} {round_:6s} 核对{rs.spec.checked:7s} "
                f"{rs.spec.sureness:6s} {rs.spec.title.zh}{region}"
            )
        return 0
    target = args.ladder
    if "/" in target:
        matches = [rs for rs in rulesets if rs.name == target or rs.key == target]
        rs = matches[0] if matches else None
    else:
        rs = select(rulesets, target, day, args.mode, None)
    if rs is None:
        raise InputError(f"没有找到规则集：{target}", f"no rule set {target!r} in force")
    print(f"{rs.key}  {rs.spec.title.zh} / {rs.spec.title.en}")
    for d in rs.spec.documents:
        print(f"  {d.number} {d.title}")
    print(f"  有效期 effective: {rs.spec.effective.start} – {rs.spec.effective.end or ''}")
    print(f"  最近核对 checked: {rs.spec.checked}  可靠程度 sureness: {rs.spec.sureness}")
    if rs.spec.pack:
        pack = rs.spec.pack
        print(f"  地区 regions: {', '.join(rs.spec.regions)} ({rs.spec.region_name})")
        print(f"  年度 round: {pack.round or '常设 standing'}  基期 base years: {pack.base_years}")
        if pack.founding_window:
            print(f"  成立时间 founding window: {pack.founding_window}")
        print(f"  来源 source: {pack.source}")
    for rule in rs.rules:
        pts = f" ({rule.spec.max_points:g}分)" if rule.spec.max_points else ""
        cite = f"{rs.cite(rule.spec.source)}; {rule.spec.source.evidence}"
        print(f"  [{rule.kind}] {rule.id}{pts}: {rule.spec.zh}  〔{cite}〕")
        print(f"      inputs: {', '.join(rule.inputs())}")
    if rs.spec.pass_mark:
        pm = rs.spec.pass_mark
        limits = f"minimums={pm.minimums} caps={pm.caps}"
        print(f"  [pass_mark] {pm.total} {limits}  〔{rs.cite(pm.source)}〕")
    for ne in rs.spec.not_evaluated:
        print(f"  [{'manual review' if ne.review else 'not evaluated'}] {ne.id}: {ne.zh}")
    for spec, _ in rs.warnings:
        print(f"  [warning] {spec.id}: {spec.zh}  〔{rs.cite(spec.source)}〕")
    return 0


if __name__ == "__main__":
    sys.exit(main())
