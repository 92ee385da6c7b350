"""Scaled gene inputs: `genes.inputs.<p>: {source, scale, offset}` sets p = scale · source + offset."""

import numpy as np
import pytest

import morphosim
from morphosim.cli import main
from morphosim.scenario import ScenarioError, load_scenario

# dX/dt = p with p fed from the cells' x position: X(T) = ∫ p dt, so a scaled input integrates to
# scale · X_raw(T) + offset · T exactly (the cells move the same in both runs: X acts on nothing).
SCENARIO = """\
name: scaled
seed: 1
time: {{end: 0.5, dt: 0.05, record_every: 0.25}}
cells:
  geometry: {{kind: voronoi, n_cells: 16, box: [4, 4], periodic: true, lloyd: 1}}
  mechanics: {{K: 1.0, A0: 1.2, Gamma: 0.04, Lambda: 0.12}}
genes:
  antimony: |
    model m
      J0: -> X; p
      p = 0; X = 0
    end
  inputs: {{p: {source}}}
output: {{path: {name}.zarr}}
"""


def run(tmp_path, source, name):
    path = tmp_path / f"{name}.yaml"
    path.write_text(SCENARIO.format(source=source, name=name))
    assert main(["run", str(path), "--quiet"]) == 0
    return morphosim.open_run(tmp_path / f"{name}.zarr")


def test_a_scaled_input_is_scale_times_the_source_plus_offset_in_a_run(tmp_path):
    raw = run(tmp_path, "position.x", "raw")
    scaled = run(tmp_path, "{source: position.x, scale: -2.5, offset: 0.75}", "scaled")
    for k in range(len(raw)):
        before, after = raw.frame(k), scaled.frame(k)
        np.testing.assert_array_equal(before.vertices, after.vertices)   # X feeds nothing back
        np.testing.assert_allclose(after.species["X"], -2.5 * before.species["X"] + 0.75 * before.time,
                                   rtol=1e-9, atol=1e-12)
    # the source varies over the sheet, so the check above is not one of constants
    assert np.ptp(raw.frame(-1).species["X"]) > 0.5
    # the stored scenario keeps what the user wrote (a resume compares it)
    assert scaled.scenario["genes"]["inputs"]["p"] == {"source": "position.x", "scale": -2.5, "offset": 0.75}
    assert raw.scenario["genes"]["inputs"]["p"] == "position.x"


@pytest.mark.parametrize("source, message", [
    ("{source: position.w, scale: 2}", "genes.inputs.p: unknown input source 'position.w'"),
    ("{scale: 2}", "genes.inputs.p: expected an input source name or {source, scale, offset}"),
    ("{source: position.x, scale: .nan}", "genes.inputs.p: expected an input source name or {source, scale, offset}"),
    ("{source: position.x, gain: 2}", "genes.inputs.p: expected an input source name or {source, scale, offset}"),
])
def test_bad_scaled_inputs_name_the_key(tmp_path, source, message):
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO.format(source=source, name="x"))
    with pytest.raises(ScenarioError, match=message.replace("{", r"\{").replace("}", r"\}").replace(".", r"\.")):
        load_scenario(path)
