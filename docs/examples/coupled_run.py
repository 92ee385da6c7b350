"""A coupled run from Python: Notch–Delta lateral inhibition on a vertex sheet, ending in a PNG.

Run from a folder holding scenarios/ and models/ (the repository root): python docs/examples/coupled_run.py
"""

import numpy as np

import morphosim
import viz

morphosim.threads.configure()
sim = morphosim.Simulation.from_scenario("scenarios/lateral_inhibition_small.yaml",
                                         overrides=["time.end=30", "output.path=lateral_inhibition.zarr"])
sim.run(store="lateral_inhibition.zarr", overwrite=True)

frame = sim.frame()                              # the same Frame type open_run(...).frame(k) returns
delta = frame.species["D"]
print(f"t = {sim.time:g}: {np.mean(delta > 0.5):.0%} of {len(delta)} cells high-Delta")
viz.render("lateral_inhibition.zarr", "lateral_inhibition.png", viz.ViewOptions(color="D", window_size=(640, 480)),
           overwrite=True)
print("wrote lateral_inhibition.png")
