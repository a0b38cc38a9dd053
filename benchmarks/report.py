"""results.md: each figure next to the method that produced it, headline ratios first."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any


def _s(sample: dict[str, Any], digits: int = 1) -> str:
    """`12.3 ms (n=9, 11.0-14.2)`."""
    return (
        f"{sample['median']:.{digits}f} {sample['unit']} "
        f"(n={sample['n']}, {sample['minimum']:.{digits}f}-{sample['maximum']:.{digits}f})"
    )


def _x(sample: dict[str, Any], digits: int = 2) -> str:
    return f"**{sample['median']:.{digits}f}×** (n={sample['n']})"


Renderer = Callable[[dict[str, Any]], list[str]]


def not_measured(title: str, why: str) -> list[str]:
    """A section the run has no figures for, saying why."""
    return [f"## {title}", "", f"**Not measured: {why}.**", ""]


def _rendered(title: str, render_part: Callable[[], list[str]]) -> list[str]:
    """render_part's lines, or "not measured" naming what it could not read."""
    try:
        return render_part()
    except Exception as error:  # One unreadable result must not lose the rest of the report.
        return not_measured(
            title, f"its result could not be rendered (`{type(error).__name__}: {error}`)"
        )


def section(title: str, render_section: Renderer, outcome: dict[str, Any] | None) -> list[str]:
    """One measurement's section; a measurement not run, failed or unreadable says so."""
    if outcome is None:
        return not_measured(title, "not run in this run")
    if not outcome.get("ok"):
        return not_measured(title, f"the measurement failed (`{outcome.get('error')}`)")
    return _rendered(title, lambda: render_section(outcome))


def _headline_aws_requests(req: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    rows = {(r["handler_key"], r["redelivery"]): r for r in req["summary"]}
    tap0, tap20 = rows[("tap", 0.0)], rows[("tap", 0.2)]
    pt20 = rows[("powertools_event_id", 0.2)]
    naive20 = rows[("naive", 0.2)]
    lines.append(
        f"- AWS requests per object event: tap {tap0['requests_per_event']:.2f} "
        f"(0% redelivery) / {tap20['requests_per_event']:.2f} (20%); Powertools @idempotent "
        f"{rows[('powertools_event_id', 0.0)]['requests_per_event']:.2f} / "
        f"{pt20['requests_per_event']:.2f}: **{pt20['requests_vs_tap']:.2f}× tap's** at 20%. "
        f"Duplicate items at 20%: tap {tap20['duplicate_items_per_100_events']:.0f}, "
        f"naive uuid4 {naive20['duplicate_items_per_100_events']:.1f}, "
        f"Powertools {pt20['duplicate_items_per_100_events']:.0f} per 100 events."
    )
    if req.get("resolving"):
        lines.append(
            f"- Events that remove one version (the resolving path): tap "
            f"{req['resolving']['requests_per_event']:.2f} requests per event "
            f"(ListObjectVersions + PutItem), beside {tap0['requests_per_event']:.2f} on the "
            f"common path; items not at S3's current version: "
            f"{req['resolving']['wrong_final_state']}."
        )
    return lines


def _headline_throughput(tp: dict[str, Any]) -> list[str]:
    return [
        f"- Handler throughput on the embedded emulator: tap "
        f"{tp['tap']['median']:.0f} events/s "
        f"= **{tp['tap_to_ceiling']['median']:.2f}× the raw PutItem ceiling**; "
        f"{tp['tap_to_powertools']['median']:.1f}× Powertools @idempotent."
    ]


def _headline_cold_import(ci: dict[str, Any]) -> list[str]:
    return [
        f"- Cold import of `process_handler` from the artifact: "
        f"{ci['imports']['handler_import']['median']:.0f} ms = "
        f"**{ci['handler_import_to_boto3']['median']:.2f}× `import boto3`**; ready to write "
        f"(import + client): {ci['handler_ready_to_boto3_client']['median']:.2f}× "
        f"`import boto3; boto3.client('dynamodb')`. Artifact {ci['artifact']['zip_bytes']:,} "
        f"bytes."
    ]


def _headline_synthesis(sy: dict[str, Any]) -> list[str]:
    walls = ", ".join(f"{k} {v['wall']['median']:.1f} s" for k, v in sy["stacks"].items())
    fit = sy["fit_in_process_vs_resources"]
    return [
        f"- `tap synth` wall time: {walls}; in-process synthesis grows linearly "
        f"(R² {fit['r2']:.3f}, {fit['b'] * 1000:.1f} ms per resource)."
    ]


def _headline_packaging(pk: dict[str, Any]) -> list[str]:
    return [
        f"- Packaging: byte-identical across separate caches: "
        f"**{'yes' if pk['byte_identical'] else 'NO'}** ({pk['builds_compared']} builds); "
        f"first build {pk['first_build']['median']:.1f} ms, cached "
        f"{pk['cached_rebuild']['median']:.1f} ms."
    ]


def _headline_critical_path(cp: dict[str, Any]) -> list[str]:
    parts = []
    for stack, r in cp["stacks"].items():
        d, i = r["as_deployed"], r["inherent"]
        parts.append(
            f"{stack} {d['resources_on_longest_chain']} resources / "
            f"{d['weighted_seconds']:.0f} s (inherent {i['resources_on_longest_chain']} / "
            f"{i['weighted_seconds']:.0f} s)"
        )
    return [
        f"- Deployment critical path (estimated create times): {'; '.join(parts)}; "
        "ingest ready "
        + ", ".join(
            f"{k} {v['as_deployed']['ingest_ready_seconds']:.0f} s "
            f"(inherent {v['inherent']['ingest_ready_seconds']:.0f} s)"
            for k, v in cp["stacks"].items()
        )
        + "."
    ]


def _headline_rule_scaling(rs: dict[str, Any]) -> list[str]:
    check = ", ".join(
        f"{kind} {series['exponent_work']:.2f}" for kind, series in rs["check"]["kinds"].items()
    )
    largest = max(
        (row for series in rs["check"]["kinds"].values() for row in series["rows"]),
        key=lambda row: row["resources"],
    )
    synth = rs["synth"]
    sizes = ", ".join(str(r["buckets"]) for r in synth["rows"])
    return [
        f"- Scaling (fitted exponent of time against size, bound {rs['max_exponent']}): "
        f"`tap check --graph` {check} over 10^3-10^5 resources "
        f"({largest['resources']:,} resources: {largest['wall']['median']:.1f} s wall, "
        f"{largest['peak_rss_mb']['median']:.0f} MB peak); `tap synth` "
        f"{synth['exponent_work']:.2f} over {sizes} buckets."
    ]


def _headline_commands(cm: dict[str, Any]) -> list[str]:
    shown = "; ".join(
        f"{label} {cm['ratios'][key]['median']:.2f}×"
        for key, label, _ in _COMMAND_RATIOS
        if key in cm["ratios"]
    )
    return [f"- Command times (section 8): {shown}."]


_HEADLINES: dict[str, Callable[[dict[str, Any]], list[str]]] = {
    "aws_requests": _headline_aws_requests,
    "throughput": _headline_throughput,
    "cold_import": _headline_cold_import,
    "synthesis": _headline_synthesis,
    "packaging": _headline_packaging,
    "critical_path": _headline_critical_path,
    "rule_scaling": _headline_rule_scaling,
    "commands": _headline_commands,
}


def headline(m: dict[str, Any]) -> list[str]:
    """The ratios the README quotes; a result it cannot read is named, not fatal."""
    lines = ["## Headline (ratios measured in the same run)", ""]
    for key, bullets in _HEADLINES.items():
        outcome = m.get(key, {})
        if not outcome.get("ok"):
            continue
        try:
            lines += bullets(outcome)
        except Exception as error:  # One unreadable result must not lose the headline.
            lines.append(f"- {key}: not measured: `{type(error).__name__}: {error}`")
    return [*lines, ""]


def _tap_row(r: dict[str, Any]) -> dict[str, Any]:
    """tap's summary row at 0% redelivery."""
    return next(x for x in r["summary"] if x["handler_key"] == "tap" and x["redelivery"] == 0.0)


def requests_section(r: dict[str, Any]) -> list[str]:
    """Measurement 1."""
    lines = [
        "## 1. AWS requests per object event, and duplicate items",
        "",
        "**Method.** An in-process moto (`mock_aws`) per scenario. The workload is built here, "
        "not by moto (moto gives every S3 event the same `id` and sequencer): "
        f"{r['objects']} objects, each with a `PutObject` event, and a quarter of them a later "
        "overwrite or delete; every event has a distinct uuid4 `id` and a per-key increasing "
        "16-hex-digit sequencer, shaped like the Object Created example in the S3 user guide "
        "(keys contain spaces and `+`). A redelivered event is the same event (same `id`, as "
        "EventBridge redelivers) arriving 1-20 positions later. The same seed gives the same "
        "events at 0% and 20%. "
        "Requests are counted by botocore hooks on the handler's own clients (`before-call` for "
        "API calls, `before-send` registered first for HTTP attempts; they agree), and only "
        "while events are delivered. Duplicates are counted afterwards by scanning: items beyond "
        "the first that record the same object and sequencer. "
        f"Seeds {r['seeds']}; counts are exact per seed, figures are medians over the seeds.",
        "",
        "- **tap**: `Processor` with injected clients (one conditional `PutItem`).",
        "- **naive**: an unconditional `PutItem` under a fresh uuid4 per event, as an earlier "
        "implementation did.",
        "- **Powertools**: the naive write wrapped in `@idempotent` (aws-lambda-powertools, "
        "`DynamoDBPersistenceLayer` on its own table), keyed by the event `id`, or by bucket + "
        "key + sequencer. Default config: no local cache.",
        "",
        "| handler | redelivery | requests / object event | requests / object | vs tap "
        "| duplicate items / 100 events | idempotency records | API calls (first seed) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in r["summary"]:
        ops = ", ".join(f"{k.split(':')[1]} {v}" for k, v in row["requests_by_operation"].items())
        lines.append(
            f"| {row['handler']} | {row['redelivery']:.0%} | {row['requests_per_event']:.3f} "
            f"| {row['requests_per_object']:.3f} | {row['requests_vs_tap']:.2f}× "
            f"| {row['duplicate_items_per_100_events']:.1f} | {row['bookkeeping_items']:.0f} "
            f"| {ops} |"
        )
    resolving = r.get("resolving")
    if resolving:
        ops = ", ".join(
            f"{k.split(':')[1]} {v}" for k, v in resolving["requests_by_operation"].items()
        )
        removals = ", ".join(f"{k} {v}" for k, v in resolving["removals"].items())
        lines += [
            "",
            "**The resolving path** (docs/processor.md): an event that removes one version of a "
            "versioned object (lifecycle expiry of a noncurrent version, a version or delete "
            "marker deleted by id) cannot say what is current, so tap lists the key's newest "
            "version (`ListObjectVersions`, `MaxKeys=1`) before its one `PutItem`. Same emulator, "
            f"same seeds, {r['objects']} objects each with two versions, then one removal "
            f"({removals}); judged against S3's version listing afterwards.",
            "",
            "| path | requests / object event | API calls (first seed) | items not at S3's "
            "current version |",
            "|---|---|---|---|",
            f"| common: create, delete marker, unversioned delete | "
            f"{_tap_row(r)['requests_per_event']:.3f} | PutItem | "
            f"{_tap_row(r)['wrong_final_state']} |",
            f"| resolving: one version removed | {resolving['requests_per_event']:.3f} | {ops} "
            f"| {resolving['wrong_final_state']} |",
        ]
    tap_wrong = _tap_row(r)["wrong_final_state"]
    lines += [
        "",
        f"tap's items also hold each object's latest state: objects whose item is not their "
        f"latest event's state: {tap_wrong}. The naive and Powertools variants keep one item per "
        "event, so they have no per-object state to check; Powertools' key stops exact "
        "redeliveries only, and an older event arriving late would still be written.",
        "",
        "Reading: tap sends exactly one request per delivery, the minimum any writer can send; "
        "the naive handler sends as few but turns every redelivery into a duplicate item; "
        "Powertools removes the duplicates at about three requests per new event (record "
        "in-progress, the write, record completed) and one per redelivery, plus one stored "
        "idempotency record per event.",
        "",
    ]
    return lines


def throughput_section(t: dict[str, Any]) -> list[str]:
    """Measurement 2."""
    return [
        "## 2. Handler throughput (embedded emulator)",
        "",
        f"**Method.** {t['events_per_round']} distinct events per round, processed in-process "
        "one by one against a fresh `mock_aws`; the first event is a warm-up and is not timed. "
        "The ceiling is a raw `put_item` loop sending the very items tap would write (built "
        "before the clock starts) to the same emulator. Each round runs ceiling, tap and "
        "Powertools back to back; ratios are per round, then the median. tap's logs and EMF "
        "lines are formatted and written to /dev/null, so their cost is included. Emulator "
        "throughput is not AWS throughput: it says how much the handler adds on top of a write.",
        "",
        "| what | events/s |",
        "|---|---|",
        f"| raw `put_item` loop (ceiling) | {_s(t['ceiling_put_item'], 0)} |",
        f"| tap `Processor.process` | {_s(t['tap'], 0)} |",
        f"| Powertools @idempotent + naive write | {_s(t['powertools_event_id'], 0)} |",
        "",
        f"- tap / ceiling: {_x(t['tap_to_ceiling'])}",
        f"- Powertools / ceiling: {_x(t['powertools_to_ceiling'])}",
        f"- tap / Powertools: {_x(t['tap_to_powertools'])}",
        "",
        "The gap to the ceiling is the handler's own work per event: parsing and validating the "
        "event, the condition expression (evaluated by the emulator), one JSON log line and one "
        "EMF document.",
        "",
    ]


def _bytecode(share: dict[str, Any] | None) -> str:
    """`41,230 of 41,310 modules have bytecode (99.8%)`, or that it was not recorded."""
    if not share:
        return "bytecode not recorded in this run"
    return (
        f"{share['fresh']:,} of {share['modules']:,} modules have bytecode "
        f"({100 * share['share']:.1f}%)"
    )


def cold_import_section(c: dict[str, Any]) -> list[str]:
    """Measurement 3."""
    a = c["artifact"]
    lines = [
        "## 3. Cold import of the handler",
        "",
        "**Method.** The artifact is built by `tap.packaging.build_artifact` into an empty temp "
        "cache and unzipped, as Lambda does, into a task directory. Each figure is the in-process "
        "time (`time.perf_counter` around the statement) in a fresh `python -c` process with "
        "`PYTHONPATH=<task dir>` and `PYTHONDONTWRITEBYTECODE=1` (Lambda's /var/task is "
        "read-only, so the handler's sources are compiled on every cold start). boto3 and every "
        "other installed package are byte-compiled first, as in the Lambda runtime: "
        f"{_bytecode(c.get('site_packages_bytecode'))}. The processes are interleaved; ratios "
        "are per round. A check proves `tap_processor` is imported from the artifact. Local "
        "Python is used, not the Lambda runtime image.",
        "",
        f"Artifact: {a['zip_bytes']:,} bytes zipped ({a['unpacked_bytes']:,} unpacked, "
        f"{a['files']} files; stored, not deflated, for byte-identity), sha256 "
        f"`{a['sha256'][:16]}…`.",
        "",
        "| what | time |",
        "|---|---|",
    ]
    for name, sample in c["imports"].items():
        lines.append(f"| {c['descriptions'][name]} | {_s(sample)} |")
    lines += [
        "",
        f"- handler import / `import boto3`: {_x(c['handler_import_to_boto3'])}",
        f"- ready to write / boto3 + client: {_x(c['handler_ready_to_boto3_client'])}",
        f"- ready to write, precompiled / boto3 + client: "
        f"{_x(c['handler_ready_precompiled_to_boto3_client'])}",
        f"- Powertools idempotency import / `import boto3`: "
        f"{_x(c['powertools_idempotency_to_boto3'])}",
        "",
        "The handler module defers `import boto3` until the first event needs a client, so the "
        "import itself is a fraction of boto3's. Ready to write, it pays boto3 like any handler, "
        "plus compiling its own sources.",
        "",
    ]
    return lines


def synthesis_section(s: dict[str, Any]) -> list[str]:
    """Measurement 4."""
    lines = [
        "## 4. Synthesis",
        "",
        "**Method.** `tap synth --stack S -f json -o <tmp>` in a subprocess (the installed `tap` "
        "script), wall time, for each shipped stack. The growth series copies `Pulumi.yaml` and "
        "`Pulumi.dev.yaml` into a temp project and rewrites `tap:buckets` to N buckets (the dev "
        "bucket's settings, renamed) with one route each, N = 1, 5, 20; each is synthesized by "
        "the CLI in a subprocess and by `synthesize_stack` in this process (after one warm-up "
        "run), so interpreter start-up and imports are separated from the program's own cost.",
        "",
        "| stack | wall time | custom resources |",
        "|---|---|---|",
    ]
    for stack, row in s["stacks"].items():
        lines.append(f"| {stack} | {_s(row['wall'], 2)} | {row['resources']} |")
    lines += ["", f"`python -c 'import tap.cli.app'` alone: {_s(s['cli_startup'], 2)}.", ""]
    check = s["check_all"]
    if "wall" in check:
        lines.append(
            f"`tap check --all`: {_s(check['wall'], 2)} (exit codes {check['exit_codes']})."
        )
    else:
        lines.append(f"`tap check --all`: {check['note']}.")
    lines += [
        "",
        "| buckets = routes | custom resources | CLI wall time | in-process | in-process ms per "
        "resource |",
        "|---|---|---|---|---|",
    ]
    for row in s["scaling"]:
        lines.append(
            f"| {row['buckets']} | {row['resources']} | {_s(row['wall'], 2)} "
            f"| {_s(row['in_process'], 3)} | {row['ms_per_resource_in_process']:.2f} |"
        )
    fr, fb, fw = (
        s["fit_in_process_vs_resources"],
        s["fit_in_process_vs_buckets"],
        s["fit_wall_vs_buckets"],
    )
    lines += [
        "",
        f"- In-process time = {fr['a'] * 1000:.0f} ms + {fr['b'] * 1000:.2f} ms × resources, "
        f"R² = {fr['r2']:.4f}; per bucket+route: {fb['b'] * 1000:.0f} ms, R² = {fb['r2']:.4f}.",
        f"- CLI wall time = {fw['a']:.2f} s + {fw['b'] * 1000:.0f} ms × buckets, "
        f"R² = {fw['r2']:.3f}: the fixed start-up dominates at these sizes, so the wall-time fit "
        "is noisy; growth itself is linear in resources (three points; a fit, not a proof).",
        "",
    ]
    return lines


def packaging_section(p: dict[str, Any]) -> list[str]:
    """Measurement 5."""
    return [
        "## 5. Packaging",
        "",
        "**Method.** Each round: `build_artifact(cache_dir=<empty temp dir A>)` (first build), "
        "again into A (cached: sources are read and hashed, nothing is zipped), and into a second "
        "empty dir B. Byte-identity is sha256 equality across every build of every round. The "
        "processor has no third-party dependencies (its lock is empty), so no pip run is timed.",
        "",
        f"- first build: {_s(p['first_build'], 2)}",
        f"- cached rebuild: {_s(p['cached_rebuild'], 2)} (first / cached: "
        f"{p['first_to_cached']:.1f}×)",
        f"- byte-identical across {p['builds_compared']} builds in separate caches: "
        f"**{p['byte_identical']}** (sha256 `{p['sha256'][0][:16]}…`, {p['zip_bytes'][0]:,} "
        f"bytes); cache hit/miss as expected: {p['cache_hits_as_expected']}",
        "",
    ]


def critical_path_section(c: dict[str, Any]) -> list[str]:
    """Measurement 6."""
    lines = [
        "## 6. Deployment critical path",
        "",
        "**Method.** Each shipped stack is synthesized in-process. Nodes: custom resources, "
        "providers excluded. Edges: every URN in a resource's `dependencies` (a dependency on a "
        "component would stand for all its custom descendants; none occur). Parent-component "
        "membership adds no edge: a component registers immediately and Pulumi starts a child as "
        "soon as the child's own dependencies are done, so the tree orders nothing by itself. "
        "Edges are split into *data* edges (the URN appears in `propertyDependencies`: an input "
        "needs the other resource's output) and *explicit* `depends_on` edges. Data edges are "
        "what the pipeline needs by construction: bucket → rule pattern, role → function, "
        "table → function environment and role policy, queue → target DLQ and destination, "
        "function → alias → permission / invoke config, rule → target. The longest chain is "
        "counted in resources "
        "and weighted by typical create times below, assuming unlimited parallelism, so it is a "
        "lower bound on a first `pulumi up`. *Ingest ready* is when the last EventBridge target "
        "exists, i.e. when uploads start reaching the function.",
        "",
        "Three chains per stack: *as deployed* (every edge); *inherent* (data edges plus the "
        "`depends_on` edges AWS itself requires, listed below); *data only* (a lower bound that "
        "ignores AWS's create-time validation).",
        "",
        "| stack | resources | as deployed: chain / weighted / ingest ready "
        "| inherent: chain / weighted / ingest ready | data only: chain / weighted |",
        "|---|---|---|---|---|",
    ]
    for stack, r in c["stacks"].items():
        d, i, o = r["as_deployed"], r["inherent"], r["data_edges_only"]
        lines.append(
            f"| {stack} | {r['resources']} "
            f"| {d['resources_on_longest_chain']} / {d['weighted_seconds']:.0f} s / "
            f"{d['ingest_ready_seconds']:.0f} s "
            f"| {i['resources_on_longest_chain']} / {i['weighted_seconds']:.0f} s / "
            f"{i['ingest_ready_seconds']:.0f} s "
            f"| {o['resources_on_longest_chain']} / {o['weighted_seconds']:.0f} s |"
        )
    for stack, r in c["stacks"].items():
        d, i = r["as_deployed"], r["inherent"]
        lines += [
            "",
            f"**{stack}** longest chain: {' → '.join(d['longest_chain'])}.",
            f"Longest weighted: {' → '.join(d['weighted_chain'])}.",
            f"Inherent: {' → '.join(i['longest_chain'])}.",
        ]
        for e in r["explicit_depends_on"]:
            why = f"required: {e['required_by_aws']}" if e["required_by_aws"] else "not required"
            lines.append(
                f"- `depends_on` `{e['edge']}` ({why}): removing it would shorten the longest "
                f"chain by {e['resources_saved_if_removed']} resource(s) / "
                f"{e['weighted_seconds_saved_if_removed']:.0f} s and ingest-ready by "
                f"{e['ingest_seconds_saved_if_removed']:.0f} s"
            )
    lines += [
        "",
        "Why tap adds each explicit edge (from the component sources): `permissions → function` "
        "and `permissions → async` so the role's policy exists before Lambda validates it "
        "(X-Ray with active tracing; the on-failure destination); `invoke → target` so the "
        "target starts delivering only once EventBridge may invoke the alias, and the first "
        "events are not refused; `public-access-block → policy` and `versioning → lifecycle` "
        "for S3's own ordering. The log group → function edge is a data edge (the function's "
        "`loggingConfig` names the group), so it is inherent.",
        "",
        "### Create-time weights",
        "",
        "| resource type | seconds | source |",
        "|---|---|---|",
    ]
    for token, w in sorted(c["weights"].items()):
        lines.append(f"| `{token}` | {w['seconds']:.0f} | {w['source']} |")
    lines += [
        "",
        "Every type a stack creates has its own weight (a type without one stops the analysis). "
        "Every weight is a typical figure chosen for this estimate, **not** a measurement: "
        "nothing here ran against AWS. Sources:",
        "",
    ]
    for key, source in c["sources"].items():
        link = f" <{source['url']}>" if source["url"] else ""
        lines.append(f"- `{key}`: {source['title']}.{link}")
    lines += [
        "",
        "AWS publishes no typical create time for most of these resources, so the `estimate` "
        "weights are assumptions, and some cited pages state only that a create is "
        "asynchronous. **Sensitivity:** the analysis is re-run with every `estimate` weight "
        "scaled, the cited ones unchanged.",
        "",
        "| stack | scale | longest weighted | same chain as ×1 | ingest ready | inherent |",
        "|---|---|---|---|---|---|",
    ]
    for stack, r in c["stacks"].items():
        for scale, v in r.get("sensitivity", {}).items():
            lines.append(
                f"| {stack} | ×{scale} | {v['weighted_seconds']:.0f} s | "
                f"{'yes' if v['same_weighted_chain'] else 'no'} | "
                f"{v['ingest_ready_seconds']:.0f} s | {v['inherent_ingest_ready_seconds']:.0f} s |"
            )
    return [*lines, ""]


def scaling_section(r: dict[str, Any]) -> list[str]:
    """Measurement 7."""
    check, synth = r["check"], r["synth"]
    base = check["baseline"]
    units = ", ".join(f"{kind} {size}" for kind, size in check["unit_sizes"].items())
    lines = [
        "## 7. Scaling of `tap check` and `tap synth`",
        "",
        "**Method.** `tap check --graph FILE` in a subprocess (the installed `tap` script, with "
        "the dev stack's config as context) on graphs written directly as graph JSON: the dev "
        "stack's synthesized graph plus N copies of one unit, every name in a copy made unique "
        f"(resources per unit: {units}). A bucket unit is the bucket, its 7 sub-resources, its "
        "route (rule, target, invoke permission) and the rule's 3 alarms, and its rule is "
        "admitted by the delivery DLQ's policy; a queue unit is a queue, its policy and a depth "
        "alarm; a function unit is the function, its role, role policy, log group, alias, async "
        "config and 3 alarms. Every generated graph passes `tap check` (exit 0, checked), so every "
        "rule follows every reference. The child runs the `tap` console script's own code "
        "(`from tap.cli.app import app; app()`) and reports the time after importing the app "
        "(*after import*: reading the graph and the config, the 39 rules, printing); *wall* is "
        "the whole process. Peak RSS is the `tap` process's own `ru_maxrss`, read with `wait4` "
        "by a small wrapper process that starts it (Linux keeps `ru_maxrss` across exec, so a "
        "child forked straight from the benchmark process would report the benchmark's own "
        "memory; the wrapper adds about 10 MB at most). *Net* subtracts the after-import time of "
        "the same command on the 44-resource dev graph "
        f"({_s(base['work'], 2)}; wall {_s(base['wall'], 2)}, "
        f"{base['peak_rss_mb']['median']:.0f} MB), the part that does not grow. The exponent "
        "is the least-squares slope of log(time) against log(resources): 1.0 is linear, 2.0 "
        "quadratic. The bound applies to the after-import exponent over the three sizes. The "
        "net exponent leaves out net times under 0.5 s (at 10^3 resources the net time is "
        "within this machine's noise), so it is the slope of the growing part from 10^4 to "
        "10^5. The largest graphs run once, the others three times.",
        "",
        "| kind | resources | graph JSON | wall | after import | net | peak RSS |",
        "|---|---|---|---|---|---|---|",
    ]
    for kind, series in check["kinds"].items():
        for row in series["rows"]:
            lines.append(
                f"| {kind} | {row['resources']:,} | {row['json_bytes'] / 1e6:.1f} MB "
                f"| {_s(row['wall'], 2)} | {_s(row['work'], 2)} | {row['net_seconds']:.2f} s "
                f"| {row['peak_rss_mb']['median']:.0f} MB |"
            )
    lines.append("")
    for kind, series in check["kinds"].items():
        verdict = "ok" if series["exponent_work"] <= r["max_exponent"] else "**over the bound**"
        net = series["exponent_net"]
        over = ", ".join(f"{n:,}" for n in series["net_fitted_over"])
        lines.append(
            f"- {kind}: exponent **{series['exponent_work']:.2f}** after import "
            f"({series['exponent_wall']:.2f} wall; net "
            f"{'n/a' if net is None else f'{net:.2f}'} over {over or 'no'} resources), "
            f"bound {r['max_exponent']}: {verdict}"
        )
    lines += [
        "",
        "**`tap synth`.** `tap synth --stack dev -f json` in a subprocess on the dev stack with "
        "N buckets of one route each (as in section 4), one run per size, timed the same way; "
        "the exponent is fitted on the after-import time.",
        "",
        "| buckets | resources | wall | after import | ms per resource | peak RSS |",
        "|---|---|---|---|---|---|",
    ]
    for row, per in zip(synth["rows"], synth["ms_per_resource"], strict=True):
        lines.append(
            f"| {row['buckets']} | {row['resources']:,} | {_s(row['wall'], 1)} "
            f"| {_s(row['work'], 1)} | {per:.1f} | {row['peak_rss_mb']['median']:.0f} MB |"
        )
    verdict = "ok" if synth["exponent_work"] <= r["max_exponent"] else "**over the bound**"
    monitor = synth["monitor"]
    lines += [
        "",
        f"- exponent **{synth['exponent_work']:.2f}** after import ({synth['exponent_wall']:.2f} "
        f"wall), bound {r['max_exponent']}: {verdict}.",
        f"- Where the time goes ({monitor['buckets']} buckets, {monitor['resources']:,} "
        f"resources, in process): {monitor['cpu_seconds']:.1f} s CPU, of which tap's recording "
        f"monitor and fake AWS provider {monitor['monitor_cpu_seconds']:.1f} s "
        f"(**{monitor['monitor_share']:.0%}**, thread CPU time around each of "
        f"{monitor['registrations']:,} registrations). The rest is the Pulumi SDK's own work "
        "per resource (serialising inputs, resolving Outputs, capturing a stack trace for the "
        "source position) plus the program's component code: linear, but most of the cost.",
        "",
    ]
    lines += _rules_lines(r.get("rules"), r["max_exponent"])
    if r["violations"]:
        lines += ["**Out of bounds:** " + "; ".join(r["violations"]), ""]
    return lines


def _rules_lines(rules: dict[str, Any] | None, bound: float) -> list[str]:
    """Each rule's growth: the three steepest per kind (results from before it was measured
    have none)."""
    if not rules:
        return []
    sizes = " and ".join(f"{n:,}" for n in rules["sizes"])
    lines = [
        "**Each rule.** Every rule of the pack run alone, in this process, on graphs of each kind "
        f"of about {sizes} resources (each graph's index built beforehand); the least CPU time "
        "of this thread over three runs, garbage collector paused, times under 2 ms counted as "
        f"2 ms. Exponent of the growth, bound {bound}; the three steepest per kind "
        "(tests/rules/test_rules_scale.py holds each rule to counted work instead):",
        "",
    ]
    for kind, series in rules["kinds"].items():
        steepest = sorted(series["rules"].items(), key=lambda item: -item[1]["exponent"])[:3]
        shown = ", ".join(
            f"{rule_id} {timed['exponent']:.2f} ({timed['seconds'][0] * 1000:.1f} -> "
            f"{timed['seconds'][-1] * 1000:.1f} ms)"
            for rule_id, timed in steepest
        )
        lines.append(f"- {kind}: {shown}")
    return [*lines, ""]


NOT_AHEAD = 0.95
"""A ratio to the baseline at or above this is not ahead (medians on a noisy machine)."""


_COMMAND_ROWS = [
    ("help", "`tap --help`"),
    ("help_floor", '`python -c "import typer, rich"` (floor of --help)'),
    ("validate", "`tap validate` (the 3 shipped stacks)"),
    ("validate_floor", '`python -c "import pydantic, yaml"` (floor of validate)'),
    ("validate_model_floor", "the same, then one `pydantic.BaseModel` defined"),
    ("synth_prod", "`tap synth --stack prod`"),
    ("check_all_cold", "`tap check --all`, after `tap cache clear`"),
    ("check_all_warm", "`tap check --all` again, source and config unchanged"),
    ("baseline_synth_prod", "`tap synth --stack prod` at the baseline commit"),
    ("local", "`tap local --stack dev --objects N --json`"),
    ("baseline_local", "the same at the baseline commit"),
]
_COMMAND_RATIOS = [
    ("help_to_floor", "`tap --help` / its floor", 1.5),
    ("validate_to_floor", "`tap validate` / its floor", 1.5),
    ("validate_to_model_floor", "`tap validate` / the floor with one model defined", None),
    ("check_all_cold_to_synth_prod", "`tap check --all` (cold) / `tap synth --stack prod`", 1.3),
    ("check_all_warm_to_cold", "repeated `tap check --all` / cold", 0.35),
    ("synth_prod_to_baseline", "`tap synth --stack prod` / baseline", 0.6),
    ("local_to_baseline", "`tap local --objects N` / baseline", 0.5),
]


def commands_section(c: dict[str, Any]) -> list[str]:
    """Measurement 8."""
    base = c.get("baseline")
    against = (
        f"the baseline is commit `{base['commit']}` (`TAP_BENCH_BASELINE`), timed in the same "
        "rounds"
        if base
        else "no baseline checkout was given (`TAP_BENCH_BASELINE`), so nothing is compared "
        "with an earlier commit"
    )
    lines = [
        "## 8. Command times",
        "",
        "**Method.** Each command is a fresh process of the installed `tap` script in the "
        "repository, timed from outside (wall clock around the process), stdout discarded; "
        f"{c['runs']} rounds, every command once per round, interleaved. Before timing, each "
        "side's site-packages and `src/` are byte-compiled and the share recorded ("
        + "; ".join(f"`{side}`: {_bytecode(share)}" for side, share in c["bytecode"].items())
        + "); "
        + (f"`tap local` runs {c['local_objects']} objects; " if base else "")
        + f"{against}.",
        "",
        "| command | time |",
        "|---|---|",
    ]
    for key, label in _COMMAND_ROWS:
        if key in c["seconds"]:
            lines.append(f"| {label} | {_s(c['seconds'][key], 2)} |")
    lines += ["", "| ratio (per round, then the median) | value | target |", "|---|---|---|"]
    for key, label, bound in _COMMAND_RATIOS:
        if key in c["ratios"]:
            if bound is None:
                lines.append(f"| {label} | {_x(c['ratios'][key])} | (for reference) |")
                continue
            ok = "ok" if c["ratios"][key]["median"] <= bound else "**over**"
            lines.append(f"| {label} | {_x(c['ratios'][key])} | ≤ {bound}×: {ok} |")
    return [*lines, ""]


def reconcile_section(r: dict[str, Any]) -> list[str]:
    """Measurement 9."""
    lines = [
        "## 9. tap reconcile at scale",
        "",
        "**Method** (benchmarks/reconcile_scale.py). For each size, a server process deploys the "
        "dev stack into a kept moto server and fills its versioned bucket and items table "
        "through moto's backends directly (10^5 puts through boto3 and HTTP would take "
        "minutes); every 1000th object has no item, so each run finds, reads again and reports "
        "0.1 % drift. `tap reconcile --stack dev --endpoint-url URL --json` then runs once as "
        "its own process: peak RSS is that process's `ru_maxrss` (`os.wait4`, the emulator not "
        "counted), throughput is objects over the `elapsed_seconds` it reports (listing, 4 "
        "Scan segments, the sqlite join, re-reads), and objects per CPU second uses the "
        "process's user+system time. Patches of moto's private code, in the server process "
        "only, keep the emulator from swamping the figure: ListObjectVersions is handed only "
        "the page's window of names (moto deep-copies and sorts the whole bucket per page), a "
        "key's re-read only its prefix's keys and moto forgets the copies it tracks (both as "
        "`tap local` does), and Scan pages skip moto's shape serializer. The emulator's server "
        "still bounds the wall-clock rate (one Python process serving every request, whose "
        "Scan walks the whole table for each page); the CPU rate is tap's own.",
        "",
        "| objects | elapsed | objects/s | objects per CPU s | peak RSS | drift found |",
        "|---|---|---|---|---|---|",
    ]
    for run in r["runs"]:
        lines.append(
            f"| {run['objects']:,} | {run['elapsed_seconds']:.1f} s | "
            f"{run['objects_per_second']:,.0f} | {run['objects_per_cpu_second']:,.0f} | "
            f"{run['peak_rss_mb']:.0f} MB | {run['counts']['missing_item']} missing items |"
        )
    ok = "ok" if r["rss_ratio"] < r["rss_bound"] else "**over**"
    lines += [
        "",
        f"Peak RSS at {r['runs'][-1]['objects']:,} objects is **{r['rss_ratio']:.2f}×** that at "
        f"{r['runs'][0]['objects']:,} (bound < {r['rss_bound']:.0f}×: {ok}).",
        "",
    ]
    return lines


def backfill_section(b: dict[str, Any]) -> list[str]:
    """Measurement 11."""
    title = "11. tap backfill's rate"
    rows = [
        f"| {_BACKFILL_SETTINGS[name]} | {layout} | {setting['keys']:,} | "
        f"{_s(figures['rates']['1'], 0)} | {_s(figures['rates']['8'], 0)} | "
        f"{_x(figures['speedup'])} |"
        for name, setting in b["settings"].items()
        for layout, figures in setting["layouts"].items()
    ]
    round_trip = b["settings"]["round_trips"]["round_trip_seconds"] * 1000
    return [
        f"## {title}",
        "",
        "**Method** (benchmarks/backfill_scale.py). A server process deploys the dev stack "
        "into a kept moto server and fills its versioned bucket through moto's backend, each "
        "run's keys under a prefix of their own. Flat: every key directly under the prefix "
        "(issue 22's 3,000 keys under `bulk/`); deep: 10 × 10 prefixes two levels down. This "
        "process runs `Backfill` (what `tap backfill` runs) on the run's prefix and times "
        "`run()`; every run must list and write all its keys. Rounds interleave the cells; "
        "8 / 1 is the median of each round's ratio. Emulator: as served; moto serves every "
        "request in one Python process, one after another, so workers can hardly overlap "
        f"there. Simulated round trips: each S3 and DynamoDB request first waits "
        f"{round_trip:.0f} ms (a botocore `before-send` hook), as a request to AWS waits for "
        "the network; that is where workers show.",
        "",
        "| setting | layout | keys | 1 worker | 8 workers | 8 / 1 |",
        "|---|---|---|---|---|---|",
        *rows,
        "",
    ]


def _bound(ok: bool) -> str:
    return "ok" if ok else "**over**"


def live_stack_section(r: dict[str, Any]) -> list[str]:
    """Measurement 12."""
    soak, listing, burst, stop, bounds = r["soak"], r["listing"], r["burst"], r["stop"], r["bounds"]
    return [
        "## 12. The live stack (`tap local --keep-running`)",
        "",
        "**Method** (benchmarks/live_stack.py). A server process runs the dev stack live, as "
        "`tap local --stack dev --keep-running` does, and reports its RSS (`VmRSS`) and CPU "
        'time; everything else goes through its endpoint with boto3, and "caught up" means a '
        "Scan of the items table shows every key at the version id PutObject answered last. "
        f"Soak: one writer puts {soak['events']:,} objects over {soak['keys']} keys back to "
        f"back, after {soak['warmup_events']} warm-up puts on the same keys that fill what the "
        "stack keeps a fixed amount of; each put is a new version of a versioned bucket, so "
        "moto's record of it is part of the figure, and the same puts to a versioned bucket "
        "outside the stack, which sends no events, measure that part. Listing: "
        f"{listing['keys']:,} keys put straight into moto's backend in a bucket outside the "
        f"stack, then {listing['listings']} full paginated ListObjectVersions through the "
        f"endpoint. Burst: {burst['writers']} writer threads (another process) put back to back "
        f"for {burst['seconds']:.0f} s, then the table is polled until it has caught up. Stop: "
        f"{stop['writers']} writers keep putting while the live stack is stopped; "
        "`LiveStack.stop` is timed in the server.",
        "",
        "| measure | value | target |",
        "|---|---|---|",
        f"| soak: RSS at start / end | {soak['rss_start_mb']:.0f} MB / {soak['rss_end_mb']:.0f} MB "
        f"({soak['events_per_second']:.0f} events/s, {soak['server_cpu_ms_per_event']:.1f} ms of "
        "server CPU per event) | |",
        f"| soak: MB per 1,000 events | {soak['mb_per_1000_events']:.1f} MB | "
        f"≤ {bounds['mb_per_1000_events']:.0f}: "
        f"{_bound(soak['mb_per_1000_events'] <= bounds['mb_per_1000_events'])} |",
        f"| soak: of it, what S3 alone keeps (the same puts to a versioned bucket sending no "
        f"events) | {soak['s3_alone_mb_per_1000_puts']:.1f} MB | |",
        f"| MB per {listing['keys']:,}-key listing (median of {listing['listings']}; the first "
        f"{listing['first_listing_mb']:.1f} MB) | {listing['mb_per_listing']:.1f} MB | "
        f"< {bounds['mb_per_listing']:.0f}: "
        f"{_bound(listing['mb_per_listing'] < bounds['mb_per_listing'])} |",
        f"| burst: puts per second, {burst['writers']} writers | {burst['puts_per_second']:.0f} | "
        f"≥ {bounds['puts_per_second']:.0f}: "
        f"{_bound(burst['puts_per_second'] >= bounds['puts_per_second'])} |",
        f"| burst: seconds for the table to catch up ({burst['keys']} keys) | "
        f"{burst['catch_up_seconds']:.1f} s | ≤ {bounds['catch_up_seconds']:.0f} s: "
        f"{_bound(burst['catch_up_seconds'] <= bounds['catch_up_seconds'])} |",
        f"| stop under traffic | {stop['stop_seconds']:.2f} s | ≤ {bounds['stop_seconds']:.0f} s: "
        f"{_bound(stop['stop_seconds'] <= bounds['stop_seconds'])} |",
        "",
    ]


_BACKFILL_SETTINGS = {"emulator": "emulator", "round_trips": "simulated round trips"}


def suite_section(t: dict[str, Any]) -> list[str]:
    """Measurement 10."""
    lines = [
        "## 10. The test suite",
        "",
        "**Method** (benchmarks/test_suite.py). Each side is a fresh clone of this repository with "
        "its commit checked out, in a temporary directory, where `make test` runs as CI runs it "
        "(venv, install, lint, type check, every test; `PYTHONDONTWRITEBYTECODE` as the "
        "environment sets it). The pytest phase is the time pytest prints on its last line. The "
        "baseline runs first, then this commit: one run each, since a fresh clone cannot be "
        "interleaved. `make quick` runs in this checkout, once to warm its caches, then timed.",
        "",
        "| side | commit | tests | pytest phase | `make test` wall | exit |",
        "|---|---|---|---|---|---|",
    ]
    for name, side in t["sides"].items():
        seconds = side["pytest_seconds"]
        lines.append(
            f"| {name} | `{side['commit']}` | {side['pytest_counts']} | "
            f"{f'{seconds:.1f} s' if seconds else 'none'} | {side['make_test_seconds']:.0f} s "
            f"| {side['exit_code']} |"
        )
    lines.append("")
    if "pytest_ratio" in t:
        ratio = t["pytest_ratio"]
        verdict = "ok" if ratio <= 0.5 else "**over**"
        lines.append(
            f"Pytest phase, this commit / baseline: **{ratio:.2f}×** (target ≤ 0.5×: {verdict})."
        )
    if "selection" in t:
        files = ", ".join(f"`{path}`" for path in t["selection"])
        lines += [
            f"A quick run (`make bench-quick`): pytest ran only {files} in this checkout, so "
            "the `make test` column is that run's wall time; no fresh clone, no `make quick`.",
            "",
        ]
        return lines
    quick = t["quick"]
    verdict = "ok" if quick["median"] < 30 else "**over**"
    lines += [f"`make quick`: {_s(quick, 1)} (target < 30 s: {verdict}).", ""]
    return lines


def behind_section(m: dict[str, Any]) -> list[str]:
    """Where tap is not ahead, and what would put it ahead."""
    lines = ["## Where tap is not ahead", ""]
    ci = m.get("cold_import", {})
    if ci.get("ok") and ci["handler_ready_to_boto3_client"]["median"] >= NOT_AHEAD:
        ready = ci["handler_ready_to_boto3_client"]
        precompiled = ci["handler_ready_precompiled_to_boto3_client"]["median"]
        extra = (
            ci["imports"]["handler_ready"]["median"] - ci["imports"]["boto3_client_ready"]["median"]
        )
        lines.append(
            f"- **Ready-to-write cold start** is {ready['median']:.2f}× a bare boto3 client "
            f"({extra:+.0f} ms median; per-round ratios {ready['minimum']:.2f}-"
            f"{ready['maximum']:.2f}×): level at best, because any handler that writes pays for "
            f"boto3 and its client. With precompiled sources it was {precompiled:.2f}× in this "
            "run; across runs on this machine that difference stays within the noise, so `.pyc` "
            "files are not a dependable lever. What would put "
            "tap ahead is taking the work off the cold path: Lambda SnapStart for Python "
            "(runtimes 3.12+) restores a snapshot taken after init, so creating the DynamoDB "
            "client at import time (inside the snapshot) instead of on the first event would "
            "remove it from every cold start. Not measured: SnapStart cannot run here."
        )
    tp = m.get("throughput", {})
    if tp.get("ok"):
        lines.append(
            f"- **Throughput** is {tp['tap_to_ceiling']['median']:.2f}× the raw write ceiling on "
            "the emulator: per-event parsing, one JSON log line and one EMF document. On AWS the "
            "network round trip dominates, so this matters little; if it did, dropping the INFO "
            "log line for `processed` events (the EMF document carries the same ids) is the "
            "cheapest win."
        )
    cp = m.get("critical_path", {})
    if cp.get("ok"):
        for stack, r in cp["stacks"].items():
            d, i = r["as_deployed"], r["inherent"]
            extra = [e for e in r["explicit_depends_on"] if not e["required_by_aws"]]
            gap = d["ingest_ready_seconds"] - i["ingest_ready_seconds"]
            if gap > 0:
                names = ", ".join(f"`{e['edge']}`" for e in extra)
                lines.append(
                    f"- **{stack}: ingest ready after {d['ingest_ready_seconds']:.0f} s against "
                    f"{i['ingest_ready_seconds']:.0f} s inherent** (+{gap:.0f} s, estimated), "
                    f"from {names}: a safety ordering, not an AWS requirement. Dropping it would "
                    "let the first deliveries fail until the permission exists; EventBridge "
                    "retries them (retry policy, then the delivery DLQ), so nothing is lost, but "
                    "the gain is one permission create. Keeping it is the better trade."
                )
            if d["weighted_seconds"] > d["ingest_ready_seconds"]:
                lines.append(
                    f"- **{stack}** deploy is bounded by the global-table replica "
                    f"({d['weighted_seconds']:.0f} s, inherent); nothing on the ingest path "
                    "waits for it."
                )
        lines.append(
            "- Inherent chains include table → function environment and table → role policy: "
            "the function waits for CreateTable (about 20 s) because it reads the table's "
            "`name`/`arn` outputs. The physical name is known in advance, but tap never builds "
            "names or ARNs from strings (the output carries the dependency), so it accepts this "
            "on purpose."
        )
    pk = m.get("packaging", {})
    if pk.get("ok"):
        lines.append(
            f"- **Cached packaging** saves little ({pk['first_to_cached']:.1f}×) because a "
            f"first build only zips {pk['zip_bytes'][0] / 1000:.0f} KB of sources; the cache "
            "pays off once the lock file "
            "pins dependencies that need a pip run."
        )
    return [*lines, ""]


def _rerun_note(m: dict[str, Any]) -> list[str]:
    """Which measurements come from an earlier run, when only some were re-run."""
    kept = {k: v.get("measured_at", "?") for k, v in m.items() if v.get("kept_from_previous_run")}
    if not kept:
        return []
    fresh = [k for k in m if k not in kept]
    return [
        f"Only {', '.join(fresh)} ran in this run; kept from earlier runs: "
        + ", ".join(f"{k} ({when})" for k, when in kept.items())
        + ". Ratios within one measurement are always from one run.",
        "",
    ]


def render(results: dict[str, Any], sections: Sequence[tuple[str, str, Renderer]]) -> str:
    """The whole results.md: `sections` are (key, title, renderer), in the report's order."""
    m = results["measurements"]
    env = results["environment"]
    pkgs = ", ".join(f"{k} {v}" for k, v in env["packages"].items() if v)
    lines = [
        "# tap benchmarks",
        "",
        "Generated by `make bench` (`python benchmarks/run.py`); raw numbers in `results.json`. "
        "Do not edit by hand.",
        "",
        f"Measured {env['date']} on {env['platform']}, {env['cpus']} CPUs, Python "
        f"{env['python']}; {pkgs}. Whole run: {results['total_wall_seconds']:.0f} s. These "
        "machines are shared and noisy: every figure is a median of n runs with its range, and "
        "every comparison is a ratio of figures taken in the same run.",
        "",
        *_rerun_note(m),
        *_rendered("Headline", lambda: headline(m)),
    ]
    for key, title, render_section in sections:
        lines += section(title, render_section, m.get(key))
    lines += _rendered("Where tap is not ahead", lambda: behind_section(m))
    return "\n".join(lines).rstrip() + "\n"
