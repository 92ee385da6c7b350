"""Measurements on recorded frames shared by the scenario tests."""


def adjacent_pairs(cells) -> set[tuple[int, int]]:
    """Pairs of cell indices (i < j) that share an edge (two or more vertices) in one frame."""
    cells_of_vertex: dict[int, list[int]] = {}
    for c, cell in enumerate(cells):
        for v in cell:
            cells_of_vertex.setdefault(int(v), []).append(c)
    shared: dict[tuple[int, int], int] = {}
    for owners in cells_of_vertex.values():
        for i in owners:
            for j in owners:
                if i < j:
                    shared[(i, j)] = shared.get((i, j), 0) + 1
    return {pair for pair, count in shared.items() if count >= 2}
