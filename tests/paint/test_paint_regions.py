"""Region-to-region matching along a chain (core/paint/regions.py, match.vote, paint._recall).

Hand-made line frames and hand-made motion, so each case shows one decision: a leg cut by the frame edge
whose motion strays onto the paper beside it, a colour straying into a neighbour's area, an area the chain
lost for one frame and finds again in the frame before.
"""
import numpy as np

from nakawari.inbetween.represent import analyse_keys
from nakawari.paint import PaintSettings, _recall
from nakawari.paint.areas import find_areas
from nakawari.paint.match import Reference, vote
from nakawari.paint.palette import colour_codes, read_palette
from nakawari.paint.regions import Landings, key_mixes, match_regions

H, W = 120, 160
BROWN = (0.22, 0.09, 0.01)
BLUE = (0.26, 0.30, 0.50)
SHADOW = (0.60, 0.30, 0.35)


def _lines() -> np.ndarray:
    """A box (the body) and below it a leg running out at the frame's bottom edge."""
    img = np.ones((H, W, 4), np.float32)
    img[20:22, 40:120, :3] = 0.0   # body: top
    img[20:70, 40:42, :3] = 0.0    # left
    img[20:70, 118:120, :3] = 0.0  # right
    img[68:70, 40:120, :3] = 0.0   # bottom (the leg's top)
    img[68:, 60:62, :3] = 0.0      # leg: left side, down to the frame edge
    img[68:, 98:100, :3] = 0.0     # right side
    return img


def _painted(lines: np.ndarray) -> np.ndarray:
    out = lines.copy()
    out[22:68, 42:118, :3] = BLUE
    out[70:, 62:98, :3] = BROWN
    return out


def _setup(settings: PaintSettings):
    lines = _lines()
    style = analyse_keys([lines])
    areas = find_areas(lines, style, settings)
    palette = read_palette(_painted(lines), areas, settings)
    return lines, style, areas, Reference.of_key(areas, palette)


def _code(rgb: tuple[float, float, float]) -> int:
    return int(colour_codes(np.array([[[*rgb, 1.0]]], np.float32))[0, 0])


def _leg_flow() -> np.ndarray:
    """Right for most of the frame, but the leg's right part lands 30 px to the right, on the paper."""
    flow = np.zeros((H, W, 2), np.float32)
    flow[70:, 86:98, 0] = 30.0
    return flow


def test_region_match_prefers_the_partner_over_a_big_neighbour_strayed_onto():
    # Target area 1 lands 60 % in reference area 7 (its partner, claimed by nothing else) and 40 % on the
    # paper (reference area 1, which the target's own paper area 2 claims a thousand times more).
    t_lab = np.array([1] * 60 + [1] * 40 + [2] * 40000)
    landed = np.array([7] * 60 + [1] * 40 + [1] * 40000)
    holds = np.zeros((8, 3), bool)
    holds[1, 0] = holds[7, 1] = True
    main = np.array([0, 0, 0, 0, 0, 0, 0, 1])
    region = match_regions(Landings.of(t_lab, landed, 3, 8), holds, main, swallow=0.6, min_coverage=0.08)
    assert region.best[1] == 7 and region.mutual[1] and region.sure[1] > 0.9
    assert region.allowed[1].tolist() == [False, True, False]  # the paper's colour is not the leg's
    assert region.best[2] == 1 and region.allowed[2].tolist() == [True, False, False]


def test_landings_count_pairs_and_break_ties_by_the_lowest_label():
    t_lab = np.array([1, 1, 1, 1, 2, 2, 3])
    landed = np.array([5, 5, 2, 2, 0, 4, 4])
    for dense in (True, False):  # the table and the sort count the same pairs
        landings = Landings.of(t_lab, landed, 5 if dense else 5_000_000, 6 if dense else 6)
        assert landings.target.tolist() == [1, 1, 2, 2, 3]
        assert landings.reference.tolist() == [2, 5, 0, 4, 4] and landings.count.tolist() == [2, 2, 1, 1, 1]
        assert landings.most_landed()[:4].tolist() == [0, 2, 0, 4]  # area 1: a 2-2 tie goes to label 2
        flagged = np.zeros(6, bool)
        flagged[[4, 5]] = True
        assert landings.count_in(flagged)[:4].tolist() == [0, 2, 1, 1]


def test_a_leg_whose_motion_strays_onto_the_paper_keeps_its_colour():
    settings = PaintSettings()
    _, _, areas, ref = _setup(settings)
    leg = areas.labels[100, 80]
    paper = areas.labels[5, 5]
    brown, white = _code(BROWN), _code((1.0, 1.0, 1.0))
    inside = (areas.labels == leg) & ~areas.line
    patches = {}
    for regions in (False, True):
        matches = vote(areas, ref, _leg_flow(), PaintSettings(regions=regions))
        assert matches.matched[leg] and matches.codes[leg] == brown and matches.codes[paper] == white
        patches[regions] = int((matches.table[matches.pixel_index][inside] == white).sum())
    # Pixel votes paint the paper into the leg where its pixels land; the region match keeps the paper out
    # but for the rim, where the painter's colour boundary may sit on either side of the line.
    assert patches[False] > 300 and patches[True] < 0.1 * patches[False]


def test_key_mixes_lists_only_colours_the_key_puts_in_one_area_without_a_line():
    settings = PaintSettings()
    lines, _, areas, _ = _setup(settings)
    painted = _painted(lines)
    painted[22:40, 42:80, :3] = SHADOW  # a shadow painted on the body with no line around it
    palette = read_palette(painted, areas, settings)
    mixes = key_mixes(areas.labels, areas.line_distance, palette.pixel_codes, areas.count, 0.08, 50.0, 30, 2.0)
    assert (_code(BLUE), _code(SHADOW)) in mixes and (_code(SHADOW), _code(BLUE)) in mixes
    assert (_code(BLUE), _code(BROWN)) not in mixes  # body and leg meet at a line


def test_a_colour_that_crept_into_an_area_along_the_chain_is_kept_out_by_the_key_mixes():
    settings = PaintSettings()
    lines, _, areas, key_ref = _setup(settings)
    # A frame of the chain whose body holds a patch of the leg's brown (drift from a wrong motion earlier):
    # region matching alone lets the patch go on; the key never puts brown and blue in one area.
    drifted = _painted(lines)
    drifted[40:60, 70:90, :3] = BROWN
    ref = Reference.of_key(areas, read_palette(drifted, areas, settings))
    body = areas.labels[30, 80]
    inside = (areas.labels == body) & ~areas.line
    mixes = key_mixes(areas.labels, areas.line_distance, key_ref.table[key_ref.index], areas.count, 0.08, 50.0,
                      30, 2.0)
    for given, expect_brown in ((None, True), (mixes, False)):
        matches = vote(areas, ref, np.zeros((H, W, 2), np.float32), settings, given)
        assert matches.matched[body] and matches.codes[body] == _code(BLUE)
        assert bool((matches.table[matches.pixel_index][inside] == _code(BROWN)).any()) == expect_brown


def test_an_area_lost_for_one_frame_is_found_in_the_frame_before():
    settings = PaintSettings()
    _, _, areas, key_ref = _setup(settings)
    leg = areas.labels[100, 80]
    # The latest frame lost the leg (unsure there, although it landed on painted pixels).
    latest = vote(areas, key_ref, np.zeros((H, W, 2), np.float32), settings)
    latest.matched[leg] = False
    latest_ref = latest.as_reference(areas, settings.min_rescue)
    assert latest_ref.lost is not None and latest_ref.lost[leg]
    now = vote(areas, latest_ref, np.zeros((H, W, 2), np.float32), settings)
    assert not now.matched[leg] and now.from_lost is not None and now.from_lost[leg] == 1.0
    found = _recall(areas, now, key_ref, settings, None)
    assert found.matched[leg] and found.codes[leg] == _code(BROWN)
    # An area that was never painted (new in the shot) is not looked up: it stays for the artist.
    never = vote(areas, latest_ref, np.zeros((H, W, 2), np.float32), settings)
    never.from_lost = np.zeros_like(never.from_lost)
    assert not _recall(areas, never, key_ref, settings, None).matched[leg]
