"""Run SBML Test Suite semantic cases through the batched solver and tally the outcomes.

    python bench/genes/sbml_suite.py DIR [--list] [--cases 00001,00002] [--budget SECONDS]

DIR holds case folders NNNNN/ (or a `cases/` folder of them), each with NNNNN-sbml-lXvY.xml,
NNNNN-settings.txt, NNNNN-results.csv and NNNNN-model.m (the suite's format). Every TimeCourse case
is simulated with one cell from its start to start + duration, recorded at its `steps` output times,
and its `variables` compared with the expected results at the case's own tolerances:
|got - expected| <= absolute + relative * |expected| at every time (both NaN also passes).

Outcome per case:
    pass     every value within tolerance
    wrong    a value outside tolerance (a correctness bug: must be 0)
    refused  the batched compiler raised UnsupportedSBMLError (the construct is named), or reading the
             model raised SBMLError (the element is named; e.g. a comp external model file not in DIR)
    crash    anything else: a raw exception, or an integrator failure (must be 0)
The table counts outcomes per component tag and per test tag (a case counts under each of its tags).
"""

import argparse
import math
import re
import sys
import time
import traceback
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

# the morphosim of this checkout, not one installed elsewhere (a script's own folder leads sys.path)
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from morphosim.genes import SBMLError, UnsupportedSBMLError, load  # noqa: E402

OUTCOMES = ("pass", "wrong", "refused", "crash")
# Integrator tolerances relative to the case's comparison tolerances: the integration error must be
# well inside what the comparison allows.
TOLERANCE_MARGIN = 1e-3


def case_folders(directory):
    directory = Path(directory)
    if (directory / "cases").is_dir():
        directory = directory / "cases"
    return sorted(p for p in directory.iterdir() if p.is_dir() and re.fullmatch(r"\d{5}", p.name))


def read_settings(folder):
    settings = {}
    for line in (folder / f"{folder.name}-settings.txt").read_text().splitlines():
        if ":" in line:
            key, value = line.split(":", 1)
            settings[key.strip()] = value.strip()
    names = lambda key: [v.strip() for v in settings.get(key, "").split(",") if v.strip()]  # noqa: E731
    return {"start": float(settings["start"]), "duration": float(settings["duration"]),
            "steps": int(float(settings["steps"])), "variables": names("variables"),
            "absolute": float(settings["absolute"]), "relative": float(settings["relative"]),
            "amount": set(names("amount")), "concentration": set(names("concentration"))}


def read_tags(folder):
    text = (folder / f"{folder.name}-model.m").read_text()
    tags = {}
    for key in ("componentTags", "testTags", "testType"):
        match = re.search(rf"{key}:[ \t]*(.*)", text)
        tags[key] = [t.strip() for t in match.group(1).split(",") if t.strip()] if match else []
    return tags


def model_file(folder):
    """The newest SBML level/version of the case."""
    files = sorted(folder.glob(f"{folder.name}-sbml-l*v*.xml"),
                   key=lambda p: tuple(int(x) for x in re.findall(r"l(\d+)v(\d+)", p.name)[0]))
    return files[-1]


def simulated(network, settings, method):
    """(times, {variable: values}) from the batched solver with one cell."""
    rtol = max(settings["relative"] * TOLERANCE_MARGIN, 1e-12)
    atol = max(settings["absolute"] * TOLERANCE_MARGIN, 1e-15)
    pop = network.population(1, solver="batched", method=method, rtol=rtol, atol=atol)
    compartment_of = {sid: s.compartment for sid, s in network.species.items()}
    amount_only = {sid for sid, s in network.species.items() if s.amount_only}

    def read(variable):
        value = pop.values(variable)[0]
        if variable in compartment_of:
            size = pop.values(compartment_of[variable])[0]
            if variable in settings["amount"] and variable not in amount_only:
                return value * size
            if variable in settings["concentration"] and variable in amount_only:
                return value / size
        return value

    if settings["start"] > 0:
        pop.advance(settings["start"])
    rows = [[read(v) for v in settings["variables"]]]
    for step in range(1, settings["steps"] + 1):
        # to each output time as the suite writes it (summing intervals would end at 0.9999999999999999
        # instead of 1, on the wrong side of a piecewise condition such as time < 1)
        pop.advance(settings["start"] + settings["duration"] * step / settings["steps"] - pop.time)
        rows.append([read(v) for v in settings["variables"]])
    return np.array(rows)


def within_tolerance(got, expected, settings):
    both_nan = np.isnan(got) & np.isnan(expected)
    same_infinity = np.isinf(expected) & (got == expected)
    with np.errstate(invalid="ignore"):  # inf - inf
        close = np.abs(got - expected) <= settings["absolute"] + settings["relative"] * np.abs(expected)
    return both_nan | same_infinity | close


def run_case(folder):
    """(outcome, detail) of one TimeCourse case."""
    settings = read_settings(folder)
    header, *lines = (folder / f"{folder.name}-results.csv").read_text().strip().splitlines()
    columns = [c.strip() for c in header.split(",")]
    expected_all = np.array([[float(x) for x in line.split(",")] for line in lines])
    # the first column is the time (a variable may be called "Time" too)
    expected = expected_all[:, [1 + columns[1:].index(v) for v in settings["variables"]]]
    try:
        network = load(model_file(folder))
        try:
            got = simulated(network, settings, "explicit")
        except RuntimeError as error:
            if "integrator" not in str(error):
                raise
            got = simulated(network, settings, "stiff")
    except UnsupportedSBMLError as error:
        return "refused", str(error)
    except SBMLError as error:  # a model morphosim cannot read (e.g. a comp external file that is absent)
        return "refused", str(error)
    except Exception as error:  # noqa: BLE001 -- the runner's job is to classify every failure
        return "crash", f"{type(error).__name__}: {error}".splitlines()[0] + " | " + \
            traceback.format_exc().strip().splitlines()[-3].strip()
    ok = within_tolerance(got, expected, settings)
    if ok.all():
        return "pass", ""
    row, column = np.argwhere(~ok)[0]
    return "wrong", (f"{settings['variables'][column]} at row {row}: got {got[row, column]!r}, "
                     f"expected {expected[row, column]!r}")


def run_suite(directory, selected=None, log=None, budget=math.inf):
    """{case name: (outcome, detail, tags)} for the TimeCourse cases of a suite directory: all, or those
    named in `selected` (a list runs in its order, any other collection in number order). No case starts
    after `budget` seconds, so a run that must end in time still tallies the cases it finished."""
    folders = case_folders(directory)
    if selected is not None:
        by_name = {folder.name: folder for folder in folders}
        folders = [by_name[name] for name in (selected if isinstance(selected, list) else sorted(selected))
                   if name in by_name]
    results = {}
    started_run = time.perf_counter()
    for folder in folders:
        if time.perf_counter() - started_run > budget:
            break
        tags = read_tags(folder)
        if "TimeCourse" not in tags["testType"]:
            continue
        started = time.perf_counter()
        outcome, detail = run_case(folder)
        results[folder.name] = (outcome, detail, tags)
        if log:
            log(f"{folder.name} {outcome:8s} {time.perf_counter() - started:6.2f} s  {detail}")
    return results


def table(results):
    """Text table: outcome counts in total, per component tag and per test tag."""
    rows = [("all cases", Counter(outcome for outcome, _, _ in results.values()))]
    for key in ("componentTags", "testTags"):
        per_tag = defaultdict(Counter)
        for outcome, _, tags in results.values():
            for tag in tags[key]:
                per_tag[tag][outcome] += 1
        rows += [(f"{key[:-4]} {tag}", counts) for tag, counts in sorted(per_tag.items())]
    width = max(len(name) for name, _ in rows)
    lines = [f"{'':{width}s} " + " ".join(f"{o:>7s}" for o in OUTCOMES)]
    lines += [f"{name:{width}s} " + " ".join(f"{counts[o]:7d}" for o in OUTCOMES) for name, counts in rows]
    return "\n".join(lines)


def refusals(results):
    """Refused cases counted by the construct the refusal names."""
    constructs = Counter()
    for outcome, detail, _ in results.values():
        if outcome == "refused":
            construct = re.sub(r"'[^']*'", "'…'", detail.split(" is not supported")[0])
            construct = re.sub(r" in the .*", "", construct)
            construct = re.sub(r"^an algebraic rule \(.*\)$", "an algebraic rule", construct)
            constructs["a comp external model file that is absent" if "external model" in construct
                       else construct] += 1
    return constructs


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("directory")
    parser.add_argument("--cases", default="", help="comma-separated case numbers, run in this order (default: all)")
    parser.add_argument("--list", action="store_true", help="print one line per case as it runs")
    parser.add_argument("--budget", type=float, default=math.inf,
                        help="seconds after which no further case starts (default: none)")
    args = parser.parse_args()
    selected = list(dict.fromkeys(args.cases.split(","))) if args.cases else None
    started = time.perf_counter()
    results = run_suite(args.directory, selected, log=(lambda line: print(line, flush=True)) if args.list else None,
                        budget=args.budget)
    print(table(results))
    print("\nrefused, by construct:")
    for construct, count in refusals(results).most_common():
        print(f"  {count:4d}  {construct}")
    for outcome in ("wrong", "crash"):
        for name, (o, detail, _) in results.items():
            if o == outcome:
                print(f"{outcome}: {name}: {detail}")
    print(f"\n{len(results)} TimeCourse cases in {time.perf_counter() - started:.0f} s")
    return 1 if any(o in ("wrong", "crash") for o, _, _ in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
