"""How file text is cut into the chunks that keep it and that the content search indexes."""
import random

from knowledge.services.writer import CHUNK_CHARS, CHUNK_LINES, chunks_of


def _line_by_line(text: str) -> list[tuple[int, str]]:
    """The rule spelled out one line at a time: the oracle for the windowed implementation."""
    pieces, lines, size, start = [], [], 0, 1
    for number, line in enumerate(text.split("\n") if text else [], start=1):
        if lines and (len(lines) >= CHUNK_LINES or size + len(line) > CHUNK_CHARS):
            pieces.append((start, "\n".join(lines)))
            lines, size, start = [], 0, number
        lines.append(line)
        size += len(line) + 1
    if lines:
        pieces.append((start, "\n".join(lines)))
    return pieces


def test_source_is_cut_every_fifty_lines_and_each_piece_knows_its_first_line():
    text = "\n".join(f"line {n}" for n in range(1, 121))
    pieces = chunks_of(text)
    assert [start for start, _ in pieces] == [1, 51, 101]
    assert pieces[1][1].split("\n")[0] == "line 51"


def test_long_lines_start_a_new_piece_and_a_minified_line_is_a_piece_of_its_own():
    text = "short\n" + "a" * 3000 + "\n" + "b" * 3000 + "\n" + "c" * 10_000
    pieces = chunks_of(text)
    assert [start for start, _ in pieces] == [1, 3, 4]
    assert pieces[2][1] == "c" * 10_000


def test_pieces_joined_with_newlines_give_back_the_text_exactly():
    for text in ["", "x", "x\n", "\n" * 60, "a\r\nb\r\n", "ü\n" * 75 + "end", "\n".join("y" * 5000 for _ in range(3))]:
        assert "\n".join(piece for _, piece in chunks_of(text)) == text
    assert chunks_of("") == []


def test_windowed_cutting_matches_the_line_by_line_rule():
    rng = random.Random(7)
    for _ in range(3000):
        widths = [0, 0, 1, 10, 80, 200, 3000, 5000, 9000]
        text = "\n".join("x" * rng.choice(widths) for _ in range(rng.randint(0, 300)))
        assert chunks_of(text) == _line_by_line(text)
        assert "\n".join(piece for _, piece in chunks_of(text)) == text
