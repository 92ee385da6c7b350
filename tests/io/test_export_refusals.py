"""`export --vtk` at an existing file, `render --out` at a folder: exit 2, one line, nothing touched."""

from morphosim.cli import main
from tests.io.test_output_paths import TINY, snapshot


def test_export_to_a_file_and_render_to_a_folder_are_refused(tmp_path, capsys):
    (tmp_path / "s.yaml").write_text(TINY)
    assert main(["run", str(tmp_path / "s.yaml"), "--quiet"]) == 0
    (tmp_path / "notes.txt").write_text("my notes\n")
    (tmp_path / "pictures").mkdir()
    before = snapshot(tmp_path)
    for command in (["export", "--vtk", "notes.txt"], ["export", "--vtk", "notes.txt", "--overwrite"],
                    ["render", "--out", "pictures"], ["render", "--out", "pictures", "--overwrite"]):
        code = main([command[0], str(tmp_path / "out.zarr"), *[str(tmp_path / a) if not a.startswith("-") else a
                                                              for a in command[1:]]])
        lines = capsys.readouterr().err.strip().splitlines()
        assert code == 2 and len(lines) == 1, (command, lines)
        assert ("is not a morphosim export folder" if command[0] == "export" else "unsupported file type") in lines[0]
        assert snapshot(tmp_path) == before
