"""``python -m bench.screening``: sanctions screening throughput. One JSON document on stdout
(also written to ``bench/results/`` by ``util.write_results``); progress on stderr.

Setup (not timed), in a freshly created bench database (its name must contain "bench"): for each
``--sizes`` (default 10,000 and 100,000) a generated list of that many entries (persons with
first, middle and last names drawn from multi-cultural pools, 1-3 aliases each, organisations
with a legal form), loaded through ``services.version_load`` as the only active version.

Timed per size: the cold index build (``matching.build_index`` from the database, and the pure
in-memory part) with the memory it takes: the process's resident set before and after (the previous
size's index released and the free heap handed back first) and the size of the objects the index
holds (``index_size_mb``, a walk of its object graph, after the timing); then ``--queries`` names
(default 2,000: half spelling variants of listed names, half unrelated names) screened with
``Index.search``: names per second, latency percentiles and how many variants were found.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import json
import os
import random
import resource
import sys
import time
import types

from bench import util

FIRST = ["vladimir", "sergei", "alexander", "mohammed", "ali", "ahmad", "hassan", "omar", "john", "james", "maria",
         "anna", "olga", "elena", "igor", "dmitry", "nikolai", "wei", "li", "chen", "jose", "juan", "carlos", "luis",
         "kim", "park", "ibrahim", "yusuf", "fatima", "aisha", "pierre", "jean", "hans", "peter", "michael", "david",
         "abdul", "rahman", "karim", "tariq", "viktor", "oleg", "roman", "arkady", "boris", "gennady", "yevgeny",
         "mikhail", "ivan", "pavel", "andrei", "natalia", "svetlana", "hamid", "reza", "mehdi", "ali", "hussein"]
SYL = ["ka", "ro", "vin", "ski", "ov", "ev", "in", "ma", "li", "shen", "ko", "tar", "ba", "zov", "ri", "an", "gul",
       "dar", "mir", "sha", "no", "pe", "tro", "vich", "hal", "lu", "ne", "do", "ra", "sa", "fi", "mo", "zen"]
ORG = ["trading", "holding", "bank", "shipping", "energy", "oil", "metals", "logistics", "invest", "capital", "group",
       "industries", "petroleum", "maritime", "finance", "export", "import", "technologies", "mining", "defense"]
FORMS = ["llc", "ltd", "ooo", "jsc", "pjsc", "gmbh", "sa", "plc", "fze", "inc"]
HEADER = "id,schema,name,aliases,birth_date,countries,addresses,identifiers,sanctions,phones,emails,dataset," \
         "first_seen,last_seen,last_change\n"


def surname(rng):
    return "".join(rng.choice(SYL) for _ in range(rng.randint(2, 4)))


def generate(n: int, rng: random.Random) -> tuple[str, list[str]]:
    lines, names = [HEADER], []
    for i in range(n):
        if rng.random() < 0.8:
            first, middle, last = rng.choice(FIRST), rng.choice(FIRST) + "ovich", surname(rng)
            name = f"{first.title()} {middle.title()} {last.title()}"
            aliases = [f"{first.title()} {last.title()}", f"{last.upper()} {first.title()}"][:rng.randint(1, 2)]
            dob = f"{rng.randint(1940, 2000)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            lines.append(f"g{i},Person,{name},{';'.join(aliases)},{dob},ru,,,GEN,,,bench,,,\n")
            names.append(f"{first} {last}")
        else:
            name = f"{surname(rng).title()} {rng.choice(ORG).title()} {rng.choice(FORMS).upper()}"
            lines.append(f"g{i},Organization,{name},,,,,,GEN,,,bench,,,\n")
            names.append(name)
    return "".join(lines), names


def variant(name: str, rng: random.Random) -> str:
    toks = name.split()
    roll = rng.random()
    if roll < 0.3:
        toks.reverse()
    elif roll < 0.6:
        t = rng.randrange(len(toks))
        w = toks[t]
        if len(w) > 5:
            p = rng.randrange(1, len(w) - 1)
            toks[t] = w[:p] + rng.choice("aeiouy") + w[p + 1:]
    elif roll < 0.8:
        toks = [t.replace("v", "w").replace("i", "y", 1) for t in toks]
    return " ".join(toks).title()


def release_memory() -> None:
    """Collect, and hand the free heap back to the system (glibc), so that the next RSS reading
    counts what is really held."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def deep_size_mb(root) -> float:
    """The memory of the objects reachable from ``root`` (each once; classes, modules and functions
    left out): the index's own size, whatever the allocator kept from before."""
    seen, stack, total = set(), [root], 0
    while stack:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, (type, types.ModuleType, types.FunctionType)):
            continue
        seen.add(id(obj))
        total += sys.getsizeof(obj)
        stack.extend(gc.get_referents(obj))
    return total / 2**20


def rss_mb() -> float:
    """The resident set size of this process (Linux ``/proc``; elsewhere the peak so far)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--queries", type=int, default=2000)
    args = parser.parse_args(argv)
    url = util.bench_database_url(args.database_url)
    util.recreate_database(url)
    util.setup_django(url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from compliance.screening import matching, services
    from compliance.screening.models import WatchList

    rng = random.Random(7)
    index = None
    doc = {"benchmark": "screening", "machine": util.machine_info(url), "queries": args.queries, "sizes": []}
    for size in (int(x) for x in args.sizes.split(",")):
        csv_text, names = generate(size, rng)
        code = f"GEN{size}"
        WatchList.objects.filter(is_active=True).update(is_active=False)
        services.watchlist_ensure(code=code)
        started = time.perf_counter()
        version = services.version_load(list_code=code, content=csv_text.encode(), file_name=f"{code}.csv",
                                        rescreen=False).version
        load_seconds = time.perf_counter() - started
        print(f"{code}: loaded {version.entry_count} entries in {load_seconds:.1f}s", file=sys.stderr)
        index = None  # the previous size's index goes before this one is measured
        release_memory()
        rss_before = rss_mb()
        started = time.perf_counter()
        index = matching.build_index([version.pk])
        cold = time.perf_counter() - started
        rss_after = rss_mb()
        queries = []
        for i in range(args.queries):
            if i % 2 == 0:
                queries.append((variant(rng.choice(names), rng), True))
            else:
                queries.append((f"{rng.choice(FIRST).title()} {surname(rng).title()}", False))
        latencies, found, false_hits = [], 0, 0
        begin = time.perf_counter()
        for q, listed in queries:
            t0 = time.perf_counter()
            result = index.search(q)
            latencies.append(time.perf_counter() - t0)
            if listed and result:
                found += 1
            if not listed and result:
                false_hits += 1
        total = time.perf_counter() - begin
        row = {"entries": version.entry_count, "keys": len(index), "tokens": len(index.words),
               "blocking_keys": len(index.blocks),
               "load_seconds": round(load_seconds, 2), "cold_index_build_seconds": round(cold, 3),
               "index_in_memory_seconds": round(index.build_seconds, 3),
               "index_rss_mb": round(rss_after - rss_before, 1), "rss_after_build_mb": round(rss_after, 1),
               "index_size_mb": round(deep_size_mb(index), 1),
               "names_per_second": round(len(queries) / total, 1), "latency": util.latency_summary(latencies),
               "variants_found": f"{found}/{len(queries) // 2}",
               "unrelated_names_with_candidates": f"{false_hits}/{len(queries) - len(queries) // 2}"}
        print(json.dumps(row), file=sys.stderr)
        doc["sizes"].append(row)
    path = util.write_results(doc)
    print(json.dumps(doc, indent=2))
    print(f"written to {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
