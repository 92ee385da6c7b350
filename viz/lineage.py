"""Cell lineage across the frames of a run: every cell id's parent, its ancestors and descendants."""

from __future__ import annotations

from collections import defaultdict


class Lineage:
    """Parent links gathered from every recorded frame (a cell that divided between two
    records still links its daughters to their grandmother through its own id)."""

    def __init__(self, parent_of: dict[int, int]):
        self.parent_of = parent_of
        self.children_of: dict[int, list[int]] = defaultdict(list)
        for cell, parent in parent_of.items():
            if parent >= 0:
                self.children_of[parent].append(cell)

    @classmethod
    def from_run(cls, run) -> "Lineage":
        parent_of: dict[int, int] = {}
        for k in range(len(run.times)):
            frame = run.frame(k)
            parent_of.update(zip(frame.cell_ids.tolist(), frame.parent_ids.tolist()))
        return cls(parent_of)

    def ancestors(self, cell: int) -> list[int]:
        """Mother, grandmother, ... (nearest first)."""
        chain = []
        while (cell := self.parent_of.get(cell, -1)) >= 0 and cell not in chain:
            chain.append(cell)
        return chain

    def descendants(self, cell: int) -> list[int]:
        """Daughters, granddaughters, ... (generation by generation)."""
        found, generation = [], list(self.children_of.get(cell, []))
        while generation:
            found += generation
            generation = [child for mother in generation for child in self.children_of.get(mother, [])]
        return found
