"""Regenerate the SBML files of models/ from their Antimony sources.

    .venv/bin/python models/build_sbml.py          # writes models/<name>.xml for every models/<name>.ant

Each .xml carries the .ant file's leading `//` comment block (what the circuit is, its inputs and
outputs, its literature source) as an XML comment. tests/genes/test_models.py checks the files are
in sync with their sources.
"""

from pathlib import Path

import antimony

MODELS = Path(__file__).resolve().parent


def header_comment(antimony_text):
    lines = []
    for line in antimony_text.splitlines():
        if not line.startswith("//"):
            break
        lines.append("  " + line[2:].strip())
    return "\n".join(lines).replace("--", "-")  # "--" may not appear inside an XML comment


def sbml_from_antimony(path):
    """The SBML text for an Antimony file, with its header comment after the XML declaration."""
    text = Path(path).read_text()
    antimony.clearPreviousLoads()
    if antimony.loadAntimonyString(text) < 0:
        raise ValueError(f"{path}: {antimony.getLastError().strip()}")
    sbml = antimony.getSBMLString(antimony.getMainModuleName())
    declaration, rest = sbml.split("\n", 1)
    return f"{declaration}\n<!--\n{header_comment(text)}\n-->\n{rest}"


def main():
    for source in sorted(MODELS.glob("*.ant")):
        target = source.with_suffix(".xml")
        target.write_text(sbml_from_antimony(source))
        print(f"wrote {target.relative_to(MODELS.parent)}")


if __name__ == "__main__":
    main()
