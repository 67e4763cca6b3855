from pathlib import Path

folder = Path("/tmp/notes")
folder.mkdir(exist_ok=True)
(folder / "a.txt").write_text("first note\n")
(folder / "b.txt").write_text("second note\nmore\n")
for p in sorted(folder.glob("*.txt")):
    print(p.name, len(p.read_text().splitlines()), "lines")
