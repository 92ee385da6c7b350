"""A pyABC sampler whose posterior does not depend on the cluster: every particle is one dask task
with its own random stream, seeded by (the fit's seed, the sampler's call, the particle's place).

pyABC's DaskDistributedSampler keeps the first particles to arrive, so which particles make a
generation depends on the workers' timing. Here the map keeps the particles' order, `call` counts
the sampler's calls (the calibration sample, then one per generation) and `place` is the particle's
position in its generation: the same fit file gives the same particles bit for bit on any number of
workers. (Imported only by `fit`, which loads pyABC lazily.)
"""

import random

import numpy as np
from pyabc.sampler import MappingSampler


class SeededFirstCall:
    """`simulate_one` that seeds numpy's and Python's global random streams from `key` before its
    first call (pyABC's simulate_one draws from them), then simulates as it is."""

    def __init__(self, simulate_one, key):
        self.simulate_one, self.key = simulate_one, key

    def __call__(self):
        if self.key is not None:
            state = np.random.SeedSequence(self.key).generate_state(2)
            np.random.seed(state[0])
            random.seed(int(state[1]))
            self.key = None
        return self.simulate_one()


class SeededSampler(MappingSampler):
    """MappingSampler over a dask client; each task draws until it accepts one particle."""

    def __init__(self, client, seed: int):
        super().__init__(map_=self.seeded_map)
        self.client, self.seed, self.calls = client, seed, 0

    def sample_until_n_accepted(self, n, simulate_one, t, **options):
        self.calls += 1
        return super().sample_until_n_accepted(n, simulate_one, t, **options)

    def seeded_map(self, function, places):
        keys = [(self.seed, self.calls, place) for place in range(len(places))]
        return self.client.gather(self.client.map(function, keys, pure=False))

    def map_function(self, simulate_one, key):
        # the base class reseeds from the clock before its first simulation; ours seeds after that
        return super().map_function(self.pickle(SeededFirstCall(self.unpickle(simulate_one), key)), None)
