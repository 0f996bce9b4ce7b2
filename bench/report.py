"""bench/RESULTS.md from a run's result dict, and the targets of issues 6 and 13.

Pure functions of the result bench/run.py builds (and writes as JSON), so a report can be
rebuilt from a results file and checked by tests/bench without starting anything.
"""

from pathlib import Path

# Issue 6: key -> minimum ratio of the floor's requests/s.
FLOOR_TARGETS = {
    "api_list": 0.15,
    "api_detail": 0.25,
    "api_me": 0.25,
    "api_create": 0.10,
    "api_search": None,
    "html_list": 0.10,
    "html_dashboard": 0.10,
}
# Issue 13: no endpoint's ratio to the floor may fall more than this below "before".
BEFORE_TOLERANCE = 0.10


def compare(endpoints, earlier) -> dict:
    """p95 here ÷ p95 in an earlier run (the 10k database), same endpoint and user size."""
    ratios = {}
    earlier_endpoints = earlier.get("endpoints", {})
    for name, entry in endpoints.items():
        # A 10k table holds no 100,000-task user: that one is held to the 1,000-task user's.
        other = earlier_endpoints.get(name) or earlier_endpoints.get(f"{entry['key']}@1000")
        if other and other["p95_ms"]:
            ratios[name] = round(entry["p95_ms"] / other["p95_ms"], 3)
    return {"database": earlier.get("machine", {}).get("database_url"), "p95_ratio": ratios}


def before_ratios(endpoints, before) -> dict:
    """{endpoint name: its ratio to the floor in the `before` run}, where it has one."""
    earlier = before.get("endpoints", {})
    return {
        name: earlier[name]["floor_ratio"]
        for name in endpoints
        if name in earlier and earlier[name].get("floor_ratio")
    }


def before_ok(now: float, before: float, tolerance: float = BEFORE_TOLERANCE) -> bool:
    """At most `tolerance` slower than before, in ratio to the floor."""
    return now >= before * (1 - tolerance)


def name_of(entry) -> str:
    return f"{entry['label']} [{entry['user_tasks']}]"


def checks(result) -> list[dict]:
    """Every target as {issue, check, value, target, ok}."""
    rows = []

    def add(issue, name, value, target, ok):
        rows.append({"issue": issue, "check": name, "value": value, "target": target, "ok": ok})

    endpoints = result["endpoints"]
    for entry in endpoints.values():
        target = FLOOR_TARGETS.get(entry["key"])
        name = name_of(entry)
        if target is not None:
            add(
                6, f"{name} ÷ floor", entry["floor_ratio"], f"≥ {target}",
                entry["floor_ratio"] >= target,
            )  # fmt: skip
        tail = entry["p99_ms"] / entry["p50_ms"] if entry["p50_ms"] else None
        add(
            6,
            f"{name} p99 ÷ p50, non-2xx",
            f"{tail:.2f}, {entry['non2xx']:.0f}" if tail else "n/a",
            "≤ 3, 0",
            bool(tail and tail <= 3 and entry["non2xx"] == 0 and entry["preflight_status"] < 300),
        )
    for size in sorted({e["user_tasks"] for e in endpoints.values()}):
        search, listing = endpoints.get(f"api_search@{size}"), endpoints.get(f"api_list@{size}")
        if search and listing:
            ratio = round(search["p95_ms"] / listing["p95_ms"], 2)
            add(6, f"search p95 ÷ list p95 [{size}]", ratio, "≤ 2", ratio <= 2)
    for name, ratio in result.get("compare", {}).get("p95_ratio", {}).items():
        add(6, f"p95 this ÷ p95 compared run: {name}", ratio, "≤ 1.5", ratio <= 1.5)
    for size, queries in result["list_queries"].items():
        ok = queries["rendered"] is not None and queries["rendered"] <= 2
        add(6, f"queries per API list request, not cached [{size}]", queries["rendered"], "≤ 2", ok)
    login = result["login"]
    if login["ratio_to_ceiling"] is not None:
        add(
            6, "logins/s ÷ hashing ceiling", login["ratio_to_ceiling"], "≥ 0.8",
            login["ratio_to_ceiling"] >= 0.8,
        )  # fmt: skip
    storm = login["storm"]["p95_ratio"]
    add(6, "task list p95 during a login storm ÷ its baseline", storm, "≤ 2", storm <= 2)
    connections = result["db_connections"]
    add(
        6, "DB connections (max sampled)", connections["max"], f"≤ {connections['limit']}",
        connections["max"] <= connections["limit"],
    )  # fmt: skip
    rows += workload_checks(result)
    return rows


def workload_checks(result) -> list[dict]:
    """Issue 13: the workloads against default DRF, and every endpoint against before."""
    rows = []

    def add(name, value, target, ok):
        rows.append({"issue": 13, "check": name, "value": value, "target": target, "ok": ok})

    for entry in result.get("workloads", {}).values():
        name = name_of(entry)
        if entry.get("drf_target") is not None:
            ratio = entry.get("drf_ratio")
            add(
                f"{name} ÷ default DRF", ratio, f"≥ {entry['drf_target']}",
                ratio is not None and ratio >= entry["drf_target"],
            )  # fmt: skip
        first = entry["preflight_status"], entry.get("drf_preflight_status", 200)
        add(
            f"{name}: non-2xx (product, DRF), first status",
            f"{entry['non2xx']:.0f}, {entry.get('drf', {}).get('non2xx', 0):.0f}; {first[0]}",
            "0, 0; 2xx",
            entry["non2xx"] == 0
            and entry.get("drf", {}).get("non2xx", 0) == 0
            and all(status < 300 for status in first),
        )
    for skipped in result.get("skipped", []):
        add(skipped["workload"], skipped["why"], "run", False)
    many = result.get("many_users")
    if many:
        add("many users seeded", many["users"], f"≥ {many['minimum']}", many["ok"])
    before = result.get("before")
    if before:
        for name, earlier in before["floor_ratio"].items():
            entry = result["endpoints"][name]
            change = entry["floor_ratio"] / earlier - 1
            add(
                f"{name_of(entry)} ÷ floor vs before",
                f"{entry['floor_ratio']:.3f} vs {earlier:.3f} ({change:+.1%})",
                f"≥ {1 - BEFORE_TOLERANCE:.0%} of before",
                before_ok(entry["floor_ratio"], earlier),
            )
    return rows


def _drf_cells(entry) -> str:
    if "drf" not in entry:
        return "— | —"
    return f"{entry['drf']['rps']:.1f} | **{entry['drf_ratio']:.2f}**"


def _share(value) -> str:
    return "—" if value is None else f"{value:.0%}"


def _targets_table(rows) -> list[str]:
    lines = ["| check | value | target | met |", "|---|---:|---:|:---:|"]
    lines += [
        f"| {row['check']} | {row['value']} | {row['target']} | {'yes' if row['ok'] else 'NO'} |"
        for row in rows
    ]
    return lines


def markdown(result, out: Path, args, root: Path) -> str:
    m = result["machine"]
    floor = result["floor"]
    lines = []
    if args.quick:
        lines += [
            "# Benchmark results — QUICK SMOKE RUN (not the final measurement)",
            "",
            f"`--quick`: {args.duration} s per wrk run, {args.repeats} repeat(s). It proves the "
            "harness works; the figures are noisy. Run `python bench/run.py` (10 s x 5) for "
            "the measurement.",
        ]
    else:
        lines += ["# Benchmark results", ""]
    lines += [
        "",
        f"Raw data: `{out.relative_to(root)}`. Medians over {args.repeats} run(s) of "
        f"{args.duration} s, {args.connections} connections, wrk interleaved in rounds of "
        "floor, product and (where it serves the URL) the default-DRF anchor.",
        "",
        "## Machine",
        "",
        f"- date: {m['date']}",
        f"- CPU: {m['cpu_model']}; `nproc`: {m['nproc']}; kernel {m['kernel']}",
        f"- PostgreSQL {m['postgresql']}; Redis {m['redis']}; Python {m['python']}; "
        f"{m['gunicorn']}",
        f"- gunicorn workers x threads: {m['workers']} x {m['threads']} (app, floor and "
        "anchor alike)",
        f"- database: `{m['database_url']}`",
        "- wrk runs on the same machine and shares its CPUs with gunicorn.",
        "",
        "```",
        m["free_h"],
        "```",
        "",
        "## Endpoints",
        "",
        f"Floor (bare JSON view, same gunicorn): **{floor['rps']:.0f} req/s**, p50 "
        f"{floor['p50_ms']:.2f} ms, p95 {floor['p95_ms']:.2f} ms, p99 {floor['p99_ms']:.2f} ms "
        f"({floor['runs']} runs). Default DRF (`bench/drf_settings.py`) serves the list and "
        "create at the same paths; **÷ DRF** is the product's req/s ÷ the anchor's. "
        "**before** is the ratio to the floor in the run issue 13 started from "
        f"(`{result.get('before', {}).get('path', 'none')}`).",
        "",
        "| endpoint | user tasks | req/s | ÷ floor | target | before | DRF req/s | ÷ DRF "
        "| p50 ms | p95 ms | p99 ms | non-2xx | first status |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    before = result.get("before", {}).get("floor_ratio", {})
    for name, entry in result["endpoints"].items():
        target = FLOOR_TARGETS.get(entry["key"])
        earlier = before.get(name)
        lines.append(
            f"| {entry['label']} `{entry['method']} {entry['path']}` | {entry['user_tasks']} "
            f"| {entry['rps']:.1f} | {entry['floor_ratio']:.3f} | "
            f"{'≥ ' + str(target) if target else '—'} "
            f"| {f'{earlier:.3f}' if earlier else '—'} | {_drf_cells(entry)} "
            f"| {entry['p50_ms']:.1f} | {entry['p95_ms']:.1f} | {entry['p99_ms']:.1f} "
            f"| {entry['non2xx']:.0f} | {entry['preflight_status']} |"
        )
    lines += workloads_section(result)
    login = result["login"]
    ceiling = login["hash_ceiling"]
    storm = login["storm"]
    lines += [
        "",
        "## Login",
        "",
        f"- logins/s (`POST /api/v1/auth/token/`, {login['connections']} connections): "
        f"**{login['alone']['rps']:.2f}**, p95 {login['alone']['p95_ms']:.0f} ms, "
        f"non-2xx {login['alone']['non2xx']:.0f}",
        f"- hasher ceiling ({ceiling.get('hasher')}, check_password in "
        f"{ceiling.get('processes')} processes): **{ceiling.get('hashes_per_second')}/s**",
        f"- logins/s ÷ ceiling: **{login['ratio_to_ceiling']}** (target ≥ 0.8)",
        f"- task list during a login storm: p95 {storm['list_during']['p95_ms']:.1f} ms vs "
        f"{storm['list_baseline_p95_ms']:.1f} ms baseline (**x {storm['p95_ratio']}**), "
        f"{storm['list_during']['rps']:.1f} req/s; storm logins/s "
        f"{storm['login']['rps']:.2f}",
        "",
        "## Database",
        "",
        f"- connections to the app database (sampled every 0.5 s; the anchor's and the "
        f"harness's own, named `taskflow-bench-*`, excluded): max "
        f"**{result['db_connections']['max']}**, median {result['db_connections']['median']} "
        f"(limit workers x threads + 2 = {result['db_connections']['limit']})",
        "- queries per API task list request (`/metrics` before and after 20 GETs of pages "
        "2-21: `rendered` is each URL's first request, read from the database; `cached` "
        f"the same URLs again, from the user's cache), by user size: {result['list_queries']}",
        "- mean queries per request by route over the whole run (`taskflow_db_queries_per_"
        "request`; GET and POST share a route, so `/api/v1/tasks/` mixes list, search, "
        "create and the workloads):",
        "",
    ]
    queries = result["queries_per_request"]
    if isinstance(queries, dict) and "error" not in queries:
        lines += ["| route | requests | mean queries |", "|---|---:|---:|"]
        lines += [f"| `{r}` | {d['requests']} | {d['mean_queries']} |" for r, d in queries.items()]
    else:
        lines.append(f"  unavailable: {queries}")
    lines += ["", "## Targets (issue 6)", ""]
    lines += _targets_table([row for row in result["checks"] if row["issue"] == 6])
    if "compare" in result:
        lines += [
            "",
            f"p95 ratios compare with `{args.compare}` ({result['compare']['database']}); "
            "only endpoint/user pairs present in both runs are compared.",
        ]
    else:
        lines += [
            "",
            "p95 on 1M ÷ p95 on 10k needs a 10k run: `python bench/run.py --database-url "
            ".../taskflow_bench_10k`, then this run with `--compare bench/results/<10k>.json`.",
        ]
    lines += ["", "## Targets (issue 13)", ""]
    lines += _targets_table([row for row in result["checks"] if row["issue"] == 13])
    if not result.get("before"):
        lines += [
            "",
            "No `before` run for this database (`--before`): the ±10 % check was not made.",
        ]
    return "\n".join(lines) + "\n"


def workloads_section(result) -> list[str]:
    workloads = result.get("workloads", {})
    lines = [
        "",
        "## Realistic workloads (issue 13)",
        "",
        "`bench/workloads.lua`, rounds of floor, product, default DRF. **from cache** is the "
        "share of the product's list GETs that ran no database query (`/metrics`: answered "
        "from its cache); the anchor has no cache.",
        "",
        "- **read after write**: each connection POSTs a task and, once that is answered, "
        "GETs the list, then POSTs again (one wrk thread per connection); **req/s counts "
        "both requests** (half are POSTs). *A user per connection*: no GET can find a cached "
        "answer; *one user*: every connection acts for the same heavy user, so another "
        "connection's GET after the same write can fill the cache first.",
        "- **page-through**: pages 1 to N in turn (each wrk thread from its own offset), the "
        "product's cache flushed before each run: a page's first request in a run is never "
        "cached, its later ones can be.",
        "- **many users**: each request a random one of the seeded users' tokens, the "
        "product's cache flushed before each run.",
        "",
        "| workload | users x tasks | req/s | ÷ floor | DRF req/s | ÷ DRF | target | DRF ÷ floor "
        "| p50 ms | p95 ms | p99 ms | non-2xx | from cache | first status |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for entry in workloads.values():
        target = entry.get("drf_target")
        drf_floor = entry.get("drf_floor_ratio")
        lines.append(
            f"| {entry['label']} | {entry.get('users', 1)} x {entry['user_tasks']} "
            f"| {entry['rps']:.1f} | {entry['floor_ratio']:.3f} | {_drf_cells(entry)} "
            f"| {'≥ ' + str(target) + 'x' if target else '—'} "
            f"| {f'{drf_floor:.3f}' if drf_floor else '—'} "
            f"| {entry['p50_ms']:.1f} | {entry['p95_ms']:.1f} | {entry['p99_ms']:.1f} "
            f"| {entry['non2xx']:.0f} | {_share(entry.get('cached_share'))} "
            f"| {entry['preflight_status']} / {entry.get('drf_preflight_status', '—')} |"
        )
    for skipped in result.get("skipped", []):
        lines.append(f"\nNot run: **{skipped['workload']}**: {skipped['why']}.")
    if not workloads and not result.get("skipped"):
        lines.append("\n(none in this run)")
    return lines
